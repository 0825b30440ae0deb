package spib

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFitStandardizer: the means and population standard deviations of
// known columns (exact in floating point for these small integers), Std 1
// for a constant column, the identity without rows, and ApplyRows in place
// giving zero mean and unit variance to rounding.
func TestFitStandardizer(t *testing.T) {
	// Columns: 1, 2, 3, 4 (mean 2.5, population sd √1.25); 7 constant; −2, 2 alternating (sd 2).
	x := []float64{1, 7, -2, 2, 7, 2, 3, 7, -2, 4, 7, 2}
	s := FitStandardizer(3, rowsOf(x, 3))
	assert.Equal(t, []float64{2.5, 7, 0}, s.Mean)
	assert.Equal(t, []float64{math.Sqrt(1.25), 1, 2}, s.Std)

	id := FitStandardizer(2, rowsOf(nil, 2))
	assert.Equal(t, Standardizer{Mean: []float64{0, 0}, Std: []float64{1, 1}}, id, "no rows: identity")

	// Early stop of the iterator is respected (range-over-func contract).
	n := 0
	for range rowsOf(x, 3) {
		n++
		break
	}
	assert.Equal(t, 1, n)

	rng := rand.New(rand.NewPCG(3, 4))
	y := make([]float64, 2*500)
	for i := range 500 {
		y[2*i], y[2*i+1] = 10+4*rng.NormFloat64(), -3+0.1*rng.NormFloat64()
	}
	s = FitStandardizer(2, rowsOf(y, 2))
	s.ApplyRows(y, y)
	again := FitStandardizer(2, rowsOf(y, 2))
	for j := range 2 {
		// After standardising, the mean is 0 and the sd 1 up to the rounding of
		// 500-term sums (≈ 500·ε relative).
		assert.InDelta(t, 0, again.Mean[j], 1e-12, "column %d mean", j)
		assert.InDelta(t, 1, again.Std[j], 1e-12, "column %d sd", j)
	}
}

// TestStandardisationOneImplementation: NewData's standardisation of the
// model inputs and the label standardisation of KMeansLabelsFrom are the same
// function, so the same columns give bit-identical results.
func TestStandardisationOneImplementation(t *testing.T) {
	cfg, err := Config{Lag: 1}.Validate()
	require.NoError(t, err)
	trajs := toyTrajs(6, 8)
	data, err := NewData(trajs, cfg, newRand(1))
	require.NoError(t, err)
	var flat []float64
	for _, tr := range trajs {
		for _, row := range tr.Features {
			flat = append(flat, row...)
		}
	}
	standardizeColumns(flat, data.D)
	require.Equal(t, data.X, flat)
}
