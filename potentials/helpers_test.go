package potentials

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/optimize"
)

// newRand returns a seeded PCG generator so every test is reproducible.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x5eed))
}

// checkForcesAt is the one finite-difference helper used for every
// potential: it runs CheckForces with its defaults (h = 1e-5, relTol = 1e-6)
// at each point. The check is deterministic; for the smooth potentials here
// the central-difference error is O(h²·|∂³U|) + O(ε_mach·|U|/h) ≈ 1e-8
// relative, far below 1e-6, while a wrong factor or sign gives O(1).
func checkForcesAt(t *testing.T, name string, p Potential, points [][]float64) {
	t.Helper()
	require.NotEmpty(t, points, "%s: no points to check", name)
	for i, x := range points {
		assert.NoError(t, CheckForces(p, x, 0, 0), "%s, point %d %v", name, i, x)
	}
}

// uniformPoints draws n points with coordinate k uniform in [lo[k], hi[k]).
func uniformPoints(rng *rand.Rand, n int, lo, hi []float64) [][]float64 {
	pts := make([][]float64, n)
	for i := range pts {
		x := make([]float64, len(lo))
		for k := range x {
			x[k] = lo[k] + (hi[k]-lo[k])*rng.Float64()
		}
		pts[i] = x
	}
	return pts
}

// randomCluster places n particles in dim dimensions uniformly in a ball of
// the given radius [σ], rejecting overlaps closer than minDist [σ] (random
// sequential addition, restarted if it jams), so LJ forces stay moderate.
func randomCluster(rng *rand.Rand, n, dim int, radius, minDist float64) []float64 {
	x := make([]float64, 0, n*dim)
	p := make([]float64, dim)
	for tries := 0; len(x) < n*dim; tries++ {
		if tries == 10000 { // jammed: start again
			x, tries = x[:0], 0
		}
		var r2 float64
		for k := range p {
			p[k] = radius * (2*rng.Float64() - 1)
			r2 += p[k] * p[k]
		}
		if r2 > radius*radius || minSqDist(x, p, dim) < minDist*minDist {
			continue
		}
		x = append(x, p...)
	}
	return x
}

// minSqDist is the smallest squared distance from p to the particles in x.
func minSqDist(x, p []float64, dim int) float64 {
	m := math.Inf(1)
	for j := 0; j+dim <= len(x); j += dim {
		var r2 float64
		for k, v := range p {
			d := v - x[j+k]
			r2 += d * d
		}
		m = math.Min(m, r2)
	}
	return m
}

// minimize runs gonum's L-BFGS on p from x0 until |∇U|∞ < gradTol and
// returns the minimiser and its energy. Near a minimum the line search can
// stall on rounding error; it then restarts from the best point so far (a
// few times) and fails the test only if the gradient is still too large.
func minimize(t *testing.T, p Potential, x0 []float64, gradTol float64) ([]float64, float64) {
	t.Helper()
	f := make([]float64, len(x0))
	prob := optimize.Problem{
		Func: func(x []float64) float64 { return p.Force(f, x) },
		Grad: func(g, x []float64) {
			p.Force(g, x)
			for i := range g {
				g[i] = -g[i]
			}
		},
	}
	settings := &optimize.Settings{GradientThreshold: gradTol, MajorIterations: 20000}
	x := append([]float64(nil), x0...)
	var lastErr error
	for try := 0; try < 5; try++ {
		res, err := optimize.Minimize(prob, x, settings, &optimize.LBFGS{})
		require.NotNil(t, res, "minimise from %v: %v", x0, err)
		x = res.X
		e := p.Force(f, x)
		if maxAbs(f) < gradTol {
			return x, e
		}
		lastErr = err
	}
	require.Failf(t, "minimiser did not converge", "from %v: |∇U|∞ = %g ≥ %g after restarts (last error %v)", x0, maxAbs(f), gradTol, lastErr)
	return nil, 0
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}
