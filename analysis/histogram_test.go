package analysis

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/testutil"
)

func TestEdges(t *testing.T) {
	e, err := Edges(-1, 1, 4)
	require.NoError(t, err)
	assert.Equal(t, []float64{-1, -0.5, 0, 0.5, 1}, e, "edges")
	_, err = Edges(1, 1, 4)
	assert.Error(t, err, "hi = lo")
	_, err = Edges(0, 1, 0)
	assert.Error(t, err, "n = 0")
	_, err = Edges(math.NaN(), 1, 3)
	assert.Error(t, err, "NaN lo")
}

func TestHistogram1DHandMade(t *testing.T) {
	edges := []float64{0, 1, 2, 3}
	x := []float64{0, 0.5, 1, 2.999, 3, -0.1, 3.1, 1.5}
	h := make([]float64, 3)
	out, err := Histogram1D(h, x, nil, edges)
	require.NoError(t, err)
	// bins: [0,1): 0, 0.5; [1,2): 1, 1.5; [2,3]: 2.999, 3 (right edge kept);
	// outside: −0.1, 3.1.
	assert.Equal(t, []float64{2, 2, 2}, h, "counts")
	assert.Equal(t, 2.0, out, "outside")

	w := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	out, err = Histogram1D(h, x, w, edges)
	require.NoError(t, err)
	assert.Equal(t, []float64{1 + 2, 3 + 8, 4 + 5}, h, "weighted counts")
	assert.Equal(t, 6.0+7, out, "weighted outside")

	// Density integrates to one over in-range counts: weights 3, 11, 9.
	d := make([]float64, 3)
	require.NoError(t, Density1D(d, h, []float64{0, 1, 2, 4}))
	testutil.InDelta(t, 9.0/23/2, d[2], 1e-15, "density[2]")
	testutil.InDelta(t, 1, d[0]+d[1]+2*d[2], 1e-15, "∫density")

	_, err = Histogram1D(h, []float64{math.NaN()}, nil, edges)
	assert.Error(t, err, "NaN sample")
	_, err = Histogram1D(h, x, w[:3], edges)
	assert.Error(t, err, "short weights")
	_, err = Histogram1D(h, x, nil, []float64{0, 2, 1, 3})
	assert.Error(t, err, "non-increasing edges")
	_, err = Histogram1D(h, x, []float64{1, 1, 1, -1, 1, 1, 1, 1}, edges)
	assert.Error(t, err, "negative weight")
	assert.Error(t, Density1D(d, []float64{0, 0, 0}, edges), "empty density")
}

func TestHistogram2DHandMade(t *testing.T) {
	xe := []float64{0, 1, 2}
	ye := []float64{0, 1, 2, 3}
	xy := []float64{
		0.5, 0.5, // (0,0)
		1.5, 2.5, // (1,2)
		2, 3, // (1,2): right edges included
		0.2, 1.7, // (0,1)
		-1, 1, // outside in x
		1, 3.5, // outside in y
	}
	w := []float64{1, 2, 4, 8, 16, 32}
	h := make([]float64, 6)
	out, err := Histogram2D(h, xy, w, xe, ye)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 8, 0, 0, 0, 6}, h, "counts h[i*3+j]")
	assert.Equal(t, 48.0, out, "outside")
	d := make([]float64, 6)
	require.NoError(t, Density2D(d, h, xe, []float64{0, 1, 2, 5}))
	testutil.InDelta(t, 6.0/15/3, d[5], 1e-15, "density[5]")
	_, err = Histogram2D(h, []float64{0, math.NaN()}, nil, xe, ye)
	assert.Error(t, err, "NaN point")
	_, err = Histogram2D(h, []float64{0, 1, 2}, nil, xe, ye)
	assert.Error(t, err, "odd length")
	_, err = Histogram2D(h[:5], xy, nil, xe, ye)
	assert.Error(t, err, "short dst")
}

func TestCommonEdges2D(t *testing.T) {
	a := []float64{0, 5, 1, 6}
	b := []float64{-2, 5.5, 0.5, 7}
	xe, ye, err := CommonEdges2D(a, b, 4)
	require.NoError(t, err)
	assert.Equal(t, [2]float64{-2, 1}, [2]float64{xe[0], xe[4]}, "x range")
	assert.Equal(t, [2]float64{5, 7}, [2]float64{ye[0], ye[4]}, "y range")
	xe2, ye2, _ := CommonEdges2D(b, a, 4)
	require.Equal(t, xe, xe2, "x edges of (a, b) against (b, a)")
	require.Equal(t, ye, ye2, "y edges of (a, b) against (b, a)")
	// A degenerate coordinate is widened by ±½ (numpy).
	xe, _, err = CommonEdges2D([]float64{3, 0}, []float64{3, 1}, 2)
	require.NoError(t, err)
	assert.Equal(t, [2]float64{2.5, 3.5}, [2]float64{xe[0], xe[2]}, "widened x range")
	_, _, err = CommonEdges2D(nil, nil, 10)
	assert.Error(t, err, "no points")
	_, _, err = CommonEdges2D([]float64{0, math.Inf(1)}, nil, 10)
	assert.Error(t, err, "Inf point")
}
