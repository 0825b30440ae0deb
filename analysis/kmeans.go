package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dspib/dspib/internal/par"
)

// KMeansConfig configures KMeans. The zero value means the defaults
// (scikit-learn's): at most 300 Lloyd iterations, tolerance 1e−4.
type KMeansConfig struct {
	// MaxIter is the maximum number of Lloyd iterations (centre updates);
	// 0 means 300.
	MaxIter int
	// Tol is the convergence tolerance on the summed squared movement of
	// the centres in one iteration, relative to the mean per-coordinate
	// variance of the data (dimensionless); 0 means 1e−4.
	Tol float64
}

// validate returns cfg with defaults filled in, or an error naming the bad
// field.
func (cfg KMeansConfig) validate() (KMeansConfig, error) {
	if cfg.MaxIter < 0 {
		return cfg, fmt.Errorf("analysis: KMeansConfig.MaxIter = %d, want ≥ 0 (0 means 300)", cfg.MaxIter)
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = 300
	}
	if !(cfg.Tol >= 0) || math.IsInf(cfg.Tol, 0) {
		return cfg, fmt.Errorf("analysis: KMeansConfig.Tol = %v, want finite ≥ 0 (0 means 1e-4)", cfg.Tol)
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-4
	}
	return cfg, nil
}

// KMeansResult is the outcome of KMeans.
type KMeansResult struct {
	// Centres holds the k cluster centres, k × dim, row-major.
	Centres []float64
	// Labels holds, for each of the n points, the index of its nearest
	// centre in Centres (ties go to the lower index).
	Labels []int
	// Inertia is Σ_i |x_i − centre(label_i)|², in squared data units.
	Inertia float64
	// Iterations is the number of Lloyd centre updates performed.
	Iterations int
	// Converged reports whether the labels stopped changing or the centres
	// moved less than the tolerance before MaxIter.
	Converged bool
}

// KMeans clusters the n points x (n × dim, row-major) into k clusters by
// Lloyd's algorithm (Lloyd 1982) from k-means++ seeding (Arthur &
// Vassilvitskii 2007), drawing all randomness from rng. It minimises the
// inertia Σ_i min_c |x_i − μ_c|². Labels and Centres returned always belong
// together: the labels are the nearest-centre assignment of the returned
// centres.
//
// Empty clusters: a centre that loses all its points is moved onto the point
// farthest from its own centre (then the next farthest for the next empty
// cluster, ...), as in scikit-learn; an iteration that re-seeds does not count
// as converged. If x has fewer than k distinct points some centres coincide
// and their clusters may stay empty.
//
// The assignment step runs in parallel over chunks of points whose
// boundaries depend only on n; partial sums are reduced in chunk order, so
// the result for a given seed is bit-identical whatever GOMAXPROCS.
// Errors: k < 1, k > n, dim < 1, len(x) not a multiple of dim, a non-finite
// coordinate (named by point and coordinate), nil rng, bad config.
func KMeans(x []float64, dim, k int, rng *rand.Rand, cfg KMeansConfig) (KMeansResult, error) {
	return kmeans(x, dim, k, rng, cfg, false)
}

// kmeans is KMeans; plain scans every point in every assignment (Lloyd
// without Hamerly's bounds), the reference the tests compare against.
func kmeans(x []float64, dim, k int, rng *rand.Rand, cfg KMeansConfig, plain bool) (KMeansResult, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return KMeansResult{}, err
	}
	switch {
	case rng == nil:
		return KMeansResult{}, fmt.Errorf("analysis: KMeans: nil rng")
	case dim < 1:
		return KMeansResult{}, fmt.Errorf("analysis: KMeans: dim = %d, want ≥ 1", dim)
	case len(x)%dim != 0:
		return KMeansResult{}, fmt.Errorf("analysis: KMeans: len(x) = %d is not a multiple of dim = %d", len(x), dim)
	case k < 1:
		return KMeansResult{}, fmt.Errorf("analysis: KMeans: k = %d clusters, want ≥ 1", k)
	}
	n := len(x) / dim
	if k > n {
		return KMeansResult{}, fmt.Errorf("analysis: KMeans: k = %d clusters > %d points", k, n)
	}
	if i, ok := firstNonFinite(x); !ok {
		return KMeansResult{}, fmt.Errorf("analysis: KMeans: point %d coordinate %d is %v", i/dim, i%dim, x[i])
	}
	r := newKMeansRun(x, n, dim, k)
	r.plain = plain
	r.seed(rng)
	tolAbs := cfg.Tol * meanVariance(x, n, dim)

	res := KMeansResult{Labels: r.labels}
	for {
		inertia, changed := r.assign()
		res.Inertia = inertia
		if res.Iterations > 0 && changed == 0 {
			res.Converged = true
		}
		if res.Converged || res.Iterations == cfg.MaxIter {
			break
		}
		shift, empties := r.update()
		res.Iterations++
		res.Converged = empties == 0 && shift <= tolAbs
	}
	res.Centres = r.centres
	return res, nil
}

