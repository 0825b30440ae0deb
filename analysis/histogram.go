package analysis

import (
	"fmt"
	"math"
)

// Edges returns n+1 equally spaced bin edges from lo to hi (n bins), computed
// as lo + i·(hi − lo)/n with the last edge exactly hi, as numpy.linspace does.
func Edges(lo, hi float64, n int) ([]float64, error) {
	if n < 1 {
		return nil, fmt.Errorf("analysis: Edges: number of bins n = %d, want ≥ 1", n)
	}
	if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) {
		return nil, fmt.Errorf("analysis: Edges: lo = %v, hi = %v, want finite", lo, hi)
	}
	if !(hi > lo) {
		return nil, fmt.Errorf("analysis: Edges: hi = %v, want > lo = %v", hi, lo)
	}
	e := make([]float64, n+1)
	step := (hi - lo) / float64(n)
	for i := range e {
		e[i] = lo + float64(i)*step
	}
	e[n] = hi
	return e, nil
}

// CheckEdges reports whether edges are at least two finite, strictly
// increasing bin edges; the error names the argument (name) and the index.
// It is shared by the histograms here and the figures in analysis/plots.
func CheckEdges(name string, edges []float64) error {
	if len(edges) < 2 {
		return fmt.Errorf("%s: %d edges, want at least 2", name, len(edges))
	}
	for i, v := range edges {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s[%d] = %v, want finite", name, i, v)
		}
		if i > 0 && !(v > edges[i-1]) {
			return fmt.Errorf("%s[%d] = %v ≤ %s[%d] = %v, want strictly increasing", name, i, v, name, i-1, edges[i-1])
		}
	}
	return nil
}

// checkEdges is CheckEdges with this package's error prefix.
func checkEdges(name string, edges []float64) error {
	if err := CheckEdges(name, edges); err != nil {
		return fmt.Errorf("analysis: %w", err)
	}
	return nil
}

// bin returns the index b with edges[b] ≤ v < edges[b+1], the last bin for
// v equal to the last edge, or −1 if v lies outside [edges[0], edges[last]]
// (numpy.histogram's convention).
func bin(edges []float64, v float64) int {
	last := len(edges) - 1
	if !(v >= edges[0]) || v > edges[last] {
		return -1
	}
	if v == edges[last] {
		return last - 1
	}
	lo, hi := 0, last // invariant: edges[lo] ≤ v < edges[hi]
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if edges[mid] <= v {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// checkWeights verifies that weights is nil or has n finite non-negative
// entries.
func checkWeights(name string, weights []float64, n int) error {
	if weights == nil {
		return nil
	}
	if len(weights) != n {
		return fmt.Errorf("analysis: len(%s) = %d, want %d (one per point)", name, len(weights), n)
	}
	for i, w := range weights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("analysis: %s[%d] = %v, want finite ≥ 0", name, i, w)
		}
	}
	return nil
}

// Histogram1D writes into dst (len(edges)−1 bins) the weighted counts of the
// samples x in the bins defined by edges: dst[b] = Σ w_i over samples with
// edges[b] ≤ x_i < edges[b+1] (the last bin also includes its right edge).
// weights may be nil (every weight 1).
//
// Out-of-range policy: samples outside [edges[0], edges[last]] are dropped;
// their total weight is returned as outside so that callers can report it.
// NaN samples are an error.
func Histogram1D(dst, x, weights, edges []float64) (outside float64, err error) {
	if err := checkEdges("edges", edges); err != nil {
		return 0, err
	}
	if len(dst) != len(edges)-1 {
		return 0, fmt.Errorf("analysis: Histogram1D: len(dst) = %d, want len(edges)-1 = %d", len(dst), len(edges)-1)
	}
	if err := checkWeights("weights", weights, len(x)); err != nil {
		return 0, err
	}
	for i := range dst {
		dst[i] = 0
	}
	for i, v := range x {
		if math.IsNaN(v) {
			return 0, fmt.Errorf("analysis: Histogram1D: x[%d] is NaN", i)
		}
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		if b := bin(edges, v); b >= 0 {
			dst[b] += w
		} else {
			outside += w
		}
	}
	return outside, nil
}

// Histogram2D writes into dst (nx × ny bins, nx = len(xEdges)−1,
// ny = len(yEdges)−1, row-major: dst[i*ny+j] is x-bin i, y-bin j, as
// numpy.histogram2d's H[i, j]) the weighted counts of the points xy (n × 2,
// row-major). weights may be nil (every weight 1).
//
// Out-of-range policy: a point outside the rectangle spanned by the edges in
// either coordinate is dropped and its weight added to the returned outside.
// Right edges are included in the last bin. NaN coordinates are an error.
func Histogram2D(dst, xy, weights, xEdges, yEdges []float64) (outside float64, err error) {
	if err := checkEdges("xEdges", xEdges); err != nil {
		return 0, err
	}
	if err := checkEdges("yEdges", yEdges); err != nil {
		return 0, err
	}
	nx, ny := len(xEdges)-1, len(yEdges)-1
	if len(dst) != nx*ny {
		return 0, fmt.Errorf("analysis: Histogram2D: len(dst) = %d, want nx*ny = %d", len(dst), nx*ny)
	}
	if len(xy)%2 != 0 {
		return 0, fmt.Errorf("analysis: Histogram2D: len(xy) = %d is odd, want n×2 points", len(xy))
	}
	n := len(xy) / 2
	if err := checkWeights("weights", weights, n); err != nil {
		return 0, err
	}
	for i := range dst {
		dst[i] = 0
	}
	for p := 0; p < n; p++ {
		x, y := xy[2*p], xy[2*p+1]
		if math.IsNaN(x) || math.IsNaN(y) {
			return 0, fmt.Errorf("analysis: Histogram2D: point %d = (%v, %v) has NaN", p, x, y)
		}
		w := 1.0
		if weights != nil {
			w = weights[p]
		}
		i, j := bin(xEdges, x), bin(yEdges, y)
		if i < 0 || j < 0 {
			outside += w
			continue
		}
		dst[i*ny+j] += w
	}
	return outside, nil
}

