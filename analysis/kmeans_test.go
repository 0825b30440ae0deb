package analysis

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/testutil"
)

// blobs returns k well-separated 2-D Gaussian blobs of m points each
// (σ = 0.1, centres 10 apart on a line and a shifted line), their true
// labels and the sample mean of each blob.
func blobs(seed uint64, k, m int) (x []float64, truth []int, means []float64) {
	rng := newRNG(seed)
	means = make([]float64, 2*k)
	for c := 0; c < k; c++ {
		cx, cy := 10*float64(c%3), 10*float64(c/3)
		pts := gaussian2D(rng, m, cx, cy, 0.1)
		for i := 0; i < m; i++ {
			means[2*c] += pts[2*i] / float64(m)
			means[2*c+1] += pts[2*i+1] / float64(m)
		}
		x = append(x, pts...)
		for range m {
			truth = append(truth, c)
		}
	}
	return x, truth, means
}

func TestKMeansRecoversBlobs(t *testing.T) {
	const k, m = 5, 1000
	x, truth, means := blobs(30, k, m)
	res, err := KMeans(x, 2, k, newRNG(31), KMeansConfig{})
	require.NoError(t, err)
	assert.True(t, res.Converged, "not converged after %d iterations", res.Iterations)
	// Each blob maps to one cluster and the map is a bijection.
	toCluster := make(map[int]int)
	seen := make(map[int]bool)
	for i, l := range res.Labels {
		c, ok := toCluster[truth[i]]
		if !ok {
			require.False(t, seen[l], "cluster %d holds two blobs", l)
			toCluster[truth[i]], seen[l] = l, true
			c = l
		}
		require.Equal(t, c, l, "blob %d split between clusters", truth[i])
	}
	// Perfect clustering: each centre is its blob's sample mean (rounding
	// only), and the inertia is the sum of squared deviations.
	var inertia float64
	for i := 0; i < len(truth); i++ {
		b := truth[i]
		dx, dy := x[2*i]-means[2*b], x[2*i+1]-means[2*b+1]
		inertia += dx*dx + dy*dy
	}
	for b, c := range toCluster {
		testutil.InDelta(t, means[2*b], res.Centres[2*c], 1e-12, "blob %d: centre x", b)
		testutil.InDelta(t, means[2*b+1], res.Centres[2*c+1], 1e-12, "blob %d: centre y", b)
	}
	testutil.InDelta(t, inertia, res.Inertia, 1e-9*inertia, "inertia")
	// Expected inertia: 2 coordinates × σ² × (m−1) per blob; relative sd of a
	// χ² with 2k(m−1) dof is sqrt(2/(2k(m−1))); 5 sd.
	want := 2 * 0.01 * float64(k*(m-1))
	testutil.InDelta(t, want, res.Inertia, 5*math.Sqrt(1/float64(k*(m-1)))*want, "inertia vs σ²")
}

func TestKMeansDeterministic(t *testing.T) {
	// 25000 points: several chunks of 4096, so the reduction order matters.
	rng := newRNG(32)
	x := gaussian2D(rng, 25000, 0, 0, 1) // one blob: many local optima
	run := func(p int, seed uint64) KMeansResult {
		var res KMeansResult
		withGOMAXPROCS(p, func() {
			var err error
			res, err = KMeans(x, 2, 8, newRNG(seed), KMeansConfig{MaxIter: 20})
			require.NoError(t, err)
		})
		return res
	}
	r1, r4 := run(1, 5), run(4, 5)
	testutil.SameBits(t, "inertia, GOMAXPROCS 1 against 4", []float64{r1.Inertia}, []float64{r4.Inertia})
	require.Equal(t, r1.Iterations, r4.Iterations, "iterations, GOMAXPROCS 1 against 4")
	testutil.SameBits(t, "centres, GOMAXPROCS 1 against 4", r1.Centres, r4.Centres)
	require.Equal(t, r1.Labels, r4.Labels, "labels, GOMAXPROCS 1 against 4")
	r2 := run(2, 6)
	assert.NotEqual(t, r1.Centres, r2.Centres, "seeds 5 and 6 gave identical centres")
	// Labels are the nearest-centre assignment of the returned centres.
	for i := 0; i < 25000; i += 997 {
		best, bestD := -1, math.Inf(1)
		for c := 0; c < 8; c++ {
			if d := sqDist(x[2*i:2*i+2], r1.Centres[2*c:2*c+2]); d < bestD {
				best, bestD = c, d
			}
		}
		require.Equal(t, best, r1.Labels[i], "point %d: label against the nearest centre", i)
	}
}

