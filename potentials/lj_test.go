package potentials

import (
	"math"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

func TestLennardJonesPair(t *testing.T) {
	lj := LennardJones{Dim: 2}
	f := make([]float64, 4)
	// At the pair minimum r = 2^{1/6}: u = −1 and no force.
	rm := math.Pow(2, 1.0/6)
	assert.InDelta(t, -1, lj.Force(f, []float64{0, 0, rm, 0}), 1e-14, "r = 2^(1/6): U")
	assert.LessOrEqual(t, maxAbs(f), 1e-13, "r = 2^(1/6): |F|∞ in %v", f)
	// At r = 1: u = 0 and |F| = 24, repulsive (−du/dr = 4(12 − 6)).
	require.Zero(t, lj.Force(f, []float64{0, 0, 0, 1}), "r = 1: U")
	require.InDeltaSlice(t, []float64{0, -24, 0, 24}, f, 1e-12, "r = 1: F")
}

// TestLennardJonesDimensions: the 2-D fast path, the generic path in 3-D
// with z = 0 and the generic path in 1-D must agree to rounding.
func TestLennardJonesDimensions(t *testing.T) {
	rng := newRand(2)
	x2 := randomCluster(rng, 7, 2, 1.6, 0.8)
	x3 := make([]float64, 21)
	for i := 0; i < 7; i++ {
		x3[3*i], x3[3*i+1] = x2[2*i], x2[2*i+1]
	}
	f2, f3 := make([]float64, 14), make([]float64, 21)
	e2 := LennardJones{Dim: 2}.Force(f2, x2)
	e3 := LennardJones{Dim: 3}.Force(f3, x3)
	assert.InEpsilon(t, e2, e3, 1e-12, "3-D U against 2-D U")
	for i := 0; i < 7; i++ {
		assert.InDeltaSlice(t, f2[2*i:2*i+2], f3[3*i:3*i+2], 1e-10, "particle %d: 3-D F against 2-D F", i)
		assert.Zero(t, f3[3*i+2], "particle %d: 3-D F_z", i)
	}
	// 1-D: three particles at 0, 1, 2^{1/6}+1 compared with the pair formula.
	x1 := []float64{0, 1, 1 + math.Pow(2, 1.0/6)}
	u := func(r float64) float64 { return 4 * (math.Pow(r, -12) - math.Pow(r, -6)) }
	want := u(1) + u(x1[2]) + u(x1[2]-1)
	assert.InDelta(t, want, (LennardJones{Dim: 1}).Force(make([]float64, 3), x1), 1e-14, "1-D U")
}

func TestCOMRestraintKnownValues(t *testing.T) {
	f := make([]float64, 6)
	// Three particles on the x axis at 0, 1, 5: r_com = 2, d = (−2, −1, 3),
	// |d|² = (4, 1, 9). With R2 = 4.5 only particle 2 is active:
	// U = ½·100·(9 − 4.5) = 225; F_2 = −100·3 + (100/3)·3 = −200 and
	// F_0 = F_1 = (100/3)·3 = +100 (the r_com coupling).
	p := COMRestraint{Dim: 2, R2: 4.5, Kappa: 100}
	assert.InDelta(t, 225, p.Force(f, []float64{0, 0, 1, 0, 5, 0}), 1e-12, "U")
	require.InDeltaSlice(t, []float64{100, 0, 100, 0, -200, 0}, f, 1e-12, "F")
	// A compact cluster feels nothing.
	assert.Equal(t, (LennardJones{Dim: 2}).Force(make([]float64, 14), LJ7Hexagon()), LJ7().Force(make([]float64, 14), LJ7Hexagon()),
		"LJ7 U on the hexagon against pure LJ (the restraint must be inactive)")
	// Restraint forces sum to zero (translation invariance) at random points.
	rng := newRand(3)
	for i := 0; i < 10; i++ {
		x := restrainedLJ7(rng)
		g := make([]float64, 14)
		COMRestraint{Dim: 2, R2: 4, Kappa: 100}.Force(g, x)
		var sx, sy, norm float64
		for j := 0; j < 7; j++ {
			sx += g[2*j]
			sy += g[2*j+1]
			norm += math.Abs(g[2*j]) + math.Abs(g[2*j+1])
		}
		assert.LessOrEqual(t, math.Abs(sx)+math.Abs(sy), 1e-12*norm, "point %d: restraint forces sum to (%g, %g)", i, sx, sy)
	}
}

// TestLJ7Hexagon: the hexagon's energy is −B²/A from the closed form in
// LJ7Hexagon's doc, −12.535 to the printed digits, and its forces vanish
// (to rounding: forces of pairs of order 10 cancel).
func TestLJ7Hexagon(t *testing.T) {
	x := LJ7Hexagon()
	require.Len(t, x, 14, "LJ7Hexagon()")
	require.Equal(t, []float64{0, 0}, x[:2], "LJ7Hexagon(): particle 0 must be at the origin")
	a := math.Hypot(x[2], x[3])
	for i := 1; i < 7; i++ {
		assert.InDelta(t, a, math.Hypot(x[2*i], x[2*i+1]), 1e-14, "radius of particle %d against particle 1's", i)
		j := i%6 + 1 // ring neighbour: side = radius for a regular hexagon
		assert.InDelta(t, a, math.Hypot(x[2*i]-x[2*j], x[2*i+1]-x[2*j+1]), 1e-14, "ring side %d–%d against the radius", i, j)
	}
	f := make([]float64, 14)
	e := LJ7().Force(f, x)
	assert.InDelta(t, -12.535, e, 5e-4, "hexagon U against the printed value")
	assert.InDelta(t, -hexB*hexB/hexA, e, 1e-12, "hexagon U against the closed form −B²/A")
	assert.LessOrEqual(t, maxAbs(f), 1e-12, "hexagon |F|∞")
	// At the naive radius 2^{1/6} the energy is higher and the ring is pulled in.
	s := math.Pow(2, 1.0/6) / a
	for i := range x {
		x[i] *= s
	}
	e2 := LJ7().Force(f, x)
	assert.Greater(t, e2, e, "hexagon at radius 2^(1/6): U against the optimal hexagon's")
	assert.InDelta(t, -12.5292, e2, 5e-5, "hexagon at radius 2^(1/6): U")
}

// TestLJ7FourMinima minimises pure 2-D LJ from 300 seeded random starts
// (7 particles in a disk of radius 2 σ, no overlaps closer than 0.9 σ) and
// requires exactly the four known minima, −12.535, −11.501, −11.477 and
// −11.403, to 1e-3, and nothing else. In a 2000-start run with this
// sampler the rarest minimum (−11.403) is reached 5.6 % of the time, so 300
// starts miss it with probability (1 − 0.056)^300 ≈ 3e-8; the seed makes the
// test deterministic anyway. Each representative is confirmed a minimum: its
// finite-difference Hessian has exactly three zero modes (two translations,
// one rotation) and eleven positive eigenvalues.
func TestLJ7FourMinima(t *testing.T) {
	want := []float64{-12.535, -11.501, -11.477, -11.403}
	lj := LennardJones{Dim: 2}
	rng := newRand(4)
	found := map[int][]float64{} // index into want → a minimiser
	for s := 0; s < 300; s++ {
		x, e := minimize(t, lj, randomCluster(rng, 7, 2, 2, 0.9), 1e-6)
		k := -1
		for i, w := range want {
			if math.Abs(e-w) < 1e-3 {
				k = i
			}
		}
		require.GreaterOrEqual(t, k, 0, "start %d reached U = %.6f, which is none of %v", s, e, want)
		if _, ok := found[k]; !ok {
			found[k] = x
		}
	}
	require.Len(t, found, len(want), "minima found")
	for k, x := range found {
		ev := hessianEigen(lj, x)
		sort.Float64s(ev)
		for i, v := range ev {
			// The FD Hessian (h = 1e-5) is good to ~1e-6 absolute; the
			// smallest true non-zero eigenvalue is O(1).
			if (i < 3 && math.Abs(v) > 1e-4) || (i >= 3 && v < 0.05) {
				t.Errorf("minimum U = %v: Hessian eigenvalues %v: want 3 zero and 11 positive", want[k], ev)
				break
			}
		}
	}
}

// hessianEigen returns the eigenvalues of the central-difference Hessian
// of p at x, built from forces: H_ij = −(F_i(x+h·e_j) − F_i(x−h·e_j))/2h.
func hessianEigen(p Potential, x []float64) []float64 {
	const h = 1e-5
	n := len(x)
	h2 := mat.NewSymDense(n, nil)
	xp := append([]float64(nil), x...)
	fp, fm := make([]float64, n), make([]float64, n)
	cols := make([][]float64, n)
	for j := range n {
		xp[j] = x[j] + h
		p.Force(fp, xp)
		xp[j] = x[j] - h
		p.Force(fm, xp)
		xp[j] = x[j]
		cols[j] = make([]float64, n)
		for i := range n {
			cols[j][i] = -(fp[i] - fm[i]) / (2 * h)
		}
	}
	for i := range n {
		for j := i; j < n; j++ {
			h2.SetSym(i, j, 0.5*(cols[j][i]+cols[i][j]))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(h2, false) {
		panic("EigenSym failed")
	}
	return eig.Values(nil)
}
