package diffusion

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/ad"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRespace: the respaced schedule keeps the retained steps' ᾱ (so
// Π(1 − β') reproduces it, to 64 ε/ᾱ_τ relative: 1 − β' = ᾱ_τ/ᾱ_prev is
// recomputed from β' = 1 − ᾱ_τ/ᾱ_prev, which cancels when ᾱ_τ is small
// (ᾱ_99 ≈ 2.7e−5), times a product of ≤ 100 factors),
// runs from the first to the last training step, and is nil (the training
// schedule itself) for 0 or N steps.
func TestRespace(t *testing.T) {
	s, err := NewLinear(DefaultSteps, DefaultBetaMin, DefaultBetaMax)
	require.NoError(t, err)
	assert.Nil(t, respace(s, 0))
	assert.Nil(t, respace(s, DefaultSteps))
	for _, n := range []int{1, 2, 7, 20, 99} {
		r := respace(s, n)
		require.Equal(t, n, r.Len())
		assert.Equal(t, DefaultSteps-1, r.tau[n-1], "S=%d: last step", n)
		if n > 1 {
			assert.Equal(t, 0, r.tau[0], "S=%d: first step", n)
		}
		prod := 1.0
		for k := range n {
			if k > 0 {
				assert.Greater(t, r.tau[k], r.tau[k-1], "S=%d: steps not increasing at %d", n, k)
			}
			b := r.Beta(k)
			assert.True(t, b > 0 && b < 1, "S=%d: β'_%d = %g", n, k, b)
			prod *= 1 - b
			testutil.InDelta(t, 1, prod/s.AlphaBar(r.tau[k]), 64*2.2e-16/s.AlphaBar(r.tau[k]), "S=%d: Π(1−β') at %d over ᾱ_τ", n, k)
			assert.Equal(t, s.AlphaBar(r.tau[k]), r.AlphaBar(k))
		}
	}
}

// TestRespacedAncestralGaussianExact runs the ancestral sampler on 20
// respaced steps with the exact Gaussian noise predictor evaluated at the
// original steps τ_k (through respacedPredictor) and checks the sample
// variance against the exact recursion on the respaced schedule, which
// only holds if the network is asked about the right steps; tolerance 4
// standard errors of a variance from n·d = 40000 draws, as in
// TestAncestralGaussianExact. The recursion itself recovers the data
// variance to within 25% (deterministic: with 20 steps +20.2%, +22.6% and
// −9.7% for these cases, against +3.5%, +3.9% and −1.9% with all 100: coarse
// respacing of this schedule widens narrow distributions).
func TestRespacedAncestralGaussianExact(t *testing.T) {
	s, _ := NewLinear(DefaultSteps, DefaultBetaMin, DefaultBetaMax)
	r := respace(s, 20)
	const m, d = 20000, 2
	for k, c := range []struct{ s2, sig2 float64 }{{0.25, 1}, {0.5, 2.25}, {3, 1}} {
		g := &gaussianEps{s2: c.s2, sig2: c.sig2, sched: s}
		z := make([]float64, m*d)
		ancestral(z, math.Sqrt(c.sig2), math.Sqrt(c.sig2), r, respacedPredictor{g, r.tau}, m, newRNG(uint64(40+k)))
		_, vr := moments(z, d)
		want := ancestralVariance(r, c.s2, c.sig2)
		for j := range d {
			testutil.InDelta(t, 1, vr[j]/want, 4*math.Sqrt(2.0/float64(m*d)),
				"s²=%g σ²=%g: var[%d] = %.4f over the recursion's %.4f", c.s2, c.sig2, j, vr[j], want)
		}
		testutil.InDelta(t, 1, want/c.s2, 0.25, "s²=%g σ²=%g: 20-step sampler variance %.4f over the data's %.4f", c.s2, c.sig2, want, c.s2)
	}
}