// meanVariance returns the variance of each coordinate of x, averaged over
// the dim coordinates.
func meanVariance(x []float64, n, dim int) float64 {
	var total float64
	for d := 0; d < dim; d++ {
		var mean float64
		for i := 0; i < n; i++ {
			mean += x[i*dim+d]
		}
		mean /= float64(n)
		var ss float64
		for i := 0; i < n; i++ {
			v := x[i*dim+d] - mean
			ss += v * v
		}
		total += ss / float64(n)
	}
	return total / float64(dim)
}

// kmeansRun holds the buffers of one KMeans call.
type kmeansRun struct {
	x          []float64
	n, dim, k  int
	chunk, nc  int
	centres    []float64 // k × dim
	labels     []int     // n
	dist       []float64 // n: squared distance to the nearest centre
	partSums   []float64 // nc × k × dim
	partCounts []float64 // nc × k
	partScalar []float64 // nc: inertia or seeding D² sums per chunk
	partChange []int     // nc

	// Hamerly's bounds (J. Hamerly, "Making k-means even faster", SDM 2010):
	// upper[i] ≥ |x_i − μ_labels[i]|, lower[i] ≤ |x_i − μ_c| for every other
	// c (Euclidean, not squared), kept valid across centre moves. They only
	// decide which points need a full scan; see assign.
	upper, lower []float64 // n
	half         []float64 // k: half the distance from μ_c to its nearest other centre
	move         []float64 // k: how far μ_c moved in the last update
	old          []float64 // k × dim: the centres before the last update
	bounded      bool      // upper, lower and move are set (after the first assign)
	plain        bool      // test hook: full scan of every point (plain Lloyd)
}

func newKMeansRun(x []float64, n, dim, k int) *kmeansRun {
	// At least 4096 points per chunk, at most 256 chunks: bounded partial-sum
	// memory, boundaries that depend on n only.
	chunk := max(4096, (n+255)/256)
	nc := par.NumChunks(n, chunk)
	r := &kmeansRun{
		x: x, n: n, dim: dim, k: k, chunk: chunk, nc: nc,
		centres:    make([]float64, k*dim),
		labels:     make([]int, n),
		dist:       make([]float64, n),
		partSums:   make([]float64, nc*k*dim),
		partCounts: make([]float64, nc*k),
		partScalar: make([]float64, nc),
		partChange: make([]int, nc),
		upper:      make([]float64, n),
		lower:      make([]float64, n),
		half:       make([]float64, k),
		move:       make([]float64, k),
		old:        make([]float64, k*dim),
	}
	for i := range r.labels {
		r.labels[i] = -1
	}
	return r
}

func sqDist(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		d := v - b[i]
		s += d * d
	}
	return s
}

