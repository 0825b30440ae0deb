package integrators_test

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/md"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// harmonic is U = ½ Σ_j k_j (x_j − c_j)², one stiffness per coordinate
// [ε/σ²]; its Boltzmann moments are ⟨(x_j−c_j)²⟩ = kT/k_j.
type harmonic struct{ k, c []float64 }

func (h harmonic) Force(dst, x []float64) float64 {
	u := 0.0
	for j, xj := range x {
		d := xj - h.c[j]
		dst[j] = -h.k[j] * d
		u += 0.5 * h.k[j] * d * d
	}
	return u
}

// tauInt returns the integrated autocorrelation time τ = 1 + 2 Σ_{t≥1} ρ(t)
// of a series (in samples), with Sokal's automatic window: the smallest
// window M with M ≥ 5·τ(M) (Sokal, "Monte Carlo methods in statistical
// mechanics", 1997; Madras & Sokal, J. Stat. Phys. 50, 109 (1988)). The
// autocovariance is computed by FFT with zero padding.
func tauInt(x []float64) float64 {
	n := len(x)
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	m := 1
	for m < 2*n {
		m <<= 1
	}
	buf := make([]float64, m)
	for i, v := range x {
		buf[i] = v - mean
	}
	fft := fourier.NewFFT(m)
	c := fft.Coefficients(nil, buf)
	for i, z := range c {
		c[i] = complex(real(z)*real(z)+imag(z)*imag(z), 0)
	}
	acf := fft.Sequence(nil, c) // unnormalised autocovariance × m
	if acf[0] == 0 {
		return 1
	}
	tau := 1.0
	for t := 1; t < n; t++ {
		tau += 2 * acf[t] / acf[0]
		if float64(t) >= 5*tau {
			break
		}
	}
	return max(tau, 1)
}

// estimate is a sample mean with its standard error from the effective
// sample size ESS = n/τ.
type estimate struct {
	mean, se, tau, ess float64
}

func estimateOf(x []float64) estimate {
	n := float64(len(x))
	mean, sq := 0.0, 0.0
	for _, v := range x {
		mean += v
	}
	mean /= n
	for _, v := range x {
		sq += (v - mean) * (v - mean)
	}
	variance := sq / (n - 1)
	tau := tauInt(x)
	ess := n / tau
	return estimate{mean: mean, se: math.Sqrt(variance / ess), tau: tau, ess: ess}
}

// pool combines independent walkers of equal length: the mean of the
// means, with se = sqrt(Σ se_w²)/W.
func pool(series [][]float64) estimate {
	var p estimate
	v := 0.0
	for _, s := range series {
		e := estimateOf(s)
		p.mean += e.mean
		v += e.se * e.se
		p.ess += e.ess
		p.tau += e.tau
	}
	w := float64(len(series))
	p.mean /= w
	p.se = math.Sqrt(v) / w
	p.tau /= w
	return p
}

// nSigma is the tolerance used in statistical tests: |mean − exact| ≤
// nSigma·SE. For a normal estimator a false failure has probability 6e-5
// per assertion; seeds are fixed, so a run is reproducible.
const nSigma = 4

// checkMean asserts |e.mean − want| ≤ nSigma·e.se + bias, where bias bounds
// a known systematic (finite-dt) error (testutil.InDelta: a NaN standard
// error fails rather than passing everything).
func checkMean(t *testing.T, name string, e estimate, want, bias float64) {
	t.Helper()
	tol := nSigma*e.se + bias
	t.Logf("%s = %.5f ± %.5f (τ = %.1f samples, ESS = %.0f), want %.5f, tol %.5f",
		name, e.mean, e.se, e.tau, e.ess, want, tol)
	testutil.InDelta(t, want, e.mean, tol, "%s = %.5f ± %.5f: tolerance %g·SE + %g", name, e.mean, e.se, float64(nSigma), bias)
}

// sample binds integ to sys and calls record after every stride steps of
// st, nFrames times.
func sample(t *testing.T, sys *md.System, integ md.Integrator, st *md.State, stride, nFrames int, record func(st *md.State)) {
	t.Helper()
	require.NoError(t, integ.Bind(sys))
	for range nFrames {
		require.NoError(t, integ.Advance(st, stride))
		record(st)
	}
}

// walkers runs fn(w) for w = 0…n−1 in parallel and waits.
func walkers(n int, fn func(w int)) {
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() { fn(w) })
	}
	wg.Wait()
}

func mustState(t testing.TB, sys *md.System, x, v []float64, rng *rand.Rand) *md.State {
	t.Helper()
	st, err := md.NewState(sys, x, v, rng)
	require.NoError(t, err)
	return st
}
