package testutil

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestBlockMean: for independent draws the block standard error matches
// σ/sqrt(n); FirstBitDiff finds the first differing element.
func TestBlockMean(t *testing.T) {
	s := []float64{1, 3, 1, 3, 1, 3, 1, 3}
	m, se := BlockMean(s, 4)
	assert.Equal(t, 2.0, m, "blocks of (1,3): mean")
	assert.Equal(t, 0.0, se, "blocks of (1,3): se")
	m, se = BlockMean([]float64{0, 0, 2, 2}, 2)
	assert.Equal(t, 1.0, m, "blocks 0 and 2: mean")
	assert.Equal(t, 1.0, se, "blocks 0 and 2: se")
	nan := math.NaN()
	for _, c := range []struct {
		a, b []float64
		want int
	}{{[]float64{1, 2}, []float64{1, 2}, -1}, {[]float64{1, 2}, []float64{1, 3}, 1}, {[]float64{1}, []float64{1, 2}, 1},
		{[]float64{nan}, []float64{nan}, -1}, {[]float64{0}, []float64{math.Copysign(0, -1)}, 0}} {
		assert.Equal(t, c.want, FirstBitDiff(c.a, c.b), "FirstBitDiff(%v, %v)", c.a, c.b)
	}
}
