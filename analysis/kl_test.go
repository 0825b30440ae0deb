package analysis

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/testutil"
)

func TestSymKLHistTwoBins(t *testing.T) {
	p := []float64{0.5, 0.5}
	q := []float64{1, 3} // counts: probabilities 0.25, 0.75
	got, err := SymKLHist(p, q, 0)
	require.NoError(t, err)
	kpq := 0.5*math.Log(0.5/0.25) + 0.5*math.Log(0.5/0.75)
	kqp := 0.25*math.Log(0.25/0.5) + 0.75*math.Log(0.75/0.5)
	testutil.InDelta(t, 0.5*(kpq+kqp), got, 1e-15, "SymKL")
	// eps = 1e−10 perturbs each probability by O(1e−10).
	got, _ = SymKLHist(p, q, 1e-10)
	testutil.InDelta(t, 0.5*(kpq+kqp), got, 1e-9, "SymKL eps")
	got, _ = SymKLHist([]float64{1, 0}, []float64{0, 1}, 0)
	assert.Equal(t, math.Inf(1), got, "disjoint support without eps")
	_, err = SymKLHist(p, []float64{1}, 0)
	assert.Error(t, err, "length mismatch")
	_, err = SymKLHist(p, []float64{0, 0}, 0)
	assert.Error(t, err, "empty q")
}

func TestSymKLSelfZeroAndSymmetric(t *testing.T) {
	rng := newRNG(10)
	a := gaussian2D(rng, 20000, 0, 0, 1)
	b := gaussian2D(rng, 15000, 0.3, -0.2, 1.2)
	self, err := SymKL(a, nil, a, nil, KLConfig{})
	require.NoError(t, err)
	assert.Zero(t, self, "SymKL(P, P)")
	ab, _ := SymKL(a, nil, b, nil, KLConfig{})
	ba, _ := SymKL(b, nil, a, nil, KLConfig{})
	assert.Equal(t, ab, ba, "SymKL(a,b) against SymKL(b,a)")
	assert.Positive(t, ab, "SymKL(a,b)")
	// The reference variant depends on the order: b is wider than a, so
	// SymKLReference(a, b) drops points of b and differs from (b, a).
	r1, _ := SymKLReference(a, nil, b, nil, KLConfig{})
	r2, _ := SymKLReference(b, nil, a, nil, KLConfig{})
	assert.NotEqual(t, r1, r2, "SymKLReference(a, b) against (b, a): expected order dependence")
	// When a spans b, both variants bin identically and agree bit for bit.
	wide := append(append([]float64{}, a...), -10, -10, 10, 10)
	c1, _ := SymKL(wide, nil, b, nil, KLConfig{})
	c2, _ := SymKLReference(wide, nil, b, nil, KLConfig{})
	assert.Equal(t, c1, c2, "SymKL against SymKLReference with a spanning b")
}

func TestSymKLWeightsEqualDuplicates(t *testing.T) {
	rng := newRNG(11)
	a := gaussian2D(rng, 3000, 0, 0, 1)
	b := gaussian2D(rng, 3000, 0.5, 0, 1)
	w := make([]float64, 3000)
	dup := append([]float64{}, a...)
	for i := range w {
		w[i] = 1
		if i%3 == 0 {
			w[i] = 2
			dup = append(dup, a[2*i], a[2*i+1])
		}
	}
	for _, cfg := range []KLConfig{{}, {Bins: 30, EpsOnDensity: true}} {
		kw, err := SymKL(a, w, b, nil, cfg)
		require.NoError(t, err)
		kd, _ := SymKL(dup, nil, b, nil, cfg)
		// Same histogram up to the order of additions: rounding only.
		testutil.InDelta(t, kd, kw, 1e-12, "weighted vs duplicated")
	}
}

// Plug-in histogram divergences are biased upwards by sampling noise: for
// two samples of N points each over B occupied bins, E[½(KL̂(P‖Q)+KL̂(Q‖P))]
// ≈ ½Σ(KL) + (B−1)/N to second order (delta method; cf. Miller 1955), and its
// null standard deviation is ≈ sqrt(2(B−1))/N (½ χ²_{B−1}·2/N).
func plugInBias(occupied, n int) (bias, sd float64) {
	return float64(occupied-1) / float64(n), math.Sqrt(2*float64(occupied-1)) / float64(n)
}

// occupiedBins counts the bins of the common-edges histogram occupied by a
// or b.
func occupiedBins(a, b []float64, bins int) int {
	xe, ye, _ := CommonEdges2D(a, b, bins)
	ha, hb := make([]float64, bins*bins), make([]float64, bins*bins)
	_, _ = Histogram2D(ha, a, nil, xe, ye)
	_, _ = Histogram2D(hb, b, nil, xe, ye)
	occ := 0
	for i := range ha {
		if ha[i]+hb[i] > 0 {
			occ++
		}
	}
	return occ
}