// Density1D writes into dst the probability density [1/length] of the
// histogram counts on edges: dst[b] = counts[b]/(Σ counts · (edges[b+1] −
// edges[b])), so that Σ dst[b]·width_b = 1 (numpy density=True; the total is
// over in-range counts only). dst may be counts itself.
func Density1D(dst, counts, edges []float64) error {
	if err := checkEdges("edges", edges); err != nil {
		return err
	}
	if len(counts) != len(edges)-1 || len(dst) != len(counts) {
		return fmt.Errorf("analysis: Density1D: len(dst) = %d, len(counts) = %d, want len(edges)-1 = %d", len(dst), len(counts), len(edges)-1)
	}
	total, err := sumCounts(counts)
	if err != nil {
		return err
	}
	for b, c := range counts {
		dst[b] = c / (total * (edges[b+1] - edges[b]))
	}
	return nil
}

// Density2D writes into dst the probability density [1/area] of the 2-D
// histogram counts (layout as Histogram2D): dst[i*ny+j] = counts[i*ny+j] /
// (Σ counts · Δx_i · Δy_j). dst may be counts itself.
func Density2D(dst, counts, xEdges, yEdges []float64) error {
	if err := checkEdges("xEdges", xEdges); err != nil {
		return err
	}
	if err := checkEdges("yEdges", yEdges); err != nil {
		return err
	}
	nx, ny := len(xEdges)-1, len(yEdges)-1
	if len(counts) != nx*ny || len(dst) != nx*ny {
		return fmt.Errorf("analysis: Density2D: len(dst) = %d, len(counts) = %d, want nx*ny = %d", len(dst), len(counts), nx*ny)
	}
	total, err := sumCounts(counts)
	if err != nil {
		return err
	}
	for i := 0; i < nx; i++ {
		dx := xEdges[i+1] - xEdges[i]
		for j := 0; j < ny; j++ {
			dst[i*ny+j] = counts[i*ny+j] / (total * dx * (yEdges[j+1] - yEdges[j]))
		}
	}
	return nil
}

func sumCounts(counts []float64) (float64, error) {
	var total float64
	for b, c := range counts {
		if !(c >= 0) || math.IsInf(c, 0) {
			return 0, fmt.Errorf("analysis: counts[%d] = %v, want finite ≥ 0", b, c)
		}
		total += c
	}
	if !(total > 0) {
		return 0, fmt.Errorf("analysis: histogram is empty (total count %v)", total)
	}
	return total, nil
}

// CommonEdges2D returns nbins+1 equally spaced edges per coordinate spanning
// the union of the 2-D point sets a and b (each n × 2, row-major): from the
// smallest to the largest coordinate over both sets. As in numpy, a
// degenerate range lo = hi is widened to [lo − ½, hi + ½]. Histograms of a
// and b on these edges drop no point, and the edges do not depend on the
// order of the arguments.
func CommonEdges2D(a, b []float64, nbins int) (xEdges, yEdges []float64, err error) {
	return edges2D(nbins, a, b)
}

// edges2D returns equally spaced edges over the bounding box of the given
// 2-D point sets.
func edges2D(nbins int, sets ...[]float64) (xEdges, yEdges []float64, err error) {
	if nbins < 1 {
		return nil, nil, fmt.Errorf("analysis: number of bins = %d, want ≥ 1", nbins)
	}
	lo := [2]float64{math.Inf(1), math.Inf(1)}
	hi := [2]float64{math.Inf(-1), math.Inf(-1)}
	for s, set := range sets {
		if len(set)%2 != 0 {
			return nil, nil, fmt.Errorf("analysis: point set %d has odd length %d, want n×2", s, len(set))
		}
		for i, v := range set {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("analysis: point set %d: point %d coordinate %d is %v", s, i/2, i%2, v)
			}
			k := i % 2
			lo[k] = min(lo[k], v)
			hi[k] = max(hi[k], v)
		}
	}
	if lo[0] > hi[0] {
		return nil, nil, fmt.Errorf("analysis: no points to span")
	}
	var out [2][]float64
	for k := range 2 {
		l, h := lo[k], hi[k]
		if l == h {
			l, h = l-0.5, h+0.5
		}
		if out[k], err = Edges(l, h, nbins); err != nil {
			return nil, nil, err
		}
	}
	return out[0], out[1], nil
}
