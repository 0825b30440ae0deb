package diffusion

import (
	"math"
	"testing"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test mixture: three isotropic Gaussians (sd 0.35) at distance 1.5 from
// the origin, at kT = T_ref = 1 (σ_T = 1, comparable to the data scale).
var (
	mixCentres = [][2]float64{{-1.5, 0}, {1.5, 0}, {0, 1.5}}
	mixSD      = 0.35
	// klCfg: 15×15 bins on common edges, 1e−4 added per bin. With 8000
	// points per set this resolves the three modes while keeping the
	// finite-sample floor (two independent draws of the mixture) near 0.015.
	klCfg = analysis.KLConfig{Bins: 15, Eps: 1e-4}
)

const klN = 8000

// mixtureKL returns the symmetrised KL between the n×2 points x and a fresh
// draw of klN points of the test mixture.
func mixtureKL(t *testing.T, x []float64, seed uint64) float64 {
	t.Helper()
	kl, err := analysis.SymKL(x, nil, mixture2D(klN, mixCentres, mixSD, newRNG(seed)), nil, klCfg)
	require.NoError(t, err)
	return kl
}

// TestExactMixtureSampler runs both samplers with the exact noise predictor
// of the test mixture (no network): the generated histogram must be as
// close to the mixture as the sampler's discretisation allows. The
// finite-sample floor (mixture vs mixture) and a moment-matched single
// Gaussian (what a prior that missed the modes gives) bracket the result;
// measured: floor 0.015, exact ancestral 0.020, exact probability flow
// 0.017, Gaussian 1.05. We require < 0.04, far from the Gaussian.
func TestExactMixtureSampler(t *testing.T) {
	s, _ := NewLinear(DefaultSteps, DefaultBetaMin, DefaultBetaMax)
	floor := mixtureKL(t, mixture2D(klN, mixCentres, mixSD, newRNG(33)), 32)
	for _, smp := range []Sampler{Ancestral, ProbabilityFlow} {
		g := &mixtureEps{centres: mixCentres, s2: mixSD * mixSD, sig2: 1, sched: s}
		z := make([]float64, 2*klN)
		if smp == Ancestral {
			ancestral(z, 1, 1, s, g, corrector{}, klN, newRNG(31))
		} else {
			probabilityFlow(z, make([]float64, 2*klN), 1, s, g, klN, newRNG(31))
		}
		kl := mixtureKL(t, z, 32)
		t.Logf("%v: sym KL exact sampler %.4f, floor %.4f", smp, kl, floor)
		assert.LessOrEqual(t, kl, 0.04, "%v with the exact predictor: sym KL to the mixture (floor %.4f)", smp, floor)
	}
}

// TestTrainMixture trains a prior (reduced widths 16–32–32–16 to keep the
// test short; the reference widths are benchmarked) on 3000 draws of the
// test mixture and checks that (a) the diffusion loss decreases: the last
// epoch's mean loss is below 60% of the first (measured: 0.261 → 0.114; the
// epoch mean over 3000×8×2 squared errors has a relative SE of ~1%), and
// (b) 8000 generated samples match the mixture: sym KL < 0.15 with floor
// 0.015, the exact predictor ≈ 0.02, a moment-matched Gaussian 1.05 and the
// mixture with its sd widened from 0.35 to 0.45 about 0.10 (measured for
// this seed: 0.075).
func TestTrainMixture(t *testing.T) {
	const n = 3000
	x := mixture2D(n, mixCentres, mixSD, newRNG(41))
	cfg := TrainConfig{Prior: Config{Hidden: []int{16, 32, 32, 16}, Replicas: 8},
		Epochs: 40, BatchSize: 64, Adam: adamLR(3e-3), LRDecay: 0.95}
	p, hist, err := Train(x, fill(n, 1), cfg, newRNG(42))
	require.NoError(t, err)
	require.Len(t, hist, cfg.Epochs, "loss history epochs")
	first, last := hist[0], hist[len(hist)-1]
	t.Logf("loss: first epoch %.4f, last %.4f", first, last)
	assert.Less(t, last, 0.6*first, "loss did not decrease: last epoch against 0.6 × the first")
	assert.Equal(t, 1.0, p.Config().KTRef, "KTRef, want the lowest training temperature")
	g, err := p.Sample(1, klN, 43)
	require.NoError(t, err)
	kl := mixtureKL(t, g, 44)
	t.Logf("sym KL generated vs mixture: %.4f", kl)
	assert.LessOrEqual(t, kl, 0.15, "sym KL generated vs mixture")
}

// TestTemperatureConditioning trains on two temperatures of an analytic
// family, 2-D Gaussians N(0, T·I) at kT = 1 and 2 with a = 1 (σ_T = T/T_ref,
// the reference exponent), and generates at the held-out kT = 1.5.
//
// Why a = 1: with a = ½ the noise variance σ_T² ∝ T scales exactly like this
// family, and the exact noise predictor √(1−ᾱ)σ_T²z/(ᾱT + (1−ᾱ)σ_T²) no
// longer depends on T, so a network ignoring T would pass. With a = 1 it is
// √(1−ᾱ)·T·z/(ᾱ + (1−ᾱ)T): the network has to use T.
//
// Expected value: the exact predictor run through this sampler gives the
// variance ancestralVariance(T, T²) (1.513 at T = 1.5, within 1% of T).
// Tolerance: 4000×2 draws give a relative SE of √(2/8000) = 1.6% on the
// mean variance over both coordinates, and the training error of this small
// run is about ±5% per coordinate (measured here: 1.464, −3.2%); we allow
// 10% and also require the variance to lie strictly between those
// generated at kT = 1 and 2.
// (An exploratory run with the reference Fourier embedding, same data and
// budget, gave 5.5 at kT = 1.5: it does not interpolate, see docs/method.md §3.)
func TestTemperatureConditioning(t *testing.T) {
	const n = 3000
	rng := newRNG(51)
	x, temps := twoTemperatureGaussians(rng, n)
	cfg := TrainConfig{Prior: Config{Hidden: []int{16, 32, 32, 16}, Replicas: 8, Exponent: 1},
		Epochs: 40, BatchSize: 64, Adam: adamLR(3e-3), LRDecay: 0.95}
	p, _, err := Train(x, temps, cfg, newRNG(52))
	require.NoError(t, err)
	const m = 4000
	gen, err := p.Generate([]float64{1, 1.5, 2}, m, 53)
	require.NoError(t, err)
	v := make([]float64, 3)
	for k, g := range gen {
		_, vr := moments(g, 2)
		v[k] = (vr[0] + vr[1]) / 2
	}
	want := ancestralVariance(p.Schedule(), 1.5, 1.5*1.5)
	t.Logf("generated variance at kT 1, 1.5, 2: %.4f %.4f %.4f; exact sampler at 1.5: %.4f", v[0], v[1], v[2], want)
	assert.True(t, v[0] < v[1] && v[1] < v[2], "variance at kT = 1.5 (%.4f) not between those at 1 (%.4f) and 2 (%.4f)", v[1], v[0], v[2])
	testutil.InDelta(t, 1, v[1]/want, 0.10, "variance at held-out kT = 1.5: %.4f over %.4f (± 10 %%)", v[1], want)
}

// TestTemperatureConditioningDoubleWell is the thermodynamic-maps setting
// (a = ½, noise variance ∝ T) on Boltzmann samples of the 1-D double well
// U(x) = (x² − 1)² at kT = 0.2 and 0.5, generating at the held-out kT =
// 0.35. The observable is the barrier population P(|x| < 0.5), exactly
// 0.0222, 0.0835 and 0.1355 at kT = 0.2, 0.35, 0.5 (quadrature). Because the
// shape of p(x) changes with T, the exact noise predictor depends on T even
// for a = ½. Tolerance at kT = 0.35: 8000 samples give SE √(p(1−p)/8000) =
// 0.0031, 4 SE = 0.012; the model's own bias, measured at the training
// temperatures, is +0.016 and +0.025 (the prior smears into the barrier);
// we allow 0.035, still well below the error of the honest baseline
// "nearest training temperature" (0.052; docs/evaluation.md). Measured at kT = 0.35:
// 0.0919 (+0.008).
func TestTemperatureConditioningDoubleWell(t *testing.T) {
	U := func(x float64) float64 { return (x*x - 1) * (x*x - 1) }
	barrier := func(x float64) float64 {
		if math.Abs(x) < 0.5 {
			return 1
		}
		return 0
	}
	rng := newRNG(71)
	const n = 3000
	var x, temps []float64
	for _, T := range []float64{0.2, 0.5} {
		xs, _ := boltzmann1D(U, T, -3, 3, n, rng, barrier)
		x = append(x, xs...)
		temps = append(temps, fill(n, T)...)
	}
	cfg := TrainConfig{Prior: Config{Dim: 1, Exponent: 0.5, Hidden: []int{16, 32, 32, 16}, Replicas: 8},
		Epochs: 40, BatchSize: 64, Adam: adamLR(3e-3), LRDecay: 0.95}
	p, _, err := Train(x, temps, cfg, newRNG(72))
	require.NoError(t, err)
	Ts := []float64{0.2, 0.35, 0.5}
	gen, err := p.Generate(Ts, 8000, 73)
	require.NoError(t, err)
	got := make([]float64, len(Ts))
	for k, T := range Ts {
		for _, v := range gen[k] {
			got[k] += barrier(v)
		}
		got[k] /= float64(len(gen[k]))
		_, want := boltzmann1D(U, T, -3, 3, 0, rng, barrier)
		t.Logf("kT %.2f: barrier population generated %.4f, exact %.4f", T, got[k], want)
		if k == 1 {
			testutil.InDelta(t, want, got[k], 0.035, "held-out kT = 0.35: barrier population against exact")
		}
	}
	assert.True(t, got[0] < got[1] && got[1] < got[2], "barrier population not increasing with kT: %.4f %.4f %.4f", got[0], got[1], got[2])
}
