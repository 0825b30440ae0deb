package ad

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/dspib/dspib/internal/atomicfile"
	"hash/crc64"
	"io"
	"math"
	"os"
)

// Tensor is a named matrix as stored in a checkpoint.
type Tensor struct {
	Name       string
	Rows, Cols int
	Data       []float64 // Rows×Cols, row-major
}

const (
	checkpointMagic   = "DSPIBAD\x00"
	checkpointVersion = 1
	maxNameLen        = 1 << 16
)

var crcTable = crc64.MakeTable(crc64.ECMA)

// WriteTensors writes ts to w in the checkpoint format, version 1. All
// integers and floats are little-endian:
//
//	magic    8 bytes  "DSPIBAD\x00"
//	version  uint32   1
//	count    uint32   number of tensors
//	count × { nameLen uint32, name [nameLen]byte (UTF-8),
//	          rows uint32, cols uint32, data [rows·cols]float64 (IEEE 754) }
//	checksum uint64   CRC-64/ECMA-182 of every preceding byte
//
// Tensor names are unique. SaveCheckpoint stores each parameter under its
// Name and, if an optimiser is given, the scalars "adam.step" and "adam.lr"
// (1×1) and each parameter's moments as "adam.m/"+Name and "adam.v/"+Name.
func WriteTensors(w io.Writer, ts []Tensor) error {
	seen := make(map[string]bool, len(ts))
	h := crc64.New(crcTable)
	bw := bufio.NewWriter(io.MultiWriter(w, h))
	var buf [8]byte
	u32 := func(v uint32) {
		binary.LittleEndian.PutUint32(buf[:4], v)
		bw.Write(buf[:4])
	}
	bw.WriteString(checkpointMagic)
	u32(checkpointVersion)
	u32(uint32(len(ts)))
	for i, t := range ts {
		if seen[t.Name] {
			return fmt.Errorf("ad: WriteTensors: duplicate tensor name %q (index %d)", t.Name, i)
		}
		seen[t.Name] = true
		if len(t.Name) > maxNameLen {
			return fmt.Errorf("ad: WriteTensors: tensor %d name is %d bytes, max %d", i, len(t.Name), maxNameLen)
		}
		if t.Rows < 0 || t.Cols < 0 || len(t.Data) != t.Rows*t.Cols || uint64(t.Rows) > math.MaxUint32 || uint64(t.Cols) > math.MaxUint32 {
			return fmt.Errorf("ad: WriteTensors: tensor %q is %d×%d but has %d values", t.Name, t.Rows, t.Cols, len(t.Data))
		}
		u32(uint32(len(t.Name)))
		bw.WriteString(t.Name)
		u32(uint32(t.Rows))
		u32(uint32(t.Cols))
		for _, v := range t.Data {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
			bw.Write(buf[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("ad: WriteTensors: %w", err)
	}
	binary.LittleEndian.PutUint64(buf[:], h.Sum64())
	if _, err := w.Write(buf[:]); err != nil {
		return fmt.Errorf("ad: WriteTensors: %w", err)
	}
	return nil
}

// ReadTensors reads a checkpoint written by WriteTensors, verifying the magic,
// version and checksum.
func ReadTensors(r io.Reader) ([]Tensor, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("ad: ReadTensors: %w", err)
	}
	if len(raw) < len(checkpointMagic)+8+8 || string(raw[:len(checkpointMagic)]) != checkpointMagic {
		return nil, errors.New("ad: ReadTensors: not a checkpoint (bad magic or too short)")
	}
	body, sum := raw[:len(raw)-8], binary.LittleEndian.Uint64(raw[len(raw)-8:])
	if got := crc64.Checksum(body, crcTable); got != sum {
		return nil, fmt.Errorf("ad: ReadTensors: checksum mismatch (stored %016x, computed %016x): file corrupt or truncated", sum, got)
	}
	br := bytes.NewReader(body[len(checkpointMagic):])
	var u32err error
	u32 := func() uint32 {
		var b [4]byte
		if _, err := io.ReadFull(br, b[:]); err != nil && u32err == nil {
			u32err = err
		}
		return binary.LittleEndian.Uint32(b[:])
	}
	if v := u32(); v != checkpointVersion {
		return nil, fmt.Errorf("ad: ReadTensors: version %d, this code reads %d", v, checkpointVersion)
	}
	count := int(u32())
	var ts []Tensor
	seen := map[string]bool{}
	for i := 0; i < count; i++ {
		nl := int(u32())
		if u32err != nil || nl > br.Len() {
			return nil, fmt.Errorf("ad: ReadTensors: tensor %d: truncated header", i)
		}
		name := make([]byte, nl)
		io.ReadFull(br, name)
		rows, cols := int(u32()), int(u32())
		// rows, cols < 2^32, so the product cannot overflow a uint64.
		if u32err != nil || uint64(rows)*uint64(cols) > uint64(br.Len()/8) {
			return nil, fmt.Errorf("ad: ReadTensors: tensor %q: %d×%d does not fit in the file", name, rows, cols)
		}
		if seen[string(name)] {
			return nil, fmt.Errorf("ad: ReadTensors: duplicate tensor %q", name)
		}
		seen[string(name)] = true
		t := Tensor{Name: string(name), Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
		var b [8]byte
		for j := range t.Data {
			io.ReadFull(br, b[:])
			t.Data[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[:]))
		}
		ts = append(ts, t)
	}
	if br.Len() != 0 {
		return nil, fmt.Errorf("ad: ReadTensors: %d trailing bytes after %d tensors", br.Len(), count)
	}
	return ts, nil
}

// SaveTensors writes ts to path atomically (internal/atomicfile): the bytes
// go to path.part, which is synced and renamed over path, so a crash leaves
// either the old file or the new one, and the only leftover of a kill -9 is
// path.part under a fixed name, which the next save overwrites.
func SaveTensors(path string, ts []Tensor) error {
	err := atomicfile.Write(path, func(w io.Writer) error { return WriteTensors(w, ts) })
	if err != nil {
		return fmt.Errorf("ad: SaveTensors: %w", err)
	}
	return nil
}

// LoadTensors reads a file written by SaveTensors.
func LoadTensors(path string) ([]Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ad: LoadTensors: %w", err)
	}
	defer f.Close()
	ts, err := ReadTensors(f)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return ts, nil
}

// ParamTensors returns the parameters as tensors (sharing their Data).
func ParamTensors(ps []*Param) []Tensor {
	ts := make([]Tensor, len(ps))
	for i, p := range ps {
		ts[i] = Tensor{Name: p.Name, Rows: p.Rows, Cols: p.Cols, Data: p.Data}
	}
	return ts
}

// StateTensors returns the optimiser state as tensors (sharing its buffers):
// "adam.step", "adam.lr" and the moments "adam.m/"+Name, "adam.v/"+Name.
func (a *Adam) StateTensors() []Tensor {
	ts := []Tensor{
		{Name: "adam.step", Rows: 1, Cols: 1, Data: []float64{float64(a.t)}},
		{Name: "adam.lr", Rows: 1, Cols: 1, Data: []float64{a.lr}},
	}
	for i, p := range a.params {
		ts = append(ts,
			Tensor{Name: "adam.m/" + p.Name, Rows: p.Rows, Cols: p.Cols, Data: a.m[i]},
			Tensor{Name: "adam.v/" + p.Name, Rows: p.Rows, Cols: p.Cols, Data: a.v[i]})
	}
	return ts
}

// SaveCheckpoint writes the parameters, the optimiser state (opt may be nil)
// and any extra tensors to path atomically (see SaveTensors and the format
// above).
func SaveCheckpoint(path string, ps []*Param, opt *Adam, extra ...Tensor) error {
	ts := ParamTensors(ps)
	if opt != nil {
		ts = append(ts, opt.StateTensors()...)
	}
	ts = append(ts, extra...)
	return SaveTensors(path, ts)
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint into ps (and
// opt, if non-nil) and returns the remaining (extra) tensors. A missing
// tensor or a shape mismatch is an error naming the tensor and both shapes;
// nothing is modified unless every tensor matches.
func LoadCheckpoint(path string, ps []*Param, opt *Adam) (extra []Tensor, err error) {
	ts, err := LoadTensors(path)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*Tensor, len(ts))
	for i := range ts {
		byName[ts[i].Name] = &ts[i]
	}
	want := ParamTensors(ps)
	if opt != nil {
		want = append(want, opt.StateTensors()...)
	}
	used := make(map[string]bool, len(want))
	for _, w := range want {
		got, ok := byName[w.Name]
		if !ok {
			return nil, fmt.Errorf("ad: LoadCheckpoint %s: tensor %q (%d×%d) missing", path, w.Name, w.Rows, w.Cols)
		}
		if got.Rows != w.Rows || got.Cols != w.Cols {
			return nil, fmt.Errorf("ad: LoadCheckpoint %s: tensor %q is %d×%d in the file but %d×%d in the model",
				path, w.Name, got.Rows, got.Cols, w.Rows, w.Cols)
		}
		used[w.Name] = true
	}
	if opt != nil {
		st := byName["adam.step"].Data[0]
		if st < 0 || st != math.Trunc(st) {
			return nil, fmt.Errorf("ad: LoadCheckpoint %s: adam.step = %g, want a non-negative integer", path, st)
		}
	}
	for _, w := range want {
		copy(w.Data, byName[w.Name].Data)
	}
	if opt != nil {
		opt.t = int(byName["adam.step"].Data[0])
		opt.lr = byName["adam.lr"].Data[0]
	}
	for _, t := range ts {
		if !used[t.Name] {
			extra = append(extra, t)
		}
	}
	return extra, nil
}