// seed chooses the initial centres by k-means++: the first uniformly, each
// next one with probability proportional to the squared distance D² to the
// nearest centre already chosen.
func (r *kmeansRun) seed(rng *rand.Rand) {
	dim := r.dim
	first := rng.IntN(r.n)
	copy(r.centres[:dim], r.x[first*dim:(first+1)*dim])
	r.updateD2(0, true)
	for c := 1; c < r.k; c++ {
		var total float64
		for _, s := range r.partScalar {
			total += s
		}
		idx := -1
		if total > 0 {
			u := rng.Float64() * total
			var acc float64
			ch := 0
			for ; ch < r.nc-1 && acc+r.partScalar[ch] <= u; ch++ {
				acc += r.partScalar[ch]
			}
			lo, hi := ch*r.chunk, min((ch+1)*r.chunk, r.n)
			last := -1
			for i := lo; i < hi; i++ {
				if r.dist[i] > 0 {
					last = i
					acc += r.dist[i]
					if acc > u {
						idx = i
						break
					}
				}
			}
			if idx < 0 { // rounding: take the last candidate of the chunk
				idx = last
			}
			for i := r.n - 1; idx < 0 && i >= 0; i-- { // rounding at the very end
				if r.dist[i] > 0 {
					idx = i
				}
			}
		}
		if idx < 0 { // all points coincide with chosen centres
			idx = rng.IntN(r.n)
		}
		copy(r.centres[c*dim:(c+1)*dim], r.x[idx*dim:(idx+1)*dim])
		r.updateD2(c, false)
	}
}

// updateD2 lowers dist to the squared distance to centre c (or sets it, if
// first) and stores the per-chunk sums of dist in partScalar.
func (r *kmeansRun) updateD2(c int, first bool) {
	dim := r.dim
	centre := r.centres[c*dim : (c+1)*dim]
	par.Chunks(r.n, r.chunk, 0, func(_, ch, lo, hi int) {
		var s float64
		for i := lo; i < hi; i++ {
			d := sqDist(r.x[i*dim:(i+1)*dim], centre)
			if first || d < r.dist[i] {
				r.dist[i] = d
			}
			s += r.dist[i]
		}
		r.partScalar[ch] = s
	})
}

// boundSlack is the relative margin by which a Hamerly bound must clear
// its threshold before a point's full scan is skipped. The bounds carry
// rounding errors of a few ulps per iteration (≤ 300 iterations: < 1e-13
// relative); 1e-9 makes every skip a proof that the current centre is
// strictly the nearest, so the labels are exactly those of a full scan
// (ties, which a full scan gives to the lowest index, are always scanned).
const boundSlack = 1e-9

// assign labels every point with its nearest centre (the lowest index on
// ties), records its squared distance, accumulates the per-chunk sums and
// counts for update, and returns the inertia and the number of changed
// labels. After the first call, Hamerly's bounds skip the scan over all k
// centres for a point whose current centre is provably still the nearest;
// the result is the same as scanning every point (the plain hook), bit for
// bit: the skipped point's squared distance is computed by the same
// expression.
func (r *kmeansRun) assign() (inertia float64, changed int) {
	dim, k := r.dim, r.k
	bounded := r.bounded && !r.plain
	var maxMove, secondMove float64
	maxAt := -1
	if bounded {
		for c, m := range r.move {
			if m > maxMove {
				secondMove, maxMove, maxAt = maxMove, m, c
			} else if m > secondMove {
				secondMove = m
			}
		}
		r.halfDistances()
	}
	par.Chunks(r.n, r.chunk, 0, func(_, ch, lo, hi int) {
		sums := r.partSums[ch*k*dim : (ch+1)*k*dim]
		counts := r.partCounts[ch*k : (ch+1)*k]
		for i := range sums {
			sums[i] = 0
		}
		for i := range counts {
			counts[i] = 0
		}
		var in float64
		nChanged := 0
		for i := lo; i < hi; i++ {
			xi := r.x[i*dim : (i+1)*dim]
			best, bestD := -1, 0.0
			if bounded {
				a := r.labels[i]
				u := r.upper[i] + r.move[a]
				l := r.lower[i] - maxMove
				if a == maxAt {
					l = r.lower[i] - secondMove
				}
				m := max(l, r.half[a]) * (1 - boundSlack)
				if u*(1+boundSlack) < m {
					best, bestD = a, distTo(xi, r.centres, a, dim)
					r.upper[i], r.lower[i] = u, l
				} else if d := distTo(xi, r.centres, a, dim); math.Sqrt(d)*(1+boundSlack) < m {
					best, bestD = a, d
					r.upper[i], r.lower[i] = math.Sqrt(d), l
				}
			}
			if best < 0 {
				var second float64
				best, bestD, second = nearest2(xi, r.centres, k, dim)
				r.upper[i], r.lower[i] = math.Sqrt(bestD), math.Sqrt(second)
			}
			if r.labels[i] != best {
				nChanged++
				r.labels[i] = best
			}
			r.dist[i] = bestD
			in += bestD
			counts[best]++
			s := sums[best*dim : (best+1)*dim]
			for d, v := range xi {
				s[d] += v
			}
		}
		r.partScalar[ch] = in
		r.partChange[ch] = nChanged
	})
	r.bounded = true
	for ch := 0; ch < r.nc; ch++ {
		inertia += r.partScalar[ch]
		changed += r.partChange[ch]
	}
	return inertia, changed
}

