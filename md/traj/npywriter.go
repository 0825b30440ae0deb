package traj

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/dspib/dspib/internal/atomicfile"
)

// bufTarget is the target size of the NPYWriter buffer in bytes; the actual
// size is rounded to a whole number of rows so that the buffer is only ever
// flushed at row boundaries.
const bufTarget = 1 << 16

// maxCols bounds the columns of an NPYWriter so that the size of a row in
// bytes, 8·cols, cannot overflow int.
const maxCols = math.MaxInt / 8

// NPYWriter streams a 2-D float64 array, one row at a time, to a .npy file
// (dtype '<f8', C order) without holding the run in memory.
//
// Create writes a version-1.0 header for shape (0, cols) to path+".part";
// rows are appended through a bufio.Writer whose size is a whole number of
// rows, so the .part file only ever grows by whole rows. Close flushes,
// patches the header's row count in place (the header length does not
// depend on it, see encodeHeader), fsyncs and renames path+".part" to path.
// Until Close succeeds only the .part file exists, so an interrupted run
// never leaves a file that looks complete; OpenAppend resumes it.
//
// An NPYWriter is not safe for concurrent use. WriteRow allocates nothing.
type NPYWriter struct {
	af     *atomicfile.File
	bw     *bufio.Writer
	cols   int
	rows   int
	hdrLen int64
	row    []byte // one encoded row, reused
	err    error  // sticky I/O error or atomicfile.ErrFinished
}

// Create starts a new .npy file at path with cols columns, truncating any
// stale path+".part" left by an earlier run (use OpenAppend to resume one
// instead). An existing file at path is replaced only when Close succeeds.
func Create(path string, cols int) (*NPYWriter, error) {
	if cols < 1 || cols > maxCols {
		return nil, fmt.Errorf("traj: Create %s: cols = %d, must be in [1, %d]", path, cols, maxCols)
	}
	hdr, err := encodeHeader("<f8", false, []int{0, cols}, 0)
	if err != nil {
		return nil, fmt.Errorf("traj: Create %s: %w", path, err)
	}
	af, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	if _, err := af.Write(hdr); err != nil {
		_ = af.Abort()
		return nil, fmt.Errorf("traj: write header of %s: %w", af.TempPath(), err)
	}
	return newNPYWriter(af, cols, 0, int64(len(hdr))), nil
}

func newNPYWriter(af *atomicfile.File, cols, rows int, hdrLen int64) *NPYWriter {
	rowBytes := 8 * cols
	size := max(1, bufTarget/rowBytes) * rowBytes
	return &NPYWriter{
		af:     af,
		bw:     bufio.NewWriterSize(af.File(), size),
		cols:   cols,
		rows:   rows,
		hdrLen: hdrLen,
		row:    make([]byte, rowBytes),
	}
}

// Rows returns the number of rows written so far (including rows recovered
// by OpenAppend).
func (w *NPYWriter) Rows() int { return w.rows }

// Cols returns the number of columns.
func (w *NPYWriter) Cols() int { return w.cols }

// Path returns the final path of the file.
func (w *NPYWriter) Path() string { return w.af.Path() }

// WriteRow appends one row. It refuses, writing nothing, a row whose
// length is not Cols() (the error names the row index, got and want) or
// that contains NaN or ±Inf (the error names the row and column). After an
// I/O error every later call returns that error.
func (w *NPYWriter) WriteRow(row []float64) error {
	if w.err != nil {
		return fmt.Errorf("traj: row %d of %s: %w", w.rows, w.af.Path(), w.err)
	}
	if len(row) != w.cols {
		return fmt.Errorf("traj: row %d of %s has %d values, want %d", w.rows, w.af.Path(), len(row), w.cols)
	}
	for j, v := range row {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("traj: row %d column %d of %s is %v", w.rows, j, w.af.Path(), v)
		}
		binary.LittleEndian.PutUint64(w.row[8*j:], math.Float64bits(v))
	}
	if _, err := w.bw.Write(w.row); err != nil {
		w.err = err
		return fmt.Errorf("traj: write row %d of %s: %w", w.rows, w.af.TempPath(), err)
	}
	w.rows++
	return nil
}

// WriteFrame is WriteRow under the name the md run loop's frame sink uses:
// x is one frame, for example N×D positions flattened row-major.
func (w *NPYWriter) WriteFrame(x []float64) error { return w.WriteRow(x) }

// Flush writes buffered rows to the .part file, updates the row count in
// its header and fsyncs it, so that everything written so far is durable;
// call it when checkpointing. The file keeps its .part name.
func (w *NPYWriter) Flush() error {
	if w.err != nil {
		return fmt.Errorf("traj: flush %s: %w", w.af.Path(), w.err)
	}
	if err := w.flushHeader(); err != nil {
		w.err = err
		return err
	}
	if err := w.af.File().Sync(); err != nil {
		w.err = err
		return fmt.Errorf("traj: fsync %s: %w", w.af.TempPath(), err)
	}
	return nil
}

// flushHeader flushes the buffer and rewrites the header with the current
// row count, padded to its existing length.
func (w *NPYWriter) flushHeader() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("traj: write %s: %w", w.af.TempPath(), err)
	}
	hdr, err := encodeHeader("<f8", false, []int{w.rows, w.cols}, int(w.hdrLen))
	if err != nil {
		return fmt.Errorf("traj: header of %s: %w", w.af.TempPath(), err)
	}
	if _, err := w.af.File().WriteAt(hdr, 0); err != nil {
		return fmt.Errorf("traj: patch header of %s: %w", w.af.TempPath(), err)
	}
	return nil
}

