package analysis

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// harmonic returns n exact Boltzmann samples of U = ½x² at kT (x ~ N(0, kT))
// and their energies.
func harmonic(seed uint64, n int, kT float64) (x, u []float64) {
	rng := newRNG(seed)
	x, u = make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = math.Sqrt(kT) * rng.NormFloat64()
		u[i] = 0.5 * x[i] * x[i]
	}
	return x, u
}

// weightedVar returns Σ w x² (the mean is 0 by symmetry).
func weightedVar(x, w []float64) float64 {
	s := 0.0
	for i := range x {
		s += w[i] * x[i] * x[i]
	}
	return s
}

// The exact variance of x at kT′ is kT′. The weighted estimate of ⟨x²⟩ has
// a standard error ≈ sd_{kT′}(x²)/√ESS = √2 kT′/√ESS (Kish's approximation);
// the tolerance is 5 of those.
func TestReweightHarmonic(t *testing.T) {
	const n = 20000
	x1, u1 := harmonic(1, n, 1)
	x2, u2 := harmonic(2, n, 2)
	mb, err := SolveMBAR([][]float64{u1, u2}, []float64{1, 2}, 0)
	require.NoError(t, err)
	xs := append(append([]float64(nil), x1...), x2...)
	for _, c := range []struct {
		target, from float64
		x, u         []float64
	}{{1.5, 2, x2, u2}, {0.8, 1, x1, u1}} {
		w := make([]float64, n)
		require.NoError(t, Reweight(w, c.u, c.from, c.target))
		ess := KishESS(w)
		tol := 5 * math.Sqrt2 * c.target / math.Sqrt(ess)
		assert.InDelta(t, c.target, weightedVar(c.x, w), tol, "nearest kT %v → %v, ESS %.0f", c.from, c.target, ess)

		wm := make([]float64, 2*n)
		require.NoError(t, mb.Weights(wm, c.target))
		essM := KishESS(wm)
		assert.Greater(t, essM, ess, "MBAR uses both runs: its ESS at kT %v must exceed the single run's", c.target)
		assert.InDelta(t, c.target, weightedVar(xs, wm), 5*math.Sqrt2*c.target/math.Sqrt(essM), "MBAR → %v, ESS %.0f", c.target, essM)
		assert.InDelta(t, 1, sum(wm), 1e-12)
	}
}

func sum(w []float64) float64 {
	s := 0.0
	for _, v := range w {
		s += v
	}
	return s
}

// Z(kT) = ∫ exp(−x²/2kT) dx = √(2π kT), so f_2 − f_1 = −ln(Z_2/Z_1) =
// −½ ln(kT_2/kT_1) = −½ ln 2 for kT 1 and 2. Tolerance: MBAR's asymptotic
// variance is at most that of the one-sided exponential average from kT 2
// down to kT 1 (Shirts & Chodera 2008), whose variance of ln⟨e^{−Δu}⟩ with
// Δu = x²/4, x ~ N(0, 2) is (⟨e^{−2Δu}⟩ − ⟨e^{−Δu}⟩²)/(N ⟨e^{−Δu}⟩²) =
// (1/√3 − 1/2)/(N/2); 5 standard errors of that.
func TestMBARFreeEnergyHarmonic(t *testing.T) {
	const n = 20000
	_, u1 := harmonic(3, n, 1)
	_, u2 := harmonic(4, n, 2)
	mb, err := SolveMBAR([][]float64{u1, u2}, []float64{1, 2}, 0)
	require.NoError(t, err)
	tol := 5 * math.Sqrt((1/math.Sqrt(3)-0.5)/(n/2.0))
	assert.Equal(t, 0.0, mb.F[0])
	assert.InDelta(t, -0.5*math.Ln2, mb.F[1], tol)
	// At any other temperature: f(kT′) = −½ ln kT′ (kT_0 = 1); checked at an
	// interpolated kT, where the overlap is large, with the same tolerance.
	assert.InDelta(t, -0.5*math.Log(1.5), mb.FreeEnergy(1.5), tol)
	// The solution is self-consistent: Σ_n W_nk = 1 for every state, i.e.
	// the MBAR weights at kT_k reproduce f_k.
	assert.InDelta(t, mb.F[1], mb.FreeEnergy(2), 1e-9)
	assert.InDelta(t, 0, mb.FreeEnergy(1), 1e-9)
	// Three states, one far away, still converge.
	_, u3 := harmonic(5, n, 4)
	mb3, err := SolveMBAR([][]float64{u1, u2, u3}, []float64{1, 2, 4}, 0)
	require.NoError(t, err)
	assert.InDelta(t, -0.5*math.Log(4), mb3.F[2], 2*tol)
}

// The ESS falls as the target temperature moves away from the sampled one.
func TestReweightESSDrops(t *testing.T) {
	const n = 5000
	_, u := harmonic(6, n, 1)
	w := make([]float64, n)
	prev := float64(n) + 1
	for _, kt := range []float64{1, 0.9, 0.7, 0.5, 0.3} {
		require.NoError(t, Reweight(w, u, 1, kt))
		ess := KishESS(w)
		assert.Less(t, ess, prev, "kT %v", kt)
		prev = ess
	}
	require.NoError(t, Reweight(w, u, 1, 1))
	assert.InDelta(t, n, KishESS(w), 1e-6, "no reweighting keeps every frame")
	assert.Equal(t, 0.0, KishESS(nil))
}

func TestReweightErrors(t *testing.T) {
	w := make([]float64, 2)
	assert.ErrorContains(t, Reweight(nil, nil, 1, 2), "no frames")
	assert.ErrorContains(t, Reweight(w, []float64{1, math.NaN()}, 1, 2), "frame 1 is NaN")
	assert.ErrorContains(t, Reweight(w, []float64{1, 2, 3}, 1, 2), "3 energies")
	assert.ErrorContains(t, Reweight(w, []float64{1, 2}, 0, 2), "kT = 0")
	_, err := SolveMBAR([][]float64{{1}, {2}}, []float64{1}, 0)
	assert.ErrorContains(t, err, "2 energy sets for 1 temperatures")
	_, err = SolveMBAR([][]float64{{1}, {}}, []float64{1, 2}, 0)
	assert.ErrorContains(t, err, "kT 2): no frames")
	_, err = SolveMBAR([][]float64{{1}, {math.Inf(1)}}, []float64{1, 2}, 0)
	assert.ErrorContains(t, err, "frame 0 is +Inf")
	_, err = SolveMBAR([][]float64{{1}, {2}}, []float64{1, 1}, 0)
	assert.ErrorContains(t, err, "given twice")
	// A tolerance below rounding cannot be met: an error, not a silent
	// unconverged answer.
	_, ua := harmonic(7, 100, 1)
	_, ub := harmonic(8, 100, 2)
	_, err = SolveMBAR([][]float64{ua, ub}, []float64{1, 2}, 1e-300)
	assert.ErrorContains(t, err, "not converged to 1e-300 in 200 Newton steps")
	mb, err := SolveMBAR([][]float64{{1, 2}}, []float64{1}, 0)
	require.NoError(t, err)
	assert.ErrorContains(t, mb.Weights(make([]float64, 3), 1), "3 weights for 2 frames")
}
