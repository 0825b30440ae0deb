package traj

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"codeberg.org/sbinet/npyio"

	"github.com/dspib/dspib/internal/atomicfile"
)

// WriteNPY writes data, a rows×cols float64 matrix in row-major order, to
// path as a 2-D '<f8' C-order .npy array (shape (rows, cols)). The file is
// written atomically (path+".part", then rename). rows may be 0; cols must
// be at least 1; NaN and ±Inf are refused with an error naming the row and
// column, and nothing is written.
func WriteNPY(path string, rows, cols int, data []float64) (err error) {
	if rows < 0 {
		return fmt.Errorf("traj: WriteNPY %s: rows = %d, must be >= 0", path, rows)
	}
	if cols < 1 {
		return fmt.Errorf("traj: WriteNPY %s: cols = %d, must be >= 1", path, cols)
	}
	if len(data) != rows*cols {
		return fmt.Errorf("traj: WriteNPY %s: len(data) = %d, want rows×cols = %d×%d = %d", path, len(data), rows, cols, rows*cols)
	}
	for i, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("traj: WriteNPY %s: row %d column %d is %v", path, i/cols, i%cols, v)
		}
	}
	if rows == 0 {
		// No row buffer: a (0, cols) array is valid for any cols, even one
		// whose row would not fit in memory (FuzzReadNPY round-trips one).
		hdr, err := encodeHeader("<f8", false, []int{0, cols}, 0)
		if err != nil {
			return fmt.Errorf("traj: WriteNPY %s: %w", path, err)
		}
		return atomicfile.Write(path, func(w io.Writer) error {
			_, err := w.Write(hdr)
			return err
		})
	}
	w, err := Create(path, cols)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = w.Abort()
		}
	}()
	for r := range rows {
		if err := w.WriteRow(data[r*cols : (r+1)*cols]); err != nil {
			return err
		}
	}
	return w.Close()
}

// WriteNPYInts writes data to path as a 1-D '<i8' (int64) .npy array of
// shape (len(data),), atomically. It is meant for labels and indices.
func WriteNPYInts(path string, data []int) error {
	hdr, err := encodeHeader("<i8", false, []int{len(data)}, 0)
	if err != nil {
		return fmt.Errorf("traj: WriteNPYInts %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		if _, err := w.Write(hdr); err != nil {
			return fmt.Errorf("traj: write %s: %w", path, err)
		}
		var b [8]byte
		for _, v := range data {
			binary.LittleEndian.PutUint64(b[:], uint64(int64(v)))
			if _, err := w.Write(b[:]); err != nil {
				return fmt.Errorf("traj: write %s: %w", path, err)
			}
		}
		return nil
	})
}

