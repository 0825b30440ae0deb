package analysis

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/testutil"
)

// normalPDF is the density of N(0, s²).
func normalPDF(x, s float64) float64 {
	return math.Exp(-0.5*x*x/(s*s)) / (s * math.Sqrt(2*math.Pi))
}

// TestKDENormalSample compares the KDE of N samples of N(0,1) with its
// expectation, the N(0, 1+h²) density (Gaussian kernel ∗ normal). The exact
// variance at z is (1/N)[φ_{√(1+h²/2)}(z)/(2√π h) − φ_{√(1+h²)}(z)²]
// (because K_h² = φ_{h/√2}/(2√π h)); each grid point must lie within 5 sd.
func TestKDENormalSample(t *testing.T) {
	const n, h = 100000, 0.1
	rng := newRNG(20)
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	grid := make([]float64, 81)
	for i := range grid {
		grid[i] = -4 + 0.1*float64(i)
	}
	p := make([]float64, len(grid))
	require.NoError(t, KDE1D(p, grid, x, nil, h))
	for i, z := range grid {
		mean := normalPDF(z, math.Sqrt(1+h*h))
		v := (normalPDF(z, math.Sqrt(1+h*h/2))/(2*math.Sqrt(math.Pi)*h) - mean*mean) / n
		testutil.InDelta(t, mean, p[i], 5*math.Sqrt(v), "KDE at %v (5 sd)", z)
	}
}

func TestKDEMatchesBruteForceAndWeights(t *testing.T) {
	rng := newRNG(21)
	const n, h = 500, 0.3
	x := make([]float64, n)
	w := make([]float64, n)
	var dup []float64
	for i := range x {
		x[i] = 2 * rng.NormFloat64()
		w[i] = float64(1 + i%3)
		for range int(w[i]) {
			dup = append(dup, x[i])
		}
	}
	grid := []float64{-9, -3, -0.5, 0, 0.77, 2, 6, 12}
	got := make([]float64, len(grid))
	require.NoError(t, KDE1D(got, grid, x, w, h))
	var total float64
	for _, v := range w {
		total += v
	}
	for g, z := range grid {
		var s float64
		for i, v := range x {
			s += w[i] * normalPDF(z-v, h)
		}
		s /= total
		// Truncation at 8h drops < 1.3e−14 of the peak per sample; rounding.
		testutil.InDelta(t, s, got[g], 1e-14*normalPDF(0, h)+1e-13*s, "weighted KDE vs brute force at %v", z)
	}
	d := make([]float64, len(grid))
	require.NoError(t, KDE1D(d, grid, dup, nil, h))
	for g := range grid {
		testutil.InDelta(t, d[g], got[g], 1e-13*d[g]+1e-300, "weights vs duplicates at %v", grid[g])
	}
	// Deterministic across GOMAXPROCS.
	a1, a4 := make([]float64, len(grid)), make([]float64, len(grid))
	withGOMAXPROCS(1, func() { _ = KDE1D(a1, grid, x, w, h) })
	withGOMAXPROCS(4, func() { _ = KDE1D(a4, grid, x, w, h) })
	testutil.SameBits(t, "KDE, GOMAXPROCS 1 against 4", a1, a4)
}

func TestKDEErrors(t *testing.T) {
	d := make([]float64, 2)
	g := []float64{0, 1}
	assert.Error(t, KDE1D(d, g, []float64{0}, nil, 0), "h = 0")
	assert.Error(t, KDE1D(d, g, nil, nil, 0.1), "no samples")
	assert.Error(t, KDE1D(d, g, []float64{math.NaN()}, nil, 0.1), "NaN sample")
	assert.Error(t, KDE1D(d, g, []float64{1}, []float64{0}, 0.1), "zero total weight")
	assert.Error(t, KDE1D(d[:1], g, []float64{1}, nil, 0.1), "dst length")
}
