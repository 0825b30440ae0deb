package analysis

import (
	"math"
	"testing"
)

func TestEdges(t *testing.T) {
	e, err := Edges(-1, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{-1, -0.5, 0, 0.5, 1}
	for i := range want {
		assertClose(t, "edge", e[i], want[i], 0)
	}
	_, err = Edges(1, 1, 4)
	assertErr(t, "hi = lo", err)
	_, err = Edges(0, 1, 0)
	assertErr(t, "n = 0", err)
	_, err = Edges(math.NaN(), 1, 3)
	assertErr(t, "NaN lo", err)
}

func TestHistogram1DHandMade(t *testing.T) {
	edges := []float64{0, 1, 2, 3}
	x := []float64{0, 0.5, 1, 2.999, 3, -0.1, 3.1, 1.5}
	h := make([]float64, 3)
	out, err := Histogram1D(h, x, nil, edges)
	if err != nil {
		t.Fatal(err)
	}
	// bins: [0,1): 0, 0.5; [1,2): 1, 1.5; [2,3]: 2.999, 3 (right edge kept);
	// outside: −0.1, 3.1.
	want := []float64{2, 2, 2}
	for i := range want {
		assertClose(t, "count", h[i], want[i], 0)
	}
	assertClose(t, "outside", out, 2, 0)

	w := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	out, err = Histogram1D(h, x, w, edges)
	if err != nil {
		t.Fatal(err)
	}
	want = []float64{1 + 2, 3 + 8, 4 + 5}
	for i := range want {
		assertClose(t, "weighted count", h[i], want[i], 0)
	}
	assertClose(t, "weighted outside", out, 6+7, 0)

	// Density integrates to one over in-range counts: weights 3, 11, 9.
	d := make([]float64, 3)
	if err := Density1D(d, h, []float64{0, 1, 2, 4}); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "density[2]", d[2], 9.0/23/2, 1e-15)
	assertClose(t, "∫density", d[0]+d[1]+2*d[2], 1, 1e-15)

	_, err = Histogram1D(h, []float64{math.NaN()}, nil, edges)
	assertErr(t, "NaN sample", err)
	_, err = Histogram1D(h, x, w[:3], edges)
	assertErr(t, "short weights", err)
	_, err = Histogram1D(h, x, nil, []float64{0, 2, 1, 3})
	assertErr(t, "non-increasing edges", err)
	_, err = Histogram1D(h, x, []float64{1, 1, 1, -1, 1, 1, 1, 1}, edges)
	assertErr(t, "negative weight", err)
	assertErr(t, "empty density", Density1D(d, []float64{0, 0, 0}, edges))
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
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 8, 0, 0, 0, 6} // h[i*3+j]
	for i := range want {
		assertClose(t, "count", h[i], want[i], 0)
	}
	assertClose(t, "outside", out, 48, 0)
	d := make([]float64, 6)
	if err := Density2D(d, h, xe, []float64{0, 1, 2, 5}); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "density[5]", d[5], 6.0/15/3, 1e-15)
	_, err = Histogram2D(h, []float64{0, math.NaN()}, nil, xe, ye)
	assertErr(t, "NaN point", err)
	_, err = Histogram2D(h, []float64{0, 1, 2}, nil, xe, ye)
	assertErr(t, "odd length", err)
	_, err = Histogram2D(h[:5], xy, nil, xe, ye)
	assertErr(t, "short dst", err)
}

func TestCommonEdges2D(t *testing.T) {
	a := []float64{0, 5, 1, 6}
	b := []float64{-2, 5.5, 0.5, 7}
	xe, ye, err := CommonEdges2D(a, b, 4)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "x lo", xe[0], -2, 0)
	assertClose(t, "x hi", xe[4], 1, 0)
	assertClose(t, "y lo", ye[0], 5, 0)
	assertClose(t, "y hi", ye[4], 7, 0)
	xe2, ye2, _ := CommonEdges2D(b, a, 4)
	for i := range xe {
		if xe[i] != xe2[i] || ye[i] != ye2[i] {
			t.Fatalf("edges depend on argument order")
		}
	}
	// A degenerate coordinate is widened by ±½ (numpy).
	xe, _, err = CommonEdges2D([]float64{3, 0}, []float64{3, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "widened lo", xe[0], 2.5, 0)
	assertClose(t, "widened hi", xe[2], 3.5, 0)
	_, _, err = CommonEdges2D(nil, nil, 10)
	assertErr(t, "no points", err)
	_, _, err = CommonEdges2D([]float64{0, math.Inf(1)}, nil, 10)
	assertErr(t, "Inf point", err)
}
