package analysis

import (
	"math"
	"strings"
	"testing"
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
	if err != nil {
		t.Fatal(err)
	}
	if !res.Converged {
		t.Errorf("not converged after %d iterations", res.Iterations)
	}
	// Each blob maps to one cluster and the map is a bijection.
	toCluster := make(map[int]int)
	seen := make(map[int]bool)
	for i, l := range res.Labels {
		c, ok := toCluster[truth[i]]
		if !ok {
			if seen[l] {
				t.Fatalf("cluster %d holds two blobs", l)
			}
			toCluster[truth[i]], seen[l] = l, true
			c = l
		}
		if c != l {
			t.Fatalf("blob %d split between clusters %d and %d", truth[i], c, l)
		}
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
		assertClose(t, "centre x", res.Centres[2*c], means[2*b], 1e-12)
		assertClose(t, "centre y", res.Centres[2*c+1], means[2*b+1], 1e-12)
	}
	assertClose(t, "inertia", res.Inertia, inertia, 1e-9*inertia)
	// Expected inertia: 2 coordinates × σ² × (m−1) per blob; relative sd of a
	// χ² with 2k(m−1) dof is sqrt(2/(2k(m−1))); 5 sd.
	want := 2 * 0.01 * float64(k*(m-1))
	assertClose(t, "inertia vs σ²", res.Inertia, want, 5*math.Sqrt(1/float64(k*(m-1)))*want)
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
			if err != nil {
				t.Fatal(err)
			}
		})
		return res
	}
	r1, r4 := run(1, 5), run(4, 5)
	if r1.Inertia != r4.Inertia || r1.Iterations != r4.Iterations {
		t.Fatalf("GOMAXPROCS 1 vs 4: inertia %v vs %v, iterations %d vs %d", r1.Inertia, r4.Inertia, r1.Iterations, r4.Iterations)
	}
	for i := range r1.Centres {
		if r1.Centres[i] != r4.Centres[i] {
			t.Fatalf("centre coordinate %d differs between GOMAXPROCS 1 and 4", i)
		}
	}
	for i := range r1.Labels {
		if r1.Labels[i] != r4.Labels[i] {
			t.Fatalf("label %d differs between GOMAXPROCS 1 and 4", i)
		}
	}
	r2 := run(2, 6)
	same := true
	for i := range r1.Centres {
		same = same && r1.Centres[i] == r2.Centres[i]
	}
	if same {
		t.Errorf("seeds 5 and 6 gave identical centres")
	}
	// Labels are the nearest-centre assignment of the returned centres.
	for i := 0; i < 25000; i += 997 {
		best, bestD := -1, math.Inf(1)
		for c := 0; c < 8; c++ {
			if d := sqDist(x[2*i:2*i+2], r1.Centres[2*c:2*c+2]); d < bestD {
				best, bestD = c, d
			}
		}
		if r1.Labels[i] != best {
			t.Fatalf("point %d labelled %d, nearest centre %d", i, r1.Labels[i], best)
		}
	}
}

func TestKMeansEmptyClusterReseeded(t *testing.T) {
	// Points at 0, 1, 2 and 10; centres at 0, 2 and 100 (far from all).
	x := []float64{0, 1, 2, 10}
	r := newKMeansRun(x, 4, 1, 3)
	copy(r.centres, []float64{0, 2, 100})
	r.assign()
	_, empties := r.update()
	if empties != 1 {
		t.Fatalf("empties = %d, want 1", empties)
	}
	// Cluster 2 is empty and moves onto the farthest point from its own
	// centre: 10 (distance 8 from centre 2).
	assertClose(t, "re-seeded centre", r.centres[2], 10, 0)
	assertClose(t, "centre 0", r.centres[0], 0.5, 0) // {0, 1}: tie at 1 goes to centre 0
	assertClose(t, "centre 1", r.centres[1], 6, 0)   // {2, 10}
}

func TestKMeansErrors(t *testing.T) {
	x := []float64{0, 0, 1, 1, 2, 2}
	rng := newRNG(1)
	_, err := KMeans(x, 2, 4, rng, KMeansConfig{})
	if err == nil || !strings.Contains(err.Error(), "k = 4") {
		t.Errorf("k > n: got %v", err)
	}
	_, err = KMeans(x, 2, 0, rng, KMeansConfig{})
	assertErr(t, "k = 0", err)
	_, err = KMeans([]float64{0, 0, math.NaN(), 1}, 2, 1, rng, KMeansConfig{})
	if err == nil || !strings.Contains(err.Error(), "point 1") {
		t.Errorf("NaN: got %v, want an error naming point 1", err)
	}
	_, err = KMeans(x, 2, 1, nil, KMeansConfig{})
	assertErr(t, "nil rng", err)
	_, err = KMeans(x[:5], 2, 1, rng, KMeansConfig{})
	assertErr(t, "odd length", err)
	_, err = KMeans(x, 2, 1, rng, KMeansConfig{MaxIter: -1})
	assertErr(t, "MaxIter < 0", err)
	_, err = KMeans(x, 2, 1, rng, KMeansConfig{Tol: math.Inf(1)})
	assertErr(t, "Tol Inf", err)
	// Duplicate points: k = n still works.
	res, err := KMeans([]float64{1, 1, 1}, 1, 3, rng, KMeansConfig{})
	if err != nil || res.Inertia != 0 {
		t.Errorf("identical points: inertia %v, err %v", res.Inertia, err)
	}
}

func BenchmarkKMeans100(b *testing.B) {
	rng := newRNG(33)
	x := gaussian2D(rng, 100000, 0, 0, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := KMeans(x, 2, 100, newRNG(1), KMeansConfig{MaxIter: 50}); err != nil {
			b.Fatal(err)
		}
	}
}
