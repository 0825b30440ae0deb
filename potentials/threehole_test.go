package potentials

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestThreeHoleMinima minimises from nearby starts and compares with the
// fixtures of docs/systems.md, which are printed to 6 decimals: the tolerance is
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
		assert.InDeltaSlice(t, c.min, x, tol, "from %v: minimiser", c.start)
		assert.InDelta(t, c.v, v, tol, "from %v: V at the minimum", c.start)
	}
}
