package ad

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/require"
)

// FuzzReadTensors feeds ReadTensors arbitrary bytes. With fixCRC the input
// is taken as the body of a file and its checksum appended, so mutations of
// the header (count, name lengths, rows, cols) reach the parser; without it
// the input is the whole file, checksum included.
//
// Properties: ReadTensors never panics; it allocates at most 8 bytes per
// input byte (plus 1 MiB), whatever the header claims, and the values it
// returns fit in the input; and
// what it accepts is canonical: WriteTensors of the result reproduces the
// input byte for byte.
func FuzzReadTensors(f *testing.F) {
	valid := func(ts []Tensor) []byte {
		var b bytes.Buffer
		require.NoError(f, WriteTensors(&b, ts))
		return b.Bytes()
	}
	full := valid([]Tensor{
		{Name: "enc.W", Rows: 2, Cols: 3, Data: []float64{1, -2, 3.5, math.Inf(1), -0.0, math.SmallestNonzeroFloat64}},
		{Name: "adam.step", Rows: 1, Cols: 1, Data: []float64{7}},
		{Name: "", Rows: 0, Cols: 5, Data: []float64{}},
	})
	empty := valid(nil)
	_, err := ReadTensors(bytes.NewReader(full))
	require.NoError(f, err, "the valid seed must read")
	body := full[:len(full)-8]
	for _, in := range [][]byte{full, empty, full[:len(full)/2], full[:len(checkpointMagic)+4]} {
		f.Add(in, false)
	}
	f.Add(body, true)
	f.Add(empty[:len(empty)-8], true)
	f.Add(body[:len(body)-8], true) // last value missing
	// Header claims far beyond the file: count, name length, rows × cols.
	for _, edit := range []struct {
		off int
		v   uint32
	}{{12, math.MaxUint32}, {16, math.MaxUint32}, {16 + 4 + 5, 1 << 31}, {16 + 4 + 5 + 4, math.MaxUint32}} {
		b := bytes.Clone(body)
		binary.LittleEndian.PutUint32(b[edit.off:], edit.v)
		f.Add(b, true)
	}

	f.Fuzz(func(t *testing.T, in []byte, fixCRC bool) {
		raw := testutil.TensorFileInput(in, fixCRC)
		var ts []Tensor
		var err error
		n := testutil.Allocated(func() { ts, err = ReadTensors(bytes.NewReader(raw)) })
		require.LessOrEqual(t, n, uint64(8*len(raw)+1<<20), "allocated for a %d-byte file", len(raw))
		if err != nil {
			require.Nil(t, ts)
			return
		}
		size := 0
		for _, x := range ts {
			require.Equal(t, x.Rows*x.Cols, len(x.Data), "tensor %q", x.Name)
			size += 12 + len(x.Name) + 8*len(x.Data)
		}
		require.LessOrEqual(t, size, len(raw), "tensors larger than the file")
		var out bytes.Buffer
		require.NoError(t, WriteTensors(&out, ts))
		require.Equal(t, raw, out.Bytes(), "write(read(x)) != x")
	})
}
