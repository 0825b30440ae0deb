package traj

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/require"
)

// written returns the bytes that write produces at a path in a temporary
// directory, so that seeds come from this package's own writers.
func written(t testing.TB, write func(path string) error) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "seed")
	require.NoError(t, write(path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// rawNPY returns a .npy file with the given header fields and data bytes,
// which need not agree with them.
func rawNPY(t testing.TB, descr string, fortran bool, shape []int, data []byte) []byte {
	t.Helper()
	h, err := encodeHeader(descr, fortran, shape, 0)
	require.NoError(t, err)
	return append(h, data...)
}

// npySeeds are valid files of every kind ReadNPY accepts, written by this
// package's writers or by encodeHeader, plus truncations, trailing bytes
// and headers that claim far more data than the file holds.
func npySeeds(f *testing.F) [][]byte {
	f.Helper()
	x := []float64{1.5, -0.0, 5e-324, math.MaxFloat64, -3, math.Pi}
	f8 := written(f, func(p string) error { return WriteNPY(p, 3, 2, x) })
	i8 := written(f, func(p string) error { return WriteNPYInts(p, []int{3, -1, math.MaxInt64, 0}) })
	empty := written(f, func(p string) error { return WriteNPY(p, 0, 4, nil) })
	le32 := binary.LittleEndian.AppendUint32(nil, math.Float32bits(2.5))
	le32 = binary.LittleEndian.AppendUint32(le32, math.Float32bits(-1))
	be16 := []byte{0x80, 0x00, 0x00, 0x07, 0x12, 0x34}
	// The same array with a version-2.0 header (uint32 header length).
	h1, err := encodeHeader("<f8", false, []int{3, 2}, 0)
	require.NoError(f, err)
	v2 := binary.LittleEndian.AppendUint32(append([]byte(npyMagic), 2, 0), uint32(len(h1)-10))
	v2 = append(append(v2, h1[10:]...), f8[len(f8)-48:]...)
	seeds := [][]byte{
		f8, i8, empty, v2,
		rawNPY(f, "<f4", false, []int{2}, le32),
		rawNPY(f, ">i2", true, []int{1, 3}, be16),
		rawNPY(f, "<f8", true, []int{2, 3}, f8[len(f8)-48:]),
		rawNPY(f, "|u1", false, []int{2, 2, 1}, []byte{1, 2, 3, 4}),
		rawNPY(f, "<u8", false, []int{1}, binary.LittleEndian.AppendUint64(nil, math.MaxUint64)),
		// Claims of 10¹² rows or an overflowing shape with a short file.
		rawNPY(f, "<f8", false, []int{1_000_000_000_000, 2}, f8[len(f8)-48:]),
		rawNPY(f, "<f8", false, []int{math.MaxInt64, math.MaxInt64}, nil),
		rawNPY(f, "<f8", false, []int{0, math.MaxInt64}, nil),
		f8[:len(f8)-5], f8[:len(f8)-48], f8[:9], append(slices.Clone(f8), 0),
	}
	return seeds
}

// FuzzReadNPY feeds ReadNPY and ReadNPYInts arbitrary files. Properties:
// neither panics; each allocates at most 32 bytes per file byte plus 1 MiB
// (buffers), whatever the header claims, and returns no more values than
// the file has bytes; and what reads OK round-trips:
// WriteNPY / WriteNPYInts of the values read give a file that reads back
// bit for bit the same.
func FuzzReadNPY(f *testing.F) {
	for _, s := range npySeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		path := testutil.WriteTemp(t, "in.npy", in)
		dir := filepath.Dir(path)
		var data []float64
		var rows, cols int
		var err error
		n := testutil.Allocated(func() { data, rows, cols, err = ReadNPY(path) })
		require.LessOrEqual(t, n, uint64(32*len(in)+1<<20), "ReadNPY allocated for a %d-byte file", len(in))
		if err == nil {
			require.Equal(t, rows*cols, len(data))
			require.LessOrEqual(t, len(data), len(in), "more values than bytes in the file")
			if !slices.ContainsFunc(data, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }) && cols > 0 {
				out := filepath.Join(dir, "out.npy")
				require.NoError(t, WriteNPY(out, rows, cols, data))
				back, r2, c2, err := ReadNPY(out)
				require.NoError(t, err)
				require.Equal(t, [2]int{rows, cols}, [2]int{r2, c2})
				sameBits(t, back, data)
			}
		} else {
			require.Nil(t, data)
		}
		var ints []int
		n = testutil.Allocated(func() { ints, err = ReadNPYInts(path) })
		require.LessOrEqual(t, n, uint64(32*len(in)+1<<20), "ReadNPYInts allocated for a %d-byte file", len(in))
		if err != nil {
			require.Nil(t, ints)
			return
		}
		require.LessOrEqual(t, len(ints), len(in), "more values than bytes in the file")
		out := filepath.Join(dir, "out.ints.npy")
		require.NoError(t, WriteNPYInts(out, ints))
		back, err := ReadNPYInts(out)
		require.NoError(t, err)
		require.Equal(t, ints, back)
	})
}

// FuzzOpenAppend feeds OpenAppend arbitrary files, complete (at path) or
// unfinished (at path+".part"), for 1 to 256 columns. Properties: no panic;
// it allocates at most 1 MiB (the header and the row buffer) whatever the
// file holds; if it accepts the file, a row can be appended and the closed file reads
// back with one more row, the old rows bit for bit unchanged.
func FuzzOpenAppend(f *testing.F) {
	x := []float64{1, 2, 3, 4, 5, 6}
	for _, s := range npySeeds(f) {
		f.Add(s, uint8(1), false)
		f.Add(s, uint8(1), true)
	}
	part := written(f, func(p string) error {
		w, err := Create(p, 3)
		if err != nil {
			return err
		}
		for r := range 2 {
			if err := w.WriteRow(x[3*r : 3*r+3]); err != nil {
				return err
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
		// Keep the unfinished .part content as the seed.
		b, err := os.ReadFile(p + PartSuffix)
		if err != nil {
			return err
		}
		_ = w.Abort()
		return os.WriteFile(p, b, 0o644)
	})
	f.Add(part, uint8(2), true)
	f.Add(append(slices.Clone(part), 1, 2, 3), uint8(2), true)

	f.Fuzz(func(t *testing.T, in []byte, cols8 uint8, asPart bool) {
		cols := int(cols8) + 1
		path := filepath.Join(t.TempDir(), "run.npy")
		src := path
		if asPart {
			src += PartSuffix
		}
		require.NoError(t, os.WriteFile(src, in, 0o644))
		var w *NPYWriter
		var err error
		n := testutil.Allocated(func() { w, err = OpenAppend(path, cols) })
		require.LessOrEqual(t, n, uint64(1<<20), "OpenAppend allocated for a %d-byte file", len(in))
		if err != nil {
			require.Nil(t, w)
			return
		}
		old := w.Rows()
		require.LessOrEqual(t, old*cols*8, len(in), "more rows than the file holds")
		row := make([]float64, cols)
		for j := range row {
			row[j] = float64(j) + 0.5
		}
		require.NoError(t, w.WriteRow(row))
		require.NoError(t, w.Close())
		data, rows, c, err := ReadNPY(path)
		require.NoError(t, err)
		require.Equal(t, [2]int{old + 1, cols}, [2]int{rows, c})
		sameBits(t, data[old*cols:], row)
		for i, v := range data[:old*cols] {
			want := binary.LittleEndian.Uint64(in[int(w.hdrLen)+8*i:])
			require.Equal(t, want, math.Float64bits(v), "old value %d changed", i)
		}
	})
}
