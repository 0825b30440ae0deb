package traj

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"gonum.org/v1/gonum/mat"
)

// The header numpy.save writes for a (3, 14) float64 array, worked out by
// hand from numpy/lib/format.py: the dict is 60 bytes; numpy appends
// 21−len("3") = 20 growth spaces and '\n' (81 bytes), then pads so the
// 10-byte preamble + header is a multiple of 64: 128 bytes in all, header
// length field 118 = 0x76, i.e. 57 spaces between the dict and '\n'.
func TestHeaderBytesMatchNumpy(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows int
		dict string
		data int
	}{
		{"3x14", 3, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 14), }", 3 * 14 * 8},
		{"0x14", 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 14), }", 0},
		{"123456x14", 123456, "{'descr': '<f8', 'fortran_order': False, 'shape': (123456, 14), }", 123456 * 14 * 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tempPath(t, "a.npy")
			data := make([]float64, tc.rows*14)
			writeStreamed(t, path, tc.rows, 14, data)
			b := readBytes(t, path)
			want := []byte("\x93NUMPY\x01\x00\x76\x00" + tc.dict)
			want = append(want, bytes.Repeat([]byte(" "), 128-len(want)-1)...)
			want = append(want, '\n')
			if !bytes.Equal(b[:128], want) {
				t.Fatalf("header\n%q\nwant\n%q", b[:128], want)
			}
			if len(b) != 128+tc.data {
				t.Fatalf("file is %d bytes, want 128 + %d", len(b), tc.data)
			}
		})
	}
	// Labels: (5,) int64, a 57-byte dict, also 128 bytes.
	path := tempPath(t, "l.npy")
	if err := WriteNPYInts(path, []int{1, -2, 3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	b := readBytes(t, path)
	dict := "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }"
	want := []byte("\x93NUMPY\x01\x00\x76\x00" + dict + strings.Repeat(" ", 128-10-len(dict)-1) + "\n")
	if !bytes.Equal(b[:128], want) || len(b) != 128+40 {
		t.Fatalf("header %q (file %d bytes), want %q", b[:128], len(b), want)
	}
	if got := int64(binary.LittleEndian.Uint64(b[128+8:])); got != -2 {
		t.Fatalf("second label = %d, want -2", got)
	}
}

// Streamed rows come back bit for bit through ReadNPY and through npyio
// directly (into a gonum matrix).
func TestNPYRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, rows := range []int{0, 1, 7, 1000} {
		const cols = 14
		path := tempPath(t, "x.npy")
		want := randomRows(rng, rows, cols)
		writeStreamed(t, path, rows, cols, want)
		got, r, c, err := ReadNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		if r != rows || c != cols {
			t.Fatalf("shape (%d, %d), want (%d, %d)", r, c, rows, cols)
		}
		sameBits(t, got, want)

		if rows == 0 {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var m mat.Dense
		err = npyio.Read(f, &m)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if mr, mc := m.Dims(); mr != rows || mc != cols {
			t.Fatalf("npyio dims (%d, %d), want (%d, %d)", mr, mc, rows, cols)
		}
		sameBits(t, m.RawMatrix().Data, want)
	}
}

func TestWriteNPYWholeArray(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	path := filepath.Join(dir, "f.npy")
	want := randomRows(rng, 5, 3)
	if err := WriteNPY(path, 5, 3, want); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "f.npy" {
		t.Fatalf("directory holds %v, want only f.npy", names)
	}
	got, r, c, err := ReadNPY(path)
	if err != nil || r != 5 || c != 3 {
		t.Fatalf("ReadNPY: %v, shape (%d, %d)", err, r, c)
	}
	sameBits(t, got, want)

	wantErr(t, WriteNPY(path, 2, 3, want), "len(data) = 15", "2×3")
	wantErr(t, WriteNPY(path, -1, 3, nil), "rows = -1")
	wantErr(t, WriteNPY(path, 1, 0, nil), "cols = 0")
	bad := []float64{1, 2, 3, 4, math.Inf(-1), 6}
	wantErr(t, WriteNPY(path, 2, 3, bad), "row 1 column 1", "-Inf")
	// The failed writes left the earlier file intact and no .part behind.
	got, _, _, err = ReadNPY(path)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, got, want)
	if names := dirNames(t, dir); len(names) != 1 {
		t.Fatalf("directory holds %v after failed writes", names)
	}
}