func TestKMeansEmptyClusterReseeded(t *testing.T) {
	// Points at 0, 1, 2 and 10; centres at 0, 2 and 100 (far from all).
	x := []float64{0, 1, 2, 10}
	r := newKMeansRun(x, 4, 1, 3)
	copy(r.centres, []float64{0, 2, 100})
	r.assign()
	_, empties := r.update()
	require.Equal(t, 1, empties, "empty clusters")
	// Cluster 2 is empty and moves onto the farthest point from its own
	// centre: 10 (distance 8 from centre 2).
	// Centre 0 is the mean of {0, 1} (the tie at 1 goes to centre 0),
	// centre 1 of {2, 10}.
	assert.Equal(t, []float64{0.5, 6, 10}, r.centres, "centres after the update")
}

func TestKMeansErrors(t *testing.T) {
	x := []float64{0, 0, 1, 1, 2, 2}
	rng := newRNG(1)
	_, err := KMeans(x, 2, 4, rng, KMeansConfig{})
	assert.ErrorContains(t, err, "k = 4", "k > n")
	_, err = KMeans(x, 2, 0, rng, KMeansConfig{})
	assert.Error(t, err, "k = 0")
	_, err = KMeans([]float64{0, 0, math.NaN(), 1}, 2, 1, rng, KMeansConfig{})
	assert.ErrorContains(t, err, "point 1", "NaN")
	_, err = KMeans(x, 2, 1, nil, KMeansConfig{})
	assert.Error(t, err, "nil rng")
	_, err = KMeans(x[:5], 2, 1, rng, KMeansConfig{})
	assert.Error(t, err, "odd length")
	_, err = KMeans(x, 2, 1, rng, KMeansConfig{MaxIter: -1})
	assert.Error(t, err, "MaxIter < 0")
	_, err = KMeans(x, 2, 1, rng, KMeansConfig{Tol: math.Inf(1)})
	assert.Error(t, err, "Tol Inf")
	// Duplicate points: k = n still works.
	res, err := KMeans([]float64{1, 1, 1}, 1, 3, rng, KMeansConfig{})
	require.NoError(t, err, "identical points")
	assert.Zero(t, res.Inertia, "identical points: inertia")
}

// TestKMeansBoundsExact checks that Hamerly's bounds only skip work: the
// result equals plain Lloyd (every point scanned in every iteration) bit for
// bit, run to convergence on one blob (many small centre moves, the hard
// case for the bounds), in 2-D and 3-D (the general distance code), and
// with an empty cluster re-seeded (duplicate points force it).
func TestKMeansBoundsExact(t *testing.T) {
	rng := newRNG(34)
	x2 := gaussian2D(rng, 20000, 0, 0, 1)
	x3 := make([]float64, 3*9000)
	for i := range x3 {
		x3[i] = rng.NormFloat64()
	}
	dup := make([]float64, 2*3000) // 3000 points on 40 sites: duplicates
	for i := range 3000 {
		s := i % 40
		dup[2*i], dup[2*i+1] = float64(s%7), float64(s/7)
	}
	for _, c := range []struct {
		name   string
		x      []float64
		dim, k int
		iters  int // at least this many iterations, so the bounds are used
	}{{"2-D", x2, 2, 50, 10}, {"3-D", x3, 3, 20, 10}, {"duplicates", dup, 2, 40, 1}} {
		fast, err := kmeans(c.x, c.dim, c.k, newRNG(9), KMeansConfig{}, false)
		require.NoError(t, err, c.name)
		plain, err := kmeans(c.x, c.dim, c.k, newRNG(9), KMeansConfig{}, true)
		require.NoError(t, err, c.name)
		assert.GreaterOrEqual(t, plain.Iterations, c.iters, "%s: too few iterations to exercise the bounds", c.name)
		require.Equal(t, plain.Iterations, fast.Iterations, "%s: iterations", c.name)
		require.Equal(t, plain.Labels, fast.Labels, "%s: labels", c.name)
		testutil.SameBits(t, c.name+": centres", plain.Centres, fast.Centres)
		testutil.SameBits(t, c.name+": inertia", []float64{plain.Inertia}, []float64{fast.Inertia})
	}
}

// BenchmarkKMeans100 times k-means (K = 100, at most 50 Lloyd iterations)
// on 10⁵ 2-D points, with Hamerly's bounds ("bounds") and plain Lloyd.
//
//	go test ./analysis -run '^$' -bench KMeans100 -count 6 -cpu 1
func BenchmarkKMeans100(b *testing.B) {
	rng := newRNG(33)
	x := gaussian2D(rng, 100000, 0, 0, 1)
	for _, plain := range []bool{false, true} {
		name := "bounds"
		if plain {
			name = "plain"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := kmeans(x, 2, 100, newRNG(1), KMeansConfig{MaxIter: 50}, plain); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
