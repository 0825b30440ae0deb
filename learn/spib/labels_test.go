package spib

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Standardised k-means labels do not depend on the units of the label
// columns: scaling one column by 1000 and shifting it changes nothing
// (up to rounding in the standardisation, which does not move any point
// across a cluster boundary here), while unstandardised k-means then
// clusters on that column alone and gives other labels. The label features
// are separate from the model features.
func TestKMeansLabelsFromStandardize(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	mk := func(n int) ([][]float64, []float64) {
		feat := make([][]float64, n)
		pts := make([]float64, 0, 2*n)
		for i := range feat {
			feat[i] = []float64{rng.NormFloat64()}
			c := float64(rng.IntN(3))
			pts = append(pts, 3*c+0.3*rng.NormFloat64(), 0.002*(c-1)+0.001*rng.NormFloat64())
		}
		return feat, pts
	}
	f1, p1 := mk(300)
	f2, p2 := mk(200)
	run := func(a, b []float64, std bool) []int {
		trajs := []Trajectory{{Features: f1, KT: 1}, {Features: f2, KT: 2}}
		lf := LabelFeatures{Points: [][]float64{a, b}, Dim: 2, Standardize: std}
		require.NoError(t, KMeansLabelsFrom(trajs, lf, 3, rand.New(rand.NewPCG(1, 2))))
		require.Len(t, trajs[1].Labels, 200)
		return append(slices.Clone(trajs[0].Labels), trajs[1].Labels...)
	}
	scale := func(p []float64) []float64 {
		q := slices.Clone(p)
		for i := 1; i < len(q); i += 2 {
			q[i] = 1000*q[i] + 7
		}
		return q
	}
	std := run(p1, p2, true)
	assert.Equal(t, std, run(scale(p1), scale(p2), true))
	assert.NotEqual(t, run(p1, p2, false), run(scale(p1), scale(p2), false))

	err := KMeansLabelsFrom([]Trajectory{{Features: f1, KT: 1}}, LabelFeatures{Points: [][]float64{p2}, Dim: 2}, 3, rng)
	assert.ErrorContains(t, err, "trajectory 0: 400 label values, want 300 frames × 2")
}

// standardizeColumns gives zero mean and unit population sd; a constant
// column is only centred.
func TestStandardizeColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 3*1000)
	for i := range 1000 {
		x[3*i], x[3*i+1], x[3*i+2] = 5+3*rng.NormFloat64(), -2+0.01*rng.NormFloat64(), 7
	}
	standardizeColumns(x, 3)
	for j := range 3 {
		m, v := 0.0, 0.0
		for i := range 1000 {
			m += x[3*i+j] / 1000
		}
		for i := range 1000 {
			v += (x[3*i+j] - m) * (x[3*i+j] - m) / 1000
		}
		assert.InDelta(t, 0, m, 1e-12, "column %d mean", j)
		if j < 2 {
			assert.InDelta(t, 1, v, 1e-12, "column %d variance", j)
		} else {
			assert.Equal(t, 0.0, v, "constant column")
		}
	}
}
