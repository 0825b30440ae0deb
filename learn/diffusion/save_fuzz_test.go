package diffusion

import (
	"bytes"
	"math"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/ad"
	"github.com/stretchr/testify/require"
)

// FuzzFromTensors feeds a learn/ad tensor file of arbitrary bytes to
// FromTensors, the reader behind Load and D-SPIB's checkpoint. With fixCRC
// the input is a file body whose CRC-64/ECMA is appended, so that mutated
// configurations reach FromTensors.
//
// Properties: no panic; FromTensors allocates at most 64 bytes per stored
// value plus a schedule of at most maxStoredSteps steps, whatever the
// configuration claims (a prior's weights are all stored, so a network
// larger than the file is refused first); and what loads round-trips:
// FromTensors(p.Tensors()) gives the same tensors, bit for bit.
func FuzzFromTensors(f *testing.F) {
	// The schedule (β and ᾱ per step), the embedding and slack: not
	// bounded by the stored values.
	const maxSchedBytes = 2*8*maxStoredSteps + 1<<20
	file := func(ts []ad.Tensor) []byte {
		var b bytes.Buffer
		require.NoError(f, ad.WriteTensors(&b, ts))
		return b.Bytes()
	}
	for _, emb := range []Embedding{Smooth, Fourier} {
		cfg := tinyConfig(emb, SiLU)
		cfg.Hidden = []int{3, 3}
		p, err := New(cfg, newRNG(3))
		require.NoError(f, err)
		ts := p.Tensors()
		raw := file(ts)
		f.Add(raw, false)
		f.Add(raw[:len(raw)-8], true)
		// Claims: 2³⁰-wide layers, 2³⁰ steps or a 2³⁰-long Fourier
		// embedding, each with the stored tensors unchanged.
		for _, edit := range []struct {
			tensor string
			i      int
			v      float64
		}{{tagHidden, 0, 1 << 30}, {tagHidden, 1, 1 << 30}, {tagConfig, 2, 1 << 30}, {tagConfig, 9, 1 << 30},
			{tagConfig, 1, 1 << 30}, {tagConfig, 0, 2}, {tagConfig, 4, math.NaN()}, {tagConfig, 12, 1 << 30}} {
			bad := make([]ad.Tensor, len(ts))
			copy(bad, ts)
			for k, t := range bad {
				if t.Name == edit.tensor {
					bad[k].Data = append([]float64(nil), t.Data...)
					bad[k].Data[edit.i] = edit.v
				}
			}
			b := file(bad)
			f.Add(b[:len(b)-8], true)
		}
	}

	f.Fuzz(func(t *testing.T, in []byte, fixCRC bool) {
		ts, err := ad.ReadTensors(bytes.NewReader(testutil.TensorFileInput(in, fixCRC)))
		if err != nil {
			return
		}
		stored, params := 0, 0
		for _, x := range ts {
			stored += len(x.Data)
		}
		var p *Prior
		n := testutil.Allocated(func() { p, err = FromTensors(ts) })
		require.LessOrEqual(t, n, uint64(64*stored+maxSchedBytes), "allocated for %d stored values", stored)
		if err != nil {
			require.Nil(t, p)
			return
		}
		for _, q := range p.Params() {
			params += len(q.Data)
		}
		require.LessOrEqual(t, params, stored, "more parameters than stored values")
		q, err := FromTensors(p.Tensors())
		require.NoError(t, err)
		want, got := p.Tensors(), q.Tensors()
		require.Len(t, got, len(want))
		for i := range want {
			require.Equal(t, [3]any{want[i].Name, want[i].Rows, want[i].Cols}, [3]any{got[i].Name, got[i].Rows, got[i].Cols})
			for j, v := range want[i].Data {
				require.Equal(t, math.Float64bits(v), math.Float64bits(got[i].Data[j]), "%s[%d]", want[i].Name, j)
			}
		}
	})
}
