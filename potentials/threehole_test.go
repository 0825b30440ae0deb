package potentials

import (
	"math"
	"testing"
)

// TestThreeHoleMinima minimises from nearby starts and compares with the
// fixtures of systems.md, which are printed to 6 decimals: the tolerance is
// half a unit in the last digit (5e-7) plus the minimiser's error
// (|∇V| < 1e-9 gives |Δx| ≲ 1e-9 for curvatures of order one).
func TestThreeHoleMinima(t *testing.T) {
	for _, c := range []struct {
		start, min []float64
		v          float64
	}{
		{[]float64{1.2, 0.1}, []float64{1.048055, -0.042094}, -3.994861},
		{[]float64{-0.9, -0.2}, []float64{-1.048055, -0.042094}, -3.994861},
		{[]float64{0.2, 1.4}, []float64{0, 1.537082}, -2.172154},
	} {
		x, v := minimize(t, ThreeHole{}, c.start, 1e-9)
		const tol = 5e-7 + 1e-8
		if math.Abs(x[0]-c.min[0]) > tol || math.Abs(x[1]-c.min[1]) > tol || math.Abs(v-c.v) > tol {
			t.Errorf("from %v: minimum (%.8f, %.8f) V = %.8f; want %v V = %v", c.start, x[0], x[1], v, c.min, c.v)
		}
	}
}
