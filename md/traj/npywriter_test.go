package traj

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// Before Close only path.part exists; after Close only path.
func TestNPYWriterPartThenRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "traj.npy")
	w, err := Create(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	const rows = 10000 // several buffers, so rows reach the .part file
	for i := range rows {
		if err := w.WriteRow([]float64{float64(i), -float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if exists(t, path) || !exists(t, path+PartSuffix) {
		t.Fatalf("before Close: directory holds %v, want only traj.npy.part", dirNames(t, dir))
	}
	// Before Flush the .part header still says 0 rows, so the file is
	// refused, never mistaken for a complete one ...
	_, _, _, err = ReadNPY(path + PartSuffix)
	wantErr(t, err, "bytes after the 0 data bytes")
	// ... and after Flush it is a consistent snapshot.
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, r, _, err := ReadNPY(path + PartSuffix); err != nil || r != rows {
		t.Fatalf("after Flush: %v, %d rows, want %d", err, r, rows)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "traj.npy" {
		t.Fatalf("after Close: directory holds %v, want only traj.npy", names)
	}
	if w.Rows() != rows {
		t.Fatalf("Rows() = %d, want %d", w.Rows(), rows)
	}
	wantErr(t, w.WriteRow([]float64{1, 2}), "closed")
	wantErr(t, w.Close(), "closed")
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort after Close: %v", err)
	}
	if !exists(t, path) {
		t.Fatal("Abort after Close removed the finished file")
	}
}

func TestNPYWriterAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "traj.npy")
	w, err := Create(path, 3)
	if err != nil {
		t.Fatal(err)
	}
	for range 10000 { // more than one buffer, so bytes reached the file
		if err := w.WriteRow([]float64{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Fatalf("after Abort directory holds %v, want nothing", names)
	}
	wantErr(t, w.WriteRow([]float64{1, 2, 3}), "closed")
}

func TestNPYWriterRowErrors(t *testing.T) {
	path := tempPath(t, "e.npy")
	w, err := Create(path, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.WriteRow([]float64{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, w.WriteRow([]float64{1, 2}), "row 1", "2 values, want 3")
	wantErr(t, w.WriteFrame([]float64{1, 2, 3, 4}), "row 1", "4 values, want 3")
	wantErr(t, w.WriteRow([]float64{1, math.NaN(), 3}), "row 1 column 1", "NaN")
	wantErr(t, w.WriteRow([]float64{1, 2, math.Inf(1)}), "row 1 column 2", "+Inf")
	// Refused rows were not written; the writer goes on.
	if err := w.WriteFrame([]float64{4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, r, c, err := ReadNPY(path)
	if err != nil || r != 2 || c != 3 {
		t.Fatalf("%v (%d, %d)", err, r, c)
	}
	sameBits(t, got, []float64{1, 2, 3, 4, 5, 6})

	_, err = Create(path, 0)
	wantErr(t, err, "cols = 0")
	_, err = Create(filepath.Join(t.TempDir(), "no", "such", "dir.npy"), 2)
	wantErr(t, err, "dir.npy.part")
}

// A run written in two halves, with OpenAppend in between, gives the same
// file, byte for byte, as one written in one go. Three ways to stop after
// the first half: Close (a completed file), Flush (a .part file with an
// up-to-date header), and a kill (a .part file whose header still says 0
// rows, simulated by flushing the buffer and dropping the writer).
func TestOpenAppendContinuesRun(t *testing.T) {
	const rows, cols, half = 2500, 14, 1234
	rng := rand.New(rand.NewPCG(5, 6))
	data := randomRows(rng, rows, cols)
	onePath := tempPath(t, "one.npy")
	writeStreamed(t, onePath, rows, cols, data)
	one := readBytes(t, onePath)

	for _, stop := range []string{"close", "flush", "kill"} {
		t.Run(stop, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "two.npy")
			w, err := Create(path, cols)
			if err != nil {
				t.Fatal(err)
			}
			for r := range half {
				if err := w.WriteRow(data[r*cols : (r+1)*cols]); err != nil {
					t.Fatal(err)
				}
			}
			switch stop {
			case "close":
				err = w.Close()
			case "flush":
				err = w.Flush()
				w.af.File().Close()
			case "kill":
				err = w.bw.Flush()
				w.af.File().Close()
			}
			if err != nil {
				t.Fatal(err)
			}
			w, err = OpenAppend(path, cols)
			if err != nil {
				t.Fatal(err)
			}
			if w.Rows() != half {
				t.Fatalf("recovered %d rows, want %d", w.Rows(), half)
			}
			if exists(t, path) {
				t.Fatalf("while appending, %s exists; want only the .part file", path)
			}
			for r := half; r < rows; r++ {
				if err := w.WriteRow(data[r*cols : (r+1)*cols]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(readBytes(t, path), one) {
				t.Fatal("two halves differ from one go")
			}
			if names := dirNames(t, dir); len(names) != 1 {
				t.Fatalf("directory holds %v", names)
			}
		})
	}
}

// Truncate drops rows written after a checkpoint.
func TestNPYWriterTruncate(t *testing.T) {
	path := tempPath(t, "t.npy")
	w, err := Create(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := w.WriteRow([]float64{float64(i), 1}); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, w.Truncate(11), "have 10")
	if err := w.Truncate(4); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRow([]float64{40, 2}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, r, _, err := ReadNPY(path)
	if err != nil || r != 5 {
		t.Fatalf("%v, %d rows", err, r)
	}
	sameBits(t, got, []float64{0, 1, 1, 1, 2, 1, 3, 1, 40, 2})
}

func TestOpenAppendRefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.npy")
	_, err := OpenAppend(path, 2)
	wantErr(t, err, "a.npy")

	writeStreamed(t, path, 3, 2, []float64{1, 2, 3, 4, 5, 6})
	_, err = OpenAppend(path, 3)
	wantErr(t, err, path, "2 columns, want 3")
	if !exists(t, path) || exists(t, path+PartSuffix) {
		t.Fatal("a refused OpenAppend moved the completed file")
	}
	// A completed file that lost its last row is corrupt, not resumable.
	b := readBytes(t, path)
	if err := os.WriteFile(path, b[:len(b)-16], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = OpenAppend(path, 2)
	wantErr(t, err, "header says 3 rows but the file holds 2")
	// A .part file with half a row.
	if err := os.WriteFile(path+PartSuffix, b[:len(b)-4], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = OpenAppend(path, 2)
	wantErr(t, err, path+PartSuffix, "12 bytes left over")
	// Integer files cannot be appended to as float rows.
	ip := filepath.Join(dir, "i.npy")
	if err := WriteNPYInts(ip, []int{1, 2}); err != nil {
		t.Fatal(err)
	}
	_, err = OpenAppend(ip, 1)
	wantErr(t, err, "want '<f8'")
}

// The per-row path must not allocate: measured with testing.AllocsPerRun
// so that the test fails, not only the benchmark report.
func TestWriteRowAllocs(t *testing.T) {
	w, err := Create(tempPath(t, "b.npy"), 14)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	row := make([]float64, 14)
	if n := testing.AllocsPerRun(5000, func() {
		if err := w.WriteRow(row); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("WriteRow allocates %v times per row, want 0", n)
	}
}

// BenchmarkNPYWriteRow streams 14-column rows (the LJ7 frame size, 7×2).
func BenchmarkNPYWriteRow(b *testing.B) {
	w, err := Create(filepath.Join(b.TempDir(), "bench.npy"), 14)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	row := randomRows(rng, 1, 14)
	b.SetBytes(14 * 8)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteRow(row); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// When both a completed file and a .part file exist (a new run over an old
// result was interrupted), OpenAppend resumes the .part file, the newer
// run, and Close replaces the old result.
func TestOpenAppendPrefersPart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.npy")
	writeStreamed(t, path, 2, 1, []float64{-1, -2})
	w, err := Create(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []float64{1, 2, 3} {
		if err := w.WriteRow([]float64{v}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.bw.Flush(); err != nil { // simulate a kill: data, stale header
		t.Fatal(err)
	}
	w.af.File().Close()
	if w, err = OpenAppend(path, 1); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != 3 {
		t.Fatalf("resumed at %d rows, want 3 (the .part file)", w.Rows())
	}
	if err := w.WriteRow([]float64{4}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _, _, err := ReadNPY(path)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, got, []float64{1, 2, 3, 4})
	if names := dirNames(t, dir); len(names) != 1 {
		t.Fatalf("directory holds %v", names)
	}
}

// An I/O error is sticky: later writes and Close report it, Close leaves
// the .part file and never creates path, and Abort then removes it.
func TestNPYWriterIOError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "io.npy")
	w, err := Create(path, 14)
	if err != nil {
		t.Fatal(err)
	}
	w.af.File().Close() // every write to the file now fails
	var werr error
	for i := 0; i < 10000 && werr == nil; i++ {
		werr = w.WriteRow(make([]float64, 14))
	}
	wantErr(t, werr, "write row", "io.npy.part")
	wantErr(t, w.WriteRow(make([]float64, 14)), "file already closed")
	wantErr(t, w.Flush(), "file already closed")
	wantErr(t, w.Close(), "file already closed")
	if exists(t, path) || !exists(t, path+PartSuffix) {
		t.Fatalf("after a failed Close directory holds %v, want only the .part file", dirNames(t, dir))
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Fatalf("after Abort directory holds %v", names)
	}
}