// TestSymKLGaussians compares the histogram estimate with the analytic KL
// between N((0,0), I) and N((μ,0), I): KL(P‖Q) = KL(Q‖P) = μ²/2, so the
// symmetrised value is μ²/2 = 0.125 for μ = 0.5.
//
// Expected value: μ²/2 + plug-in bias (B−1)/N. Tolerance: 5 sd, with the
// signal sd ≈ sqrt(Var[ln p/q]/N) = μ/sqrt(N) plus the null sd; the binning
// deficit ≈ μ²h²/24 for bin width h (data-processing inequality; the log
// ratio is linear, so coarse-graining loses its within-bin variance); and
// 1e−3 for the tail bins occupied by only one sample, where the 1e−10 floor
// adds p·ln(p/1e−10). 30 bins per axis keep the tails populated; the
// default 100 bins are checked on a compact support below.
func TestSymKLGaussians(t *testing.T) {
	const n, mu, bins = 400000, 0.5, 30
	rng := newRNG(12)
	a := gaussian2D(rng, n, 0, 0, 1)
	b := gaussian2D(rng, n, mu, 0, 1)
	got, err := SymKL(a, nil, b, nil, KLConfig{Bins: bins})
	require.NoError(t, err)
	bias, sd0 := plugInBias(occupiedBins(a, b, bins), n)
	xe, _, _ := CommonEdges2D(a, b, bins)
	h := xe[1] - xe[0]
	want := mu*mu/2 + bias
	tol := 5*(mu/math.Sqrt(n)+sd0) + mu*mu*h*h/24 + 1e-3
	testutil.InDelta(t, want, got, tol, "SymKL(N(0,I), N(μ,I))")
}

// TestSymKLCompactDefaultBins checks the default 100 × 100 estimator on the
// unit square, where every bin is populated: P uniform, Q with density
// q(x, y) = ½ + x. Analytically KL(P‖Q) = −∫_{½}^{3/2} ln u du and
// KL(Q‖P) = ∫_{½}^{3/2} u ln u du. Expected value and tolerance as for the
// Gaussians, with Var_P[ln q] ≈ 0.095 (by hand: E[ln²u] − E[ln u]²) and a
// binning deficit below h²/12·max|∂ ln q/∂x|² = 1e−4/12·4.
func TestSymKLCompactDefaultBins(t *testing.T) {
	const n = 400000
	rng := newRNG(14)
	u := make([]float64, 2*n)
	l := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		u[2*i], u[2*i+1] = rng.Float64(), rng.Float64()
		// inverse CDF of ½ + x on [0, 1]: x²/2 + x/2 = v
		l[2*i], l[2*i+1] = -0.5+math.Sqrt(0.25+2*rng.Float64()), rng.Float64()
	}
	got, err := SymKL(u, nil, l, nil, KLConfig{})
	require.NoError(t, err)
	kpq := -(1.5*math.Log(1.5) - 1.5 - (0.5*math.Log(0.5) - 0.5))
	kqp := (1.125*math.Log(1.5) - 0.5625) - (0.125*math.Log(0.5) - 0.0625)
	bias, sd0 := plugInBias(occupiedBins(u, l, DefaultKLBins), n)
	want := 0.5*(kpq+kqp) + bias
	tol := 5*(math.Sqrt(0.095/n)+sd0) + 4e-4/12
	testutil.InDelta(t, want, got, tol, "SymKL(uniform, ½+x)")
}

func TestKLConfigErrors(t *testing.T) {
	a := []float64{0, 0, 1, 1}
	_, err := SymKL(a, nil, a, nil, KLConfig{Bins: -1})
	assert.Error(t, err, "Bins < 0")
	_, err = SymKL(a, nil, a, nil, KLConfig{Eps: math.NaN()})
	assert.Error(t, err, "Eps NaN")
	_, err = SymKL(a, nil, a, []float64{1}, KLConfig{})
	assert.Error(t, err, "short weights")
	_, err = SymKLReference(a, nil, []float64{5, 5}, nil, KLConfig{})
	assert.Error(t, err, "b entirely outside a's edges")
}

func BenchmarkSymKL(b *testing.B) {
	rng := newRNG(13)
	const n = 100000
	p := gaussian2D(rng, n, 0, 0, 1)
	q := gaussian2D(rng, n, 0.5, 0, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SymKL(p, nil, q, nil, KLConfig{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*n*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}