// ReadNPY reads a 1-D or 2-D numeric .npy array into row-major float64
// data. A 1-D array of shape (N,) is returned as rows = N, cols = 1.
// float32 and integer dtypes of either byte order are converted (int64
// and uint64 values beyond 2⁵³ are rounded to the nearest float64);
// Fortran-order arrays are transposed to row-major. Arrays of other
// dimensions or dtypes, and files whose size does not match the header
// (truncated, or with trailing bytes), are refused with an error naming
// the file and the problem.
func ReadNPY(path string) (data []float64, rows, cols int, err error) {
	f, h, err := openNPY(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	switch len(h.shape) {
	case 1:
		rows, cols = h.shape[0], 1
	case 2:
		rows, cols = h.shape[0], h.shape[1]
	default:
		return nil, 0, 0, fmt.Errorf("traj: %s: shape %s has %d dimensions, want 1 or 2", path, shapeRepr(h.shape), len(h.shape))
	}
	switch h.kind {
	case 'f':
		if h.size == 8 {
			data, err = readWith[float64](f, h)
		} else {
			data, err = readConv[float32](f, h)
		}
	case 'i':
		switch h.size {
		case 1:
			data, err = readConv[int8](f, h)
		case 2:
			data, err = readConv[int16](f, h)
		case 4:
			data, err = readConv[int32](f, h)
		default:
			data, err = readConv[int64](f, h)
		}
	default:
		switch h.size {
		case 1:
			data, err = readConv[uint8](f, h)
		case 2:
			data, err = readConv[uint16](f, h)
		case 4:
			data, err = readConv[uint32](f, h)
		default:
			data, err = readConv[uint64](f, h)
		}
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("traj: %s: %w", path, err)
	}
	if h.fortran && rows > 1 && cols > 1 {
		// Column-major on disk: element (r, c) is at c·rows + r.
		t := make([]float64, len(data))
		for c := range cols {
			for r := range rows {
				t[r*cols+c] = data[c*rows+r]
			}
		}
		data = t
	}
	return data, rows, cols, nil
}

// ReadNPYInts reads a 1-D integer .npy array (any of int8…int64,
// uint8…uint64, either byte order). Float arrays, other shapes, and values
// that do not fit in int are refused with an error naming the file.
func ReadNPYInts(path string) ([]int, error) {
	f, h, err := openNPY(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if h.kind == 'f' {
		return nil, fmt.Errorf("traj: %s: dtype %q is floating point, want integers", path, h.descr)
	}
	if len(h.shape) != 1 {
		return nil, fmt.Errorf("traj: %s: shape %s, want a 1-D array", path, shapeRepr(h.shape))
	}
	var out []int
	switch {
	case h.kind == 'i' && h.size == 1:
		out, err = readInts[int8](f, h)
	case h.kind == 'i' && h.size == 2:
		out, err = readInts[int16](f, h)
	case h.kind == 'i' && h.size == 4:
		out, err = readInts[int32](f, h)
	case h.kind == 'i':
		out, err = readInts[int64](f, h)
	case h.size == 1:
		out, err = readInts[uint8](f, h)
	case h.size == 2:
		out, err = readInts[uint16](f, h)
	case h.size == 4:
		out, err = readInts[uint32](f, h)
	default:
		var u []uint64
		if u, err = readWith[uint64](f, h); err == nil {
			out = make([]int, len(u))
			for i, v := range u {
				if v > math.MaxInt {
					return nil, fmt.Errorf("traj: %s: element %d = %d overflows int", path, i, v)
				}
				out[i] = int(v)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("traj: %s: %w", path, err)
	}
	return out, nil
}

// openNPY opens path, parses its header and checks that the file size is
// exactly header + product(shape)·itemsize. The returned file is
// positioned at offset 0.
func openNPY(path string) (*os.File, *npyHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("traj: %w", err)
	}
	h, err := readHeader(bufio.NewReader(f))
	if err == nil {
		err = checkSize(f, h)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("traj: %s: %w", path, err)
	}
	return f, h, nil
}

// checkSize compares the file size with the size the header implies.
func checkSize(f *os.File, h *npyHeader) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	got := st.Size() - h.dataOff
	switch {
	case got < h.dataSize:
		return fmt.Errorf("truncated: shape %s of '%s' needs %d data bytes, file has %d",
			shapeRepr(h.shape), h.descr, h.dataSize, got)
	case got > h.dataSize:
		return fmt.Errorf("corrupt: %d bytes after the %d data bytes of shape %s of '%s'",
			got-h.dataSize, h.dataSize, shapeRepr(h.shape), h.descr)
	}
	return nil
}

// readWith decodes the array with npyio into a []T. The header has already
// been validated by readHeader and checkSize; npyio's own header is
// cross-checked, and a panic inside npyio is turned into an error.
func readWith[T any](f *os.File, h *npyHeader) (v []T, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("npyio: %v", r)
		}
	}()
	r, err := npyio.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("npyio: %w", err)
	}
	if !sameShape(r.Header.Descr.Shape, h.shape) || r.Header.Descr.Fortran != h.fortran {
		return nil, fmt.Errorf("npyio reads header %v, this package %s shape %s", r.Header, h.descr, shapeRepr(h.shape))
	}
	n := 1
	for _, d := range h.shape {
		n *= d
	}
	v = make([]T, n)
	if n == 0 {
		return v, nil
	}
	if err := r.Read(&v); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("npyio: %w", err)
	}
	return v, nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// readConv reads a []T with npyio and converts it to float64.
func readConv[T number](f *os.File, h *npyHeader) ([]float64, error) {
	v, err := readWith[T](f, h)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out, nil
}

// readInts reads a []T of an integer type that always fits in int.
func readInts[T ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32](f *os.File, h *npyHeader) ([]int, error) {
	v, err := readWith[T](f, h)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out, nil
}

// Layout reads only the header of the 2-D little-endian float64 C-order
// .npy file at path (as NPYWriter writes) with the strict header parser and
// checks that the file size matches the shape exactly, so a truncated file
// is not taken for a complete one. It returns the shape and the byte offset
// of the first data byte, without reading the data.
func Layout(path string) (rows, cols int, dataOff int64, err error) {
	f, h, err := openNPY(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	if h.descr != "<f8" || h.fortran || len(h.shape) != 2 {
		return 0, 0, 0, fmt.Errorf("traj: %s: dtype '%s', fortran_order %v, shape %s; want a 2-D C-order '<f8' array",
			path, h.descr, h.fortran, shapeRepr(h.shape))
	}
	return h.shape[0], h.shape[1], h.dataOff, nil
}