// Truncate discards rows beyond the first n (n <= Rows()), for example the
// frames a killed run wrote after its last checkpoint, so that a resumed run
// continues exactly where the checkpoint left off.
func (w *NPYWriter) Truncate(n int) error {
	if w.err != nil {
		return fmt.Errorf("traj: truncate %s: %w", w.af.Path(), w.err)
	}
	if n < 0 || n > w.rows {
		return fmt.Errorf("traj: truncate %s to %d rows: have %d", w.af.Path(), n, w.rows)
	}
	if err := w.bw.Flush(); err != nil {
		w.err = err
		return fmt.Errorf("traj: write %s: %w", w.af.TempPath(), err)
	}
	f := w.af.File()
	end := w.hdrLen + int64(n)*int64(8*w.cols)
	if err := f.Truncate(end); err != nil {
		w.err = err
		return fmt.Errorf("traj: truncate %s: %w", w.af.TempPath(), err)
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		w.err = err
		return fmt.Errorf("traj: seek %s: %w", w.af.TempPath(), err)
	}
	w.rows = n
	return nil
}

// Close flushes the buffered rows, writes the final row count into the
// header, fsyncs and renames path+".part" to path. If Close fails the
// .part file is left in place; Abort removes it.
func (w *NPYWriter) Close() error {
	if w.err != nil {
		return fmt.Errorf("traj: close %s: %w", w.af.Path(), w.err)
	}
	if err := w.flushHeader(); err != nil {
		w.err = err
		return err
	}
	if err := w.af.Commit(); err != nil {
		w.err = err
		return err
	}
	w.err = atomicfile.ErrFinished
	return nil
}

// Abort stops writing and removes the .part file; path is not touched.
// After a successful Close, Abort does nothing, so it can be deferred.
func (w *NPYWriter) Abort() error {
	w.err = atomicfile.ErrFinished
	return w.af.Abort()
}

// OpenAppend reopens a .npy file written by NPYWriter (or any 2-D '<f8'
// C-order file) to append rows, for resuming a checkpointed run. Exactly:
//
//  1. If path+".part" exists it is used (it is the unfinished replacement
//     of path, from Create or an earlier OpenAppend). Its row count is
//     recovered from the file size, (size − header length) / (8·cols); the
//     row count in its header is ignored, because it is only updated by
//     Flush and Close. The size must be a whole number of rows, otherwise
//     an error reports the leftover bytes.
//  2. Otherwise path, a completed file, is used; its header row count must
//     match its size exactly (a mismatch means truncation or corruption and
//     is an error). It is renamed to path+".part", so that until Close
//     succeeds again only the .part file exists.
//
// In both cases the header must describe a 2-D '<f8' C-order array with
// cols columns. New rows go after the existing ones; Rows() starts at the
// recovered count. Use Truncate to drop rows written after the checkpoint.
func OpenAppend(path string, cols int) (*NPYWriter, error) {
	if cols < 1 {
		return nil, fmt.Errorf("traj: OpenAppend %s: cols = %d, must be >= 1", path, cols)
	}
	tmp := path + PartSuffix
	src, partial := tmp, true
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		src, partial = path, false
		f, err = os.OpenFile(path, os.O_RDWR, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("traj: OpenAppend: %w", err)
	}
	rows, hdrLen, err := appendable(f, cols, partial)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("traj: OpenAppend %s: %w", src, err)
	}
	if _, err := f.Seek(hdrLen+int64(rows)*int64(8*cols), io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("traj: OpenAppend %s: %w", src, err)
	}
	if !partial {
		if err := os.Rename(path, tmp); err != nil {
			f.Close()
			return nil, fmt.Errorf("traj: OpenAppend: %w", err)
		}
	}
	af := atomicfile.Adopt(f, path)
	return newNPYWriter(af, cols, rows, hdrLen), nil
}

// appendable validates the header of an existing file for appending and
// returns its row count and header length.
func appendable(f *os.File, cols int, partial bool) (rows int, hdrLen int64, err error) {
	h, err := readHeader(bufio.NewReader(f))
	if err != nil {
		return 0, 0, err
	}
	if h.descr != "<f8" || h.fortran || len(h.shape) != 2 {
		return 0, 0, fmt.Errorf("header describes '%s' shape %s fortran_order=%v, want '<f8' (R, %d) in C order",
			h.descr, shapeRepr(h.shape), h.fortran, cols)
	}
	if h.shape[1] != cols {
		return 0, 0, fmt.Errorf("file has %d columns, want %d", h.shape[1], cols)
	}
	// The header is rewritten in place as version 1.0 with the same length.
	if _, err := encodeHeader("<f8", false, []int{math.MaxInt64, cols}, int(h.dataOff)); err != nil {
		return 0, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	data, rowBytes := st.Size()-h.dataOff, int64(8*cols)
	if data < 0 || data%rowBytes != 0 {
		return 0, 0, fmt.Errorf("%d data bytes are not a whole number of %d-byte rows (%d bytes left over)",
			data, rowBytes, data%rowBytes)
	}
	rows = int(data / rowBytes)
	if !partial && rows != h.shape[0] {
		return 0, 0, fmt.Errorf("header says %d rows but the file holds %d: truncated or corrupt", h.shape[0], rows)
	}
	return rows, h.dataOff, nil
}
