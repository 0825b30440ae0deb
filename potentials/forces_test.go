package potentials

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// forceOnly hides a potential's AddForce so that Sum must use its fallback
// (Force into dst for the first such term, a pooled scratch vector after).
type forceOnly struct{ p Potential }

func (f forceOnly) Force(dst, x []float64) float64 { return f.p.Force(dst, x) }

// restrainedLJ7 returns a random compact 7-particle cluster with particle 6
// moved out so that it is restrained (|d|² > 4 + margin) while every other
// particle stays clear of the restraint's edge, where the force jumps.
func restrainedLJ7(rng *rand.Rand) []float64 {
	for {
		x := randomCluster(rng, 6, 2, 1.3, 0.8)
		ang := 2 * math.Pi * rng.Float64()
		r := 3.0 + rng.Float64()
		x = append(x, r*math.Cos(ang), r*math.Sin(ang))
		if restraintMargin(x, 2, 4) > 0.05 && activeCount(x, 2, 4) >= 1 {
			return x
		}
	}
}

// restraintMargin is min_i ||d_i|² − r2|: how far every particle is from
// the edge of the COM restraint.
func restraintMargin(x []float64, dim int, r2 float64) float64 {
	com := centre(x, dim)
	m := math.Inf(1)
	for i := 0; i < len(x)/dim; i++ {
		m = math.Min(m, math.Abs(sqDist(x[i*dim:i*dim+dim], com)-r2))
	}
	return m
}

func activeCount(x []float64, dim int, r2 float64) int {
	com := centre(x, dim)
	n := 0
	for i := 0; i < len(x)/dim; i++ {
		if sqDist(x[i*dim:i*dim+dim], com) > r2 {
			n++
		}
	}
	return n
}

func centre(x []float64, dim int) []float64 {
	c := make([]float64, dim)
	n := len(x) / dim
	for i := 0; i < n; i++ {
		for k := range c {
			c[k] += x[i*dim+k] / float64(n)
		}
	}
	return c
}

func sqDist(a, b []float64) float64 {
	var s float64
	for k := range a {
		s += (a[k] - b[k]) * (a[k] - b[k])
	}
	return s
}

// TestForcesMatchFiniteDifferences checks every potential, and sums of
// them, at seeded random points with the shared helper checkForcesAt.
func TestForcesMatchFiniteDifferences(t *testing.T) {
	rng := newRand(1)
	const n = 20
	clusters := func(k, dim int, radius float64) [][]float64 {
		pts := make([][]float64, n)
		for i := range pts {
			pts[i] = randomCluster(rng, k, dim, radius, 0.8)
		}
		return pts
	}
	restrained := func(dim int, r2 float64) [][]float64 {
		pts := make([][]float64, 0, n)
		for len(pts) < n {
			x := randomCluster(rng, 5, dim, 3, 0.8)
			if restraintMargin(x, dim, r2) > 0.05 && activeCount(x, dim, r2) >= 1 {
				pts = append(pts, x)
			}
		}
		return pts
	}
	lj7 := make([][]float64, n)
	for i := range lj7 {
		lj7[i] = restrainedLJ7(rng)
	}
	centre5 := []float64{0.3, -1, 2, 0.5, -0.7}
	for _, c := range []struct {
		name   string
		p      Potential
		points [][]float64
	}{
		{"ThreeHole", ThreeHole{}, uniformPoints(rng, n, []float64{-2, -1.5}, []float64{2, 2.5})},
		{"MuellerBrown", MuellerBrown{}, uniformPoints(rng, n, []float64{-1.5, -0.5}, []float64{1, 2})},
		{"Harmonic/origin", Harmonic{K: 3}, uniformPoints(rng, n, []float64{-2, -2, -2}, []float64{2, 2, 2})},
		{"Harmonic/centre", Harmonic{K: 0.7, Center: centre5}, uniformPoints(rng, n, make([]float64, 5), []float64{1, 1, 1, 1, 1})},
		{"LennardJones/1D", LennardJones{Dim: 1}, clusters(4, 1, 3)},
		{"LennardJones/2D", LennardJones{Dim: 2}, clusters(7, 2, 1.6)},
		{"LennardJones/3D", LennardJones{Dim: 3}, clusters(9, 3, 1.6)},
		{"COMRestraint/2D", COMRestraint{Dim: 2, R2: 4, Kappa: 100}, restrained(2, 4)},
		{"COMRestraint/3D", COMRestraint{Dim: 3, R2: 2.5, Kappa: 7}, restrained(3, 2.5)},
		{"LJ7 (restraint active)", LJ7(), lj7},
		{"Sum with Force-only terms", Sum{forceOnly{LennardJones{Dim: 2}}, Harmonic{K: 2}, forceOnly{COMRestraint{Dim: 2, R2: 4, Kappa: 100}}}, lj7},
		{"nested Sum", Sum{Sum{ThreeHole{}, Harmonic{K: 1}}, MuellerBrown{}}, uniformPoints(rng, n, []float64{-1, 0}, []float64{1, 1.5})},
	} {
		checkForcesAt(t, c.name, c.p, c.points)
	}
	// The restrained points really exercise the restraint.
	for i, x := range lj7 {
		e := (COMRestraint{Dim: 2, R2: 4, Kappa: 100}).Force(make([]float64, 14), x)
		assert.Positive(t, e, "LJ7 point %d: restraint energy", i)
	}
}

// badForce has a force that is 1 % too large in coordinate 1.
type badForce struct{}

func (badForce) Force(dst, x []float64) float64 {
	Harmonic{K: 2}.Force(dst, x)
	dst[1] *= 1.01
	return Harmonic{K: 2}.Force(make([]float64, len(x)), x)
}

func TestCheckForcesReportsWorstCoordinate(t *testing.T) {
	x := []float64{0.5, 1.5, -2}
	orig := append([]float64(nil), x...)
	err := CheckForces(badForce{}, x, 0, 0)
	require.Error(t, err, "CheckForces accepted a force that is 1 % wrong")
	// Analytic −∇U_1 = −2·1.5·1.01 = −3.03, the numeric one −3.
	for _, want := range []string{"coordinate 1", "-3.03", "-3"} {
		assert.ErrorContains(t, err, want)
	}
	require.Equal(t, orig, x, "CheckForces modified x")
	// A loose tolerance accepts the 1 % error; the default rejects it.
	assert.NoError(t, CheckForces(badForce{}, x, 1e-4, 0.02), "relTol 0.02 should accept a 1 % error")
	assert.ErrorContains(t, CheckForces(ThreeHole{}, []float64{1, 2, 3}, 0, 0), "len(x) = 2", "CheckForces on a wrong length")
}
