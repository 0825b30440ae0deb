package diffusion

import (
	"math"
	"path/filepath"
	"runtime"
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
		ancestral(z, math.Sqrt(c.sig2), math.Sqrt(c.sig2), r, respacedPredictor{g, r.tau}, corrector{}, m, newRNG(uint64(40+k)))
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
	ancestral(z, 1, math.Sqrt(c.sig2), s, g, corrector{}, m, newRNG(50))
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

	// The corrector changes the samples, is deterministic across
	// GOMAXPROCS, and survives Save and Load with the fields before it.
	c = base
	c.Corrector, c.SampleSteps = 2, 40
	corr := gen(c, 1.5)
	assert.NotEqual(t, gen(Config{KTRef: 1, Hidden: base.Hidden, SampleSteps: 40}, 1.5), corr, "the corrector did not change the samples")
	old := runtime.GOMAXPROCS(1)
	testutil.SameBits(t, "corrector samples at GOMAXPROCS 1 and the default", gen(c, 1.5), corr)
	runtime.GOMAXPROCS(old)
	q, err = New(c, newRNG(4))
	require.NoError(t, err)
	require.NoError(t, q.Save(path))
	back, err = Load(path)
	require.NoError(t, err)
	got = back.Config()
	assert.Equal(t, 2, got.Corrector)
	assert.Equal(t, DefaultCorrectorSNR, got.CorrectorSNR)
	assert.Equal(t, 40, got.SampleSteps)
	z, err = back.Sample(1.5, 100, 7)
	require.NoError(t, err)
	testutil.SameBits(t, "corrector samples after Save and Load", z, corr)
}

func TestSamplingConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{KTRef: 1, SampleSteps: 101}, "SampleSteps = 101"},
		{Config{KTRef: 1, SampleSteps: -1}, "SampleSteps = -1"},
		{Config{KTRef: 1, Sampler: 7}, "Config.Sampler = 7"},
		{Config{KTRef: 1, Corrector: -1}, "Corrector = -1"},
		{Config{KTRef: 1, Corrector: 101}, "Corrector = 101"},
		{Config{KTRef: 1, Corrector: 1, Sampler: ProbabilityFlow}, "needs the Ancestral sampler"},
		{Config{KTRef: 1, CorrectorSNR: 0.1}, "without corrector steps"},
		{Config{KTRef: 1, Corrector: 1, CorrectorSNR: -0.1}, "CorrectorSNR = -0.1"},
		{Config{KTRef: 1, Corrector: 1, CorrectorSNR: math.Inf(1)}, "CorrectorSNR = +Inf"},
		{Config{KTRef: 1, Corrector: 1, CorrectorSNR: math.NaN()}, "CorrectorSNR = NaN"},
		{Config{KTRef: 1, StepSampling: 2}, "StepSampling = 2"},
		{Config{KTRef: 1, InputFrequencies: -1}, "InputFrequencies = -1"},
		{Config{KTRef: 1, InputFrequencies: 33}, "InputFrequencies = 33"},
		{Config{KTRef: 1, InputMaxFrequency: 2}, "without input features"},
		{Config{KTRef: 1, InputGated: true}, "InputGated without input features"},
		{Config{KTRef: 1, InputFrequencies: 2, InputMaxFrequency: -1}, "InputMaxFrequency = -1"},
	} {
		_, err := New(c.cfg, newRNG(1))
		testutil.WantErr(t, err, c.want)
	}
}

// TestCorrectorGaussianExact runs the ancestral sampler with and without
// five Langevin corrector steps per level (r = 0.16) on the exact noise
// predictor of Gaussian data N(0, s²I), in the sampler's chunks of 64 rows.
// The corrector pulls every level towards its exact marginal, so it must
// shrink the discretisation error |var/s² − 1| of the sampler where that
// error is large: on the 20-step respacing (measured 0.19, 0.23, 0.09,
// 0.45 and 1.35 without, 0.08, 0.10, 0.05, 0.21 and 0.98 with) and for
// narrow data on all 100 steps (0.18 → 0.07). Each variance has a relative
// standard error of √(2/40000) = 0.71%; the test asks for a reduction of at
// least 4 SE of the difference (4·√2·0.71% = 4%).
func TestCorrectorGaussianExact(t *testing.T) {
	s, _ := NewLinear(DefaultSteps, DefaultBetaMin, DefaultBetaMax)
	r := respace(s, 20)
	const m, d = 20000, 2
	for k, c := range []struct {
		steps    int
		s2, sig2 float64
	}{{20, 0.25, 1}, {20, 0.5, 2.25}, {20, 3, 1}, {20, 0.1, 1}, {20, 0.02, 1}, {100, 0.02, 1}} {
		g := &gaussianEps{s2: c.s2, sig2: c.sig2, sched: s}
		var sched Schedule = s
		var pred predictor = g
		if c.steps < s.Len() {
			sched, pred = r, respacedPredictor{g, r.tau}
		}
		relErr := func(corr corrector) float64 {
			z := make([]float64, m*d)
			rng := newRNG(uint64(60 + k))
			for lo := 0; lo < m; lo += chunkRows {
				hi := min(m, lo+chunkRows)
				ancestral(z[lo*d:hi*d], math.Sqrt(c.sig2), math.Sqrt(c.sig2), sched, pred, corr, hi-lo, rng)
			}
			_, vr := moments(z, d)
			return math.Abs((vr[0]+vr[1])/(2*c.s2) - 1)
		}
		plain := relErr(corrector{})
		corrected := relErr(corrector{steps: 5, snr: DefaultCorrectorSNR, xi: make([]float64, chunkRows*d)})
		t.Logf("%d steps, s²=%g σ²=%g: |var/s² − 1| = %.3f without the corrector, %.3f with", c.steps, c.s2, c.sig2, plain, corrected)
		assert.Less(t, corrected, plain-4*math.Sqrt(2)*math.Sqrt(2.0/float64(m*d)),
			"%d steps, s²=%g σ²=%g: the corrector does not reduce the discretisation error (%.3f → %.3f)", c.steps, c.s2, c.sig2, plain, corrected)
	}
}
