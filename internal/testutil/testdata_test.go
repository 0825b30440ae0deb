package testutil

import (
	"math"
	"testing"
)

// TestBlockMean: for independent draws the block standard error matches
// σ/sqrt(n); FirstBitDiff finds the first differing element.
func TestBlockMean(t *testing.T) {
	s := []float64{1, 3, 1, 3, 1, 3, 1, 3}
	m, se := BlockMean(s, 4)
	if m != 2 || se != 0 {
		t.Errorf("blocks of (1,3): mean %v se %v, want 2 and 0", m, se)
	}
	m, se = BlockMean([]float64{0, 0, 2, 2}, 2)
	if m != 1 || se != 1 {
		t.Errorf("blocks 0 and 2: mean %v se %v, want 1 and 1", m, se)
	}
	nan := math.NaN()
	for _, c := range []struct {
		a, b []float64
		want int
	}{{[]float64{1, 2}, []float64{1, 2}, -1}, {[]float64{1, 2}, []float64{1, 3}, 1}, {[]float64{1}, []float64{1, 2}, 1},
		{[]float64{nan}, []float64{nan}, -1}, {[]float64{0}, []float64{math.Copysign(0, -1)}, 0}} {
		if got := FirstBitDiff(c.a, c.b); got != c.want {
			t.Errorf("FirstBitDiff(%v, %v) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
