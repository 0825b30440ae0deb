package traj

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/require"
)

// FuzzReadMetadata feeds ReadMetadata arbitrary files. Properties: no
// panic; at most 256 bytes allocated per file byte plus 1 MiB (JSON
// decoding, never a size the file claims); and what reads OK round-trips:
// WriteJSON of the result reads back equal (Potential compared as compact
// JSON, Created as an instant, an empty map as an absent one).
func FuzzReadMetadata(f *testing.F) {
	m := NewMetadata("lj7-2d")
	m.Potential = json.RawMessage(`{"epsilon": 1, "sigma": [1, 2], "name": "x"}`)
	m.Temperatures = []float64{0.2, -0.0, 1e-300}
	m.Integrator = IntegratorInfo{Name: "BAOAB", Dt: 0.005, Gamma: 1, Mass: 1, Params: map[string]float64{"x": 0.25}}
	m.Seeds = []uint64{0, 1<<64 - 1}
	m.Stride, m.Steps, m.Frames = 100, 10_000_000, 100_000
	m.Files = map[string]string{"traj_T0.2": "traj_T0.2.npy"}
	m.Extra = map[string]any{"note": "ünïcode \u2028", "n": 3.0, "nested": []any{nil, true, map[string]any{}}}
	full := written(f, func(p string) error { return WriteJSON(p, m) })
	f.Add(full)
	f.Add(full[:len(full)/2])
	f.Add(written(f, func(p string) error { return WriteJSON(p, NewMetadata("")) }))
	f.Add([]byte(`{"system": "x", "temperature": [1]}`))
	f.Add([]byte(`{"potential": null, "created": "2025-01-02T03:04:05.999999999+23:59", "seeds": [18446744073709551616]}`))
	f.Add([]byte(`{"system": "x"} {}`))
	f.Add([]byte(`{"extra": {"a": [[[[[[[[[[[[[[[[[[[[1e308]]]]]]]]]]]]]]]]]]]]}, "steps": -9223372036854775808}`))
	f.Add([]byte("{\"system\": \"\xff\xfe\", \"files\": {\"\": \"\\ud800\"}}"))

	f.Fuzz(func(t *testing.T, in []byte) {
		path := testutil.WriteTemp(t, "in.json", in)
		var got *Metadata
		var err error
		n := testutil.Allocated(func() { got, err = ReadMetadata(path) })
		require.LessOrEqual(t, n, uint64(256*len(in)+1<<20), "allocated for a %d-byte file", len(in))
		if err != nil {
			require.Nil(t, got)
			return
		}
		out := filepath.Join(filepath.Dir(path), "out.json")
		require.NoError(t, WriteJSON(out, got))
		back, err := ReadMetadata(out)
		require.NoError(t, err)
		require.True(t, back.Created.Equal(got.Created), "created %v, want %v", back.Created, got.Created)
		back.Created = got.Created
		require.Equal(t, compactJSON(t, got.Potential), compactJSON(t, back.Potential))
		back.Potential = got.Potential
		// omitempty drops empty maps: {} is written as nothing, read as nil.
		for _, m := range []*Metadata{got, back} {
			if len(m.Files) == 0 {
				m.Files = nil
			}
			if len(m.Extra) == 0 {
				m.Extra = nil
			}
			if len(m.Integrator.Params) == 0 {
				m.Integrator.Params = nil
			}
		}
		require.Equal(t, got, back)
	})
}

// compactJSON returns raw without insignificant white space.
func compactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	if raw == nil {
		return ""
	}
	var b bytes.Buffer
	require.NoError(t, json.Compact(&b, raw))
	return b.String()
}