// distTo returns the squared distance from xi to centre c, by the same
// expressions as nearest2 (so a skipped point gets the same bits).
func distTo(xi, centres []float64, c, dim int) float64 {
	if dim == 2 {
		d0, d1 := xi[0]-centres[2*c], xi[1]-centres[2*c+1]
		return d0*d0 + d1*d1
	}
	return sqDist(xi, centres[c*dim:(c+1)*dim])
}

// nearest2 is nearest that also returns the second smallest squared
// distance (+Inf for k = 1).
func nearest2(xi, centres []float64, k, dim int) (best int, bestD, second float64) {
	bestD, second = math.Inf(1), math.Inf(1)
	if dim == 2 { // the common case (μ2, μ3) or (x, y), without inner slicing
		x0, x1 := xi[0], xi[1]
		centres = centres[:2*k]
		for c := 0; c < k; c++ {
			d0, d1 := x0-centres[2*c], x1-centres[2*c+1]
			if d := d0*d0 + d1*d1; d < bestD {
				best, bestD, second = c, d, bestD
			} else if d < second {
				second = d
			}
		}
		return best, bestD, second
	}
	for c := 0; c < k; c++ {
		d := distTo(xi, centres, c, dim)
		if d < bestD {
			best, bestD, second = c, d, bestD
		} else if d < second {
			second = d
		}
	}
	return best, bestD, second
}

// halfDistances sets half[c] to half the distance from centre c to its
// nearest other centre (+Inf for k = 1): a point closer than that to c has
// no nearer centre.
func (r *kmeansRun) halfDistances() {
	dim := r.dim
	for c := range r.half {
		r.half[c] = math.Inf(1)
	}
	for c := 0; c < r.k; c++ {
		for e := c + 1; e < r.k; e++ {
			d := 0.5 * math.Sqrt(sqDist(r.centres[c*dim:(c+1)*dim], r.centres[e*dim:(e+1)*dim]))
			r.half[c] = min(r.half[c], d)
			r.half[e] = min(r.half[e], d)
		}
	}
}

// update moves every centre to the mean of its points (reducing the partial
// sums in chunk order), re-seeds empty clusters from the farthest points, and
// returns the summed squared centre movement and the number of empty
// clusters.
func (r *kmeansRun) update() (shift float64, empties int) {
	dim, k := r.dim, r.k
	copy(r.old, r.centres)
	defer func() {
		for c := range r.move {
			r.move[c] = math.Sqrt(sqDist(r.centres[c*dim:(c+1)*dim], r.old[c*dim:(c+1)*dim]))
		}
	}()
	mean := make([]float64, dim)
	for c := 0; c < k; c++ {
		for d := range mean {
			mean[d] = 0
		}
		var count float64
		for ch := 0; ch < r.nc; ch++ {
			count += r.partCounts[ch*k+c]
			s := r.partSums[(ch*k+c)*dim : (ch*k+c+1)*dim]
			for d, v := range s {
				mean[d] += v
			}
		}
		centre := r.centres[c*dim : (c+1)*dim]
		if count == 0 {
			empties++
			far := 0
			for i, d := range r.dist {
				if d > r.dist[far] {
					far = i
				}
			}
			r.dist[far] = -1 // not again for another empty cluster
			copy(mean, r.x[far*dim:(far+1)*dim])
		} else {
			for d := range mean {
				mean[d] /= count
			}
		}
		shift += sqDist(mean, centre)
		copy(centre, mean)
	}
	return shift, empties
}
