package diffusion

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dspib/dspib/learn/ad"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, c := range []struct {
		emb  Embedding
		proc Process
		cp   Coupling
		inF  int
	}{{Smooth, DDPM, CouplingEmbedded, 0}, {Fourier, DDPM, CouplingEmbedded, 0}, {Smooth, VP, CouplingEmbedded, 0},
		{Smooth, DDPM, CouplingLinear, 0}, {Fourier, DDPM, CouplingEmbeddedLinear, 0}, {Smooth, DDPM, CouplingEmbedded, 3}} {
		emb := c.emb
		cfg := tinyConfig(emb, ReLU)
		cfg.Exponent, cfg.KTRef, cfg.Process, cfg.Coupling = 0.5, 0.7, c.proc, c.cp
		if c.inF > 0 {
			cfg.InputFrequencies, cfg.InputMaxFrequency, cfg.InputGated = c.inF, 1.5, true
		}
		if c.proc == VP {
			cfg.StepSampling = StepsELBO
		}
		if c.cp == CouplingEmbeddedLinear {
			cfg.Experts = 3
		}
		p, err := New(cfg, newRNG(61))
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "prior.ckpt")
		require.NoError(t, p.Save(path))
		q, err := Load(path)
		require.NoError(t, err)
		pc, qc := p.Config(), q.Config()
		if !slices.Equal(pc.Hidden, qc.Hidden) || pc.Exponent != qc.Exponent || pc.KTRef != qc.KTRef ||
			pc.Embedding != qc.Embedding || pc.Act != qc.Act || pc.Replicas != qc.Replicas || pc.Steps != qc.Steps ||
			pc.Process != qc.Process || pc.BetaMin != qc.BetaMin || pc.BetaMax != qc.BetaMax || pc.Coupling != qc.Coupling || pc.Experts != qc.Experts ||
			pc.InputFrequencies != qc.InputFrequencies || pc.InputMaxFrequency != qc.InputMaxFrequency || pc.StepSampling != qc.StepSampling ||
			pc.InputGated != qc.InputGated {
			assert.Fail(t, "config differs after Save/Load", "%v: config %+v, loaded %+v", emb, pc, qc)
		}
		a, _ := p.Generate([]float64{0.7, 1.3}, 70, 5)
		b, _ := q.Generate([]float64{0.7, 1.3}, 70, 5)
		for k := range a {
			assert.True(t, slices.Equal(a[k], b[k]), "%v: generation differs after Save/Load (temps[%d])", emb, k)
		}
		// In-memory round trip, as D-SPIB embeds the prior in its checkpoint.
		m, err := FromTensors(append([]ad.Tensor{{Name: "other", Rows: 1, Cols: 1, Data: []float64{1}}}, p.Tensors()...))
		require.NoError(t, err)
		mg, _ := m.Generate([]float64{0.7, 1.3}, 70, 5)
		assert.True(t, slices.Equal(a[0], mg[0]), "%v: generation differs after Tensors/FromTensors", emb)
		// LoadWeights into a prior of the same configuration but other weights.
		r, _ := New(cfg, newRNG(62))
		require.NoError(t, r.LoadWeights(path))
		c, _ := r.Generate([]float64{0.7, 1.3}, 70, 5)
		assert.True(t, slices.Equal(a[1], c[1]), "%v: generation differs after LoadWeights", emb)
	}
}

func TestLoadMismatch(t *testing.T) {
	dir := t.TempDir()
	small, _ := New(tinyConfig(Smooth, SiLU), newRNG(63))
	path := filepath.Join(dir, "small.ckpt")
	require.NoError(t, small.Save(path))
	// A prior with other widths must refuse the file, naming what differs.
	cfg := tinyConfig(Smooth, SiLU)
	cfg.Hidden = []int{4, 8, 8, 3}
	big, _ := New(cfg, newRNG(64))
	before := slices.Clone(big.Params()[0].Data)
	err := big.LoadWeights(path)
	assert.ErrorContains(t, err, "diffusion.hidden[1] = 6 in the file but 8", "LoadWeights of another architecture")
	assert.True(t, slices.Equal(before, big.Params()[0].Data), "failed LoadWeights modified the prior")
	// A file whose stored configuration disagrees with its tensors.
	ts, err := ad.LoadTensors(path)
	require.NoError(t, err)
	for i := range ts {
		if ts[i].Name == "eps.1.W" { // 6×4: make it 6×3
			ts[i].Cols, ts[i].Data = 3, ts[i].Data[:18]
		}
	}
	bad := filepath.Join(dir, "bad.ckpt")
	require.NoError(t, ad.SaveTensors(bad, ts))
	_, err = Load(bad)
	assert.ErrorContains(t, err, `"eps.1.W" is 6×3 in the file but 6×4`, "Load with a mis-shaped tensor")
	// Not a prior at all, and not a checkpoint at all.
	other := filepath.Join(dir, "other.ckpt")
	require.NoError(t, ad.SaveTensors(other, []ad.Tensor{{Name: "x", Rows: 1, Cols: 1, Data: []float64{1}}}))
	_, err = Load(other)
	assert.ErrorContains(t, err, "not a diffusion prior", "Load of a foreign checkpoint")
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("hello"), 0o644)
	_, err = Load(junk)
	assert.Error(t, err, "Load of a junk file")
}