// TestUnitStartGaussianExact: started from N(0, I) instead of N(0, σ²I), the
// sampler's variance follows the recursion from 1 (tolerance as above).
func TestUnitStartGaussianExact(t *testing.T) {
	s, _ := NewLinear(DefaultSteps, DefaultBetaMin, DefaultBetaMax)
	const m, d = 20000, 2
	c := struct{ s2, sig2 float64 }{0.5, 2.25}
	g := &gaussianEps{s2: c.s2, sig2: c.sig2, sched: s}
	z := make([]float64, m*d)
	ancestral(z, 1, math.Sqrt(c.sig2), s, g, m, newRNG(50))
	_, vr := moments(z, d)
	want := ancestralVarianceFrom(s, c.s2, c.sig2, 1)
	for j := range d {
		testutil.InDelta(t, 1, vr[j]/want, 4*math.Sqrt(2.0/float64(m*d)), "var[%d] = %.4f over the recursion's %.4f", j, vr[j], want)
	}
}

// TestSamplingSettings: Generate follows Config.Sampler, SampleSteps and
// UnitStart; SampleSteps = N is the default sampler bit for bit, and so is
// UnitStart at T = T_ref (σ_T = 1); the settings survive Save and Load, and
// a default prior's file keeps its 14-value configuration.
func TestSamplingSettings(t *testing.T) {
	base := Config{KTRef: 1, Hidden: []int{8, 16, 16, 8}}
	gen := func(c Config, T float64) []float64 {
		t.Helper()
		p, err := New(c, newRNG(4)) // same weights for every c
		require.NoError(t, err)
		z, err := p.Sample(T, 100, 7)
		require.NoError(t, err)
		return z
	}
	ref := gen(base, 1.5)
	c := base
	c.SampleSteps = DefaultSteps
	testutil.SameBits(t, "SampleSteps = N", gen(c, 1.5), ref)
	c.SampleSteps = 25
	assert.NotEqual(t, ref, gen(c, 1.5), "25 respaced steps gave the 100-step samples")
	c = base
	c.UnitStart = true
	testutil.SameBits(t, "UnitStart at T = T_ref", gen(c, 1), gen(base, 1))
	assert.NotEqual(t, ref, gen(c, 1.5), "UnitStart at T ≠ T_ref gave the scaled start's samples")
	c = base
	c.Sampler = ProbabilityFlow
	p, err := New(base, newRNG(4))
	require.NoError(t, err)
	flow, err := p.GenerateWith(ProbabilityFlow, []float64{1.5}, 100, 7)
	require.NoError(t, err)
	testutil.SameBits(t, "Config.Sampler = ProbabilityFlow", gen(c, 1.5), flow[0])

	dir := t.TempDir()
	def := filepath.Join(dir, "default.ckpt")
	require.NoError(t, p.Save(def))
	ts, err := ad.LoadTensors(def)
	require.NoError(t, err)
	i := slices.IndexFunc(ts, func(x ad.Tensor) bool { return x.Name == tagConfig })
	require.GreaterOrEqual(t, i, 0)
	assert.Equal(t, configFields, len(ts[i].Data), "a default prior's configuration length")

	c = base
	c.Sampler, c.SampleSteps, c.UnitStart = ProbabilityFlow, 30, true
	q, err := New(c, newRNG(4))
	require.NoError(t, err)
	path := filepath.Join(dir, "sampling.ckpt")
	require.NoError(t, q.Save(path))
	back, err := Load(path)
	require.NoError(t, err)
	got := back.Config()
	assert.Equal(t, ProbabilityFlow, got.Sampler)
	assert.Equal(t, 30, got.SampleSteps)
	assert.True(t, got.UnitStart)
	want, err := q.Sample(0.7, 70, 3)
	require.NoError(t, err)
	z, err := back.Sample(0.7, 70, 3)
	require.NoError(t, err)
	testutil.SameBits(t, "samples after Save and Load", z, want)
}

func TestSamplingConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{KTRef: 1, SampleSteps: 101}, "SampleSteps = 101"},
		{Config{KTRef: 1, SampleSteps: -1}, "SampleSteps = -1"},
		{Config{KTRef: 1, Sampler: 7}, "Config.Sampler = 7"},
	} {
		_, err := New(c.cfg, newRNG(1))
		testutil.WantErr(t, err, c.want)
	}
}
