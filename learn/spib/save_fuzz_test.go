package spib

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzLoad feeds Load an arbitrary JSON sidecar and checkpoint file.
// Properties: no panic; the architecture the sidecar claims is allocated
// only if the checkpoint is large enough to hold its weights; and what loads
// round-trips: Save of the loaded model loads back with the same sidecar
// fields and the same tensors, bit for bit.
func FuzzLoad(f *testing.F) {
	seed := func(cfg Config, D, K int) (sidecar, ckpt []byte) {
		cfg, err := cfg.Validate()
		require.NoError(f, err)
		m := NewModel(cfg, D, K, Standardizer{Mean: make([]float64, D), Std: make([]float64, D)}, newRand(4))
		for i := range m.RepInputs {
			m.RepInputs[i] = float64(i) - 0.5
		}
		path := filepath.Join(f.TempDir(), "m")
		require.NoError(f, m.Save(path))
		sidecar, err = os.ReadFile(path + ".json")
		require.NoError(f, err)
		ckpt, err = os.ReadFile(path)
		require.NoError(f, err)
		return sidecar, ckpt
	}
	sc, ck := seed(Config{Hidden1: 3, Hidden2: 2, LatentDim: 1}, 2, 3)
	f.Add(sc, ck)
	f.Add(sc, ck[:len(ck)/2])
	f.Add(sc[:len(sc)/2], ck)
	sc2, ck2 := seed(Config{Encoder: Linear, LogVar: PerSampleLogVar, Workers: 1}, 1, 1)
	f.Add(sc2, ck2)
	// The sidecar claims an architecture far larger than the checkpoint.
	f.Add([]byte(`{"format": "dspib/spib-model/v1", "config": {"hidden1": 4294967296}, "d_in": 2, "states": 3}`), ck)
	f.Add([]byte(`{"format": "dspib/spib-model/v1", "config": {}, "d_in": 9223372036854775807, "states": 2}`), ck)
	f.Add([]byte(`{"format": "dspib/spib-model/v1", "config": {"latent_dim": 3037000500, "hidden2": 3037000500}, "d_in": 1, "states": 1}`), ck)
	f.Add([]byte(`{"format": "dspib/spib-model/v1", "config": {"encoder": "linear"}, "d_in": 1000000, "states": 1000000}`), ck)

	f.Fuzz(func(t *testing.T, sidecar, ckpt []byte) {
		path := filepath.Join(t.TempDir(), "m")
		require.NoError(t, os.WriteFile(path+".json", sidecar, 0o644))
		require.NoError(t, os.WriteFile(path, ckpt, 0o644))
		m, err := Load(path)
		if err != nil {
			require.Nil(t, m)
			return
		}
		values := len(m.RepInputs) + len(m.Std.Mean) + len(m.Std.Std)
		for _, p := range m.Params() {
			values += len(p.Data)
		}
		require.LessOrEqual(t, 8*values, len(ckpt), "more values than the checkpoint holds")
		out := filepath.Join(filepath.Dir(path), "out")
		require.NoError(t, m.Save(out))
		back, err := Load(out)
		require.NoError(t, err)
		require.Equal(t, m.Config(), back.Config())
		require.Equal(t, [2]int{m.D, m.K}, [2]int{back.D, back.K})
		same := func(name string, a, b []float64) {
			require.Len(t, b, len(a), name)
			for i := range a {
				require.Equal(t, math.Float64bits(a[i]), math.Float64bits(b[i]), "%s[%d]", name, i)
			}
		}
		for i, p := range m.Params() {
			same(p.Name, p.Data, back.Params()[i].Data)
		}
		same("rep.inputs", m.RepInputs, back.RepInputs)
		same("std.mean", m.Std.Mean, back.Std.Mean)
		same("std.std", m.Std.Std, back.Std.Std)
	})
}