func TestNPYInts(t *testing.T) {
	path := tempPath(t, "labels.npy")
	want := []int{0, 99, -1, math.MaxInt64, math.MinInt64, 42}
	if err := WriteNPYInts(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNPYInts(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// Empty, and the float reader sees them as one column.
	if err := WriteNPYInts(path, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadNPYInts(path); err != nil || len(got) != 0 {
		t.Fatalf("empty labels: %v, %v", got, err)
	}
	if err := WriteNPYInts(path, []int{3, -4}); err != nil {
		t.Fatal(err)
	}
	d, r, c, err := ReadNPY(path)
	if err != nil || r != 2 || c != 1 || d[0] != 3 || d[1] != -4 {
		t.Fatalf("ReadNPY of ints: %v (%d, %d) %v", d, r, c, err)
	}
	// A float file is not a label file.
	fpath := tempPath(t, "f.npy")
	if err := WriteNPY(fpath, 1, 2, []float64{1, 2}); err != nil {
		t.Fatal(err)
	}
	_, err = ReadNPYInts(fpath)
	wantErr(t, err, fpath, "floating point")
}

// writeRaw writes a .npy file with the given header fields and raw data.
func writeRaw(t *testing.T, descr string, fortran bool, shape []int, data []byte) string {
	t.Helper()
	hdr, err := encodeHeader(descr, fortran, shape, 0)
	if err != nil {
		t.Fatal(err)
	}
	path := tempPath(t, "raw.npy")
	if err := os.WriteFile(path, append(hdr, data...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Other dtypes, byte orders and Fortran order are converted to row-major
// float64. The expected values are written element by element here, not
// by the code under test.
func TestReadNPYConversions(t *testing.T) {
	// 2×3 matrix [[1 2 3] [4 5 6]] stored column-major: 1 4 2 5 3 6.
	var buf []byte
	for _, v := range []float64{1, 4, 2, 5, 3, 6} {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
	}
	path := writeRaw(t, "<f8", true, []int{2, 3}, buf)
	got, r, c, err := ReadNPY(path)
	if err != nil || r != 2 || c != 3 {
		t.Fatalf("fortran: %v (%d, %d)", err, r, c)
	}
	sameBits(t, got, []float64{1, 2, 3, 4, 5, 6})

	// Big-endian float64.
	buf = nil
	for _, v := range []float64{-1.5, 2.25} {
		buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(v))
	}
	got, r, c, err = ReadNPY(writeRaw(t, ">f8", false, []int{1, 2}, buf))
	if err != nil || r != 1 || c != 2 {
		t.Fatalf(">f8: %v (%d, %d)", err, r, c)
	}
	sameBits(t, got, []float64{-1.5, 2.25})

	// float32 written by npyio itself (format version 2.0, 1-D).
	path = tempPath(t, "f32.npy")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := npyio.Write(f, []float32{0.5, -3, 1e-3}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, r, c, err = ReadNPY(path)
	if err != nil || r != 3 || c != 1 {
		t.Fatalf("float32: %v (%d, %d)", err, r, c)
	}
	sameBits(t, got, []float64{0.5, -3, float64(float32(1e-3))})

	// int32 and uint8.
	buf = nil
	for _, v := range []int32{-7, 0, 1 << 30} {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
	}
	got, _, _, err = ReadNPY(writeRaw(t, "<i4", false, []int{3}, buf))
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, got, []float64{-7, 0, 1 << 30})
	ints, err := ReadNPYInts(writeRaw(t, "|u1", false, []int{2}, []byte{255, 7}))
	if err != nil || len(ints) != 2 || ints[0] != 255 || ints[1] != 7 {
		t.Fatalf("uint8 labels: %v %v", ints, err)
	}
}

// Truncated and corrupt files give an error naming the file and the
// problem. A file cut at a row boundary matters most: npyio alone would
// return zeros for the missing rows.
func TestReadNPYCorrupt(t *testing.T) {
	good := tempPath(t, "good.npy")
	writeStreamed(t, good, 4, 2, []float64{1, 2, 3, 4, 5, 6, 7, 8})
	b := readBytes(t, good)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"cut mid-row", b[:len(b)-3], "truncated"},
		{"cut at row boundary", b[:len(b)-16], "truncated"},
		{"trailing bytes", append(bytes.Clone(b), 0, 0, 0, 0, 0, 0, 0, 0), "8 bytes after"},
		{"cut in header", b[:40], "truncated"},
		{"cut in magic", b[:4], "truncated"},
		{"empty", nil, "truncated"},
		{"bad magic", append([]byte("\x93NUMPZ"), b[6:]...), "magic"},
		{"bad version", append(append([]byte{}, b[:6]...), append([]byte{9, 0}, b[8:]...)...), "version 9.0"},
		{"no newline", append(append([]byte{}, b[:127]...), append([]byte{' '}, b[128:]...)...), "'\\n'"},
		{"unknown key", bytes.Replace(b, []byte("'shape'"), []byte("'shope'"), 1), "shope"},
		{"bad order", bytes.Replace(b, []byte("False"), []byte("Fals "), 1), "fortran_order"},
		{"bad dtype", bytes.Replace(b, []byte("<f8"), []byte("<c8"), 1), "dtype"},
		{"bad shape", bytes.Replace(b, []byte("(4, 2)"), []byte("(4, x)"), 1), "shape"},
		{"structured", bytes.Replace(b, []byte("'<f8'"), []byte("[('a', '<f8')]"[:5]), 1), "structured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.npy")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, _, err := ReadNPY(path)
			wantErr(t, err, path, tc.want)
		})
	}
	_, _, _, err := ReadNPY(filepath.Join(t.TempDir(), "missing.npy"))
	wantErr(t, err, "missing.npy")
	// Three dimensions are refused by ReadNPY.
	_, _, _, err = ReadNPY(writeRaw(t, "<f8", false, []int{1, 1, 1}, make([]byte, 8)))
	wantErr(t, err, "3 dimensions")
}

// BenchmarkReadNPY reads a 100000×14 float64 file (11.2 MB).
func BenchmarkReadNPY(b *testing.B) {
	const rows, cols = 100000, 14
	path := filepath.Join(b.TempDir(), "r.npy")
	if err := WriteNPY(path, rows, cols, make([]float64, rows*cols)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(rows * cols * 8)
	for b.Loop() {
		if _, _, _, err := ReadNPY(path); err != nil {
			b.Fatal(err)
		}
	}
}

// Every integer dtype, in both byte orders, reads back through ReadNPY
// and ReadNPYInts. Bytes are produced here with encoding/binary.
func TestReadIntegerDtypes(t *testing.T) {
	vals := []int64{0, 1, 100, 127}
	neg := []int64{-128, -1, 5, 127}
	for _, tc := range []struct {
		descr  string
		signed bool
		size   int
	}{
		{"|i1", true, 1}, {"|u1", false, 1},
		{"<i2", true, 2}, {">i2", true, 2}, {"<u2", false, 2}, {">u2", false, 2},
		{"<i4", true, 4}, {">i4", true, 4}, {"<u4", false, 4}, {">u4", false, 4},
		{"<i8", true, 8}, {">i8", true, 8}, {"<u8", false, 8}, {">u8", false, 8},
	} {
		t.Run(tc.descr, func(t *testing.T) {
			want := vals
			if tc.signed {
				want = neg
			}
			var bo binary.AppendByteOrder = binary.LittleEndian
			if tc.descr[0] == '>' {
				bo = binary.BigEndian
			}
			var buf []byte
			for _, v := range want {
				switch tc.size {
				case 1:
					buf = append(buf, byte(v))
				case 2:
					buf = bo.AppendUint16(buf, uint16(v))
				case 4:
					buf = bo.AppendUint32(buf, uint32(v))
				default:
					buf = bo.AppendUint64(buf, uint64(v))
				}
			}
			path := writeRaw(t, tc.descr, false, []int{len(want)}, buf)
			ints, err := ReadNPYInts(path)
			if err != nil {
				t.Fatal(err)
			}
			fl, r, c, err := ReadNPY(path)
			if err != nil || r != len(want) || c != 1 {
				t.Fatalf("ReadNPY: %v (%d, %d)", err, r, c)
			}
			for i, v := range want {
				if ints[i] != int(v) || fl[i] != float64(v) {
					t.Fatalf("element %d: ints %d floats %v, want %d", i, ints[i], fl[i], v)
				}
			}
		})
	}
	// uint64 beyond MaxInt, and 2-D label files, are refused.
	buf := binary.LittleEndian.AppendUint64(nil, 1<<63)
	_, err := ReadNPYInts(writeRaw(t, "<u8", false, []int{1}, buf))
	wantErr(t, err, "element 0", "overflows int")
	_, err = ReadNPYInts(writeRaw(t, "<i8", false, []int{1, 1}, make([]byte, 8)))
	wantErr(t, err, "(1, 1)", "1-D")
	_, err = ReadNPYInts(writeRaw(t, "<i8", false, nil, make([]byte, 8)))
	wantErr(t, err, "()", "1-D")
}

// Layout agrees with WriteNPY's files, and refuses truncated files, 1-D
// arrays and garbage, naming the file.
func TestLayout(t *testing.T) {
	p := tempPath(t, "a.npy")
	if err := WriteNPY(p, 3, 5, make([]float64, 15)); err != nil {
		t.Fatal(err)
	}
	r, c, off, err := Layout(p)
	if err != nil || r != 3 || c != 5 || off != int64(len(readBytes(t, p)))-15*8 {
		t.Fatalf("Layout = %d, %d, %d, %v; want 3, 5, header length", r, c, off, err)
	}
	b := readBytes(t, p)
	if err := os.WriteFile(p, b[:len(b)-8], 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = Layout(p)
	wantErr(t, err, "a.npy", "truncated")
	q := tempPath(t, "ints.npy")
	if err := WriteNPYInts(q, []int{1, 2}); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = Layout(q)
	wantErr(t, err, "ints.npy", "want a 2-D")
	if err := os.WriteFile(p, []byte("not numpy"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = Layout(p)
	wantErr(t, err, "a.npy")
}
