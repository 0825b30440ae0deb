package analysis

import (
	"math"
	"strings"
	"testing"
)

// plumedRational is PLUMED's RATIONAL switch (1 − q^n)/(1 − q^m), written
// independently of Switch (valid for q ≠ 1).
func plumedRational(r, r0 float64, nn, mm int) float64 {
	q := r / r0
	return (1 - math.Pow(q, float64(nn))) / (1 - math.Pow(q, float64(mm)))
}

func TestSwitchMatchesPlumedRational(t *testing.T) {
	assertClose(t, "s(0)", Switch(0, LJ7R0), 1, 0)
	assertClose(t, "s(r0)", Switch(LJ7R0, LJ7R0), 0.5, 0)
	for _, r := range []float64{0.3, 1, 1.12, 1.49, 1.51, 2, 2.5, 4} {
		// Two algebraically equal forms: rounding differences only.
		assertClose(t, "s(r)", Switch(r, LJ7R0), plumedRational(r, LJ7R0, 8, 16), 1e-13)
	}
}

func TestCoordinationNumbersHexagon(t *testing.T) {
	// By hand: ring radius a = 2^(1/6) equals the hexagon side. The centre
	// has 6 neighbours at a; a ring particle has the centre and 2 ring
	// neighbours at a, 2 ring particles at a√3 and 1 at 2a.
	a := math.Pow(2, 1.0/6)
	s := func(r float64) float64 { return plumedRational(r, LJ7R0, 8, 16) }
	centre := 6 * s(a)
	ring := 3*s(a) + 2*s(a*math.Sqrt(3)) + s(2*a)
	c := make([]float64, 7)
	if err := CoordinationNumbers(c, hexagon(0.3, 1, -2), 7, 2, LJ7R0); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "c_centre", c[0], centre, 1e-12)
	for i := 1; i < 7; i++ {
		assertClose(t, "c_ring", c[i], ring, 1e-12)
	}
	// Moments by hand: one value `centre`, six values `ring`.
	mean := (centre + 6*ring) / 7
	mu2 := (math.Pow(centre-mean, 2) + 6*math.Pow(ring-mean, 2)) / 7
	mu3 := (math.Pow(centre-mean, 3) + 6*math.Pow(ring-mean, 3)) / 7
	m2, m3 := Moments(c)
	assertClose(t, "mu2", m2, mu2, 1e-12)
	assertClose(t, "mu3", m3, mu3, 1e-12)

	sorted := make([]float64, 7)
	moments := make([]float64, 2)
	if err := FeaturesLJ7(sorted, moments, hexagon(0, 0, 0), 7, 2); err != nil {
		t.Fatal(err)
	}
	// The centre has more neighbours, so it is last after sorting.
	assertClose(t, "sorted[6]", sorted[6], centre, 1e-12)
	assertClose(t, "sorted[0]", sorted[0], ring, 1e-12)
	assertClose(t, "features mu2", moments[0], mu2, 1e-12)
	assertClose(t, "features mu3", moments[1], mu3, 1e-12)
}

// randomFrames returns nFrames LJ7-like frames: the hexagon with Gaussian
// displacements of standard deviation 0.2 σ.
func randomFrames(seed uint64, nFrames int) []float64 {
	rng := newRNG(seed)
	h := hexagon(0, 0, 0)
	f := make([]float64, nFrames*len(h))
	for i := range f {
		f[i] = h[i%len(h)] + 0.2*rng.NormFloat64()
	}
	return f
}

func TestFeaturesPermutationInvariance(t *testing.T) {
	const nFrames = 50
	frames := randomFrames(1, nFrames)
	rng := newRNG(2)
	perm := make([]float64, len(frames))
	for f := 0; f < nFrames; f++ {
		p := rng.Perm(7)
		for i, j := range p {
			copy(perm[f*14+2*i:f*14+2*i+2], frames[f*14+2*j:f*14+2*j+2])
		}
	}
	s1, s2 := make([]float64, nFrames*7), make([]float64, nFrames*7)
	m1, m2 := make([]float64, nFrames*2), make([]float64, nFrames*2)
	if err := FeaturesLJ7(s1, m1, frames, 7, 2); err != nil {
		t.Fatal(err)
	}
	if err := FeaturesLJ7(s2, m2, perm, 7, 2); err != nil {
		t.Fatal(err)
	}
	// Relabelling changes only the summation order: differences are a few
	// ulps of values of order 1.
	for i := range s1 {
		assertClose(t, "sorted feature", s2[i], s1[i], 1e-13)
		if i%7 > 0 && s1[i] < s1[i-1] {
			t.Fatalf("frame %d not sorted: %v", i/7, s1[i/7*7:i/7*7+7])
		}
	}
	for i := range m1 {
		assertClose(t, "moment", m2[i], m1[i], 1e-13)
	}
	// Moments without sorted output agree bit for bit.
	m3 := make([]float64, nFrames*2)
	if err := FeaturesLJ7(nil, m3, frames, 7, 2); err != nil {
		t.Fatal(err)
	}
	for i := range m1 {
		if m3[i] != m1[i] {
			t.Fatalf("moments with nil dstSorted differ at %d", i)
		}
	}
}

func TestFeaturesIndependentOfGOMAXPROCS(t *testing.T) {
	const nFrames = 3*featureChunk + 17
	frames := randomFrames(3, nFrames)
	run := func(p int) ([]float64, []float64) {
		s, m := make([]float64, nFrames*7), make([]float64, nFrames*2)
		withGOMAXPROCS(p, func() {
			if err := FeaturesLJ7(s, m, frames, 7, 2); err != nil {
				t.Fatal(err)
			}
		})
		return s, m
	}
	s1, m1 := run(1)
	s4, m4 := run(4)
	for i := range s1 {
		if s1[i] != s4[i] {
			t.Fatalf("sorted feature %d differs between GOMAXPROCS 1 and 4", i)
		}
	}
	for i := range m1 {
		if m1[i] != m4[i] {
			t.Fatalf("moment %d differs between GOMAXPROCS 1 and 4", i)
		}
	}
	// Every frame equals the single-frame computation.
	c := make([]float64, 7)
	for _, f := range []int{0, featureChunk, nFrames - 1} {
		if err := CoordinationNumbers(c, frames[f*14:(f+1)*14], 7, 2, LJ7R0); err != nil {
			t.Fatal(err)
		}
		insertionSort(c)
		for i := range c {
			if c[i] != s1[f*7+i] {
				t.Fatalf("frame %d feature %d: %v vs single-frame %v", f, i, s1[f*7+i], c[i])
			}
		}
	}
}

func TestFeaturesNoAllocationPerFrame(t *testing.T) {
	c := make([]float64, 7)
	x := hexagon(0, 0, 0)
	if a := testing.AllocsPerRun(20, func() { _ = CoordinationNumbers(c, x, 7, 2, LJ7R0) }); a != 0 {
		t.Errorf("CoordinationNumbers allocates %v times per call, want 0", a)
	}
	// Allocations per call must not grow with the number of frames beyond
	// one per chunk (goroutine bookkeeping).
	count := func(nFrames int) float64 {
		frames := randomFrames(4, nFrames)
		s, m := make([]float64, nFrames*7), make([]float64, nFrames*2)
		var a float64
		withGOMAXPROCS(1, func() {
			a = testing.AllocsPerRun(5, func() { _ = FeaturesLJ7(s, m, frames, 7, 2) })
		})
		return a
	}
	small, large := count(10), count(10*featureChunk)
	if large > small {
		t.Errorf("FeaturesLJ7 allocates %v times for %d frames but %v for 10 frames", large, 10*featureChunk, small)
	}
}

func TestFeaturesErrors(t *testing.T) {
	frames := randomFrames(5, 10)
	frames[3*14+5] = math.NaN() // frame 3, particle 2, coordinate 1
	err := FeaturesLJ7(make([]float64, 70), nil, frames, 7, 2)
	if err == nil || !strings.Contains(err.Error(), "frame 3") || !strings.Contains(err.Error(), "particle 2") {
		t.Errorf("NaN frame: got %v, want an error naming frame 3 particle 2", err)
	}
	assertErr(t, "len(frames) not a multiple", FeaturesLJ7(nil, nil, make([]float64, 15), 7, 2))
	assertErr(t, "short dstSorted", FeaturesLJ7(make([]float64, 6), nil, make([]float64, 14), 7, 2))
	assertErr(t, "short dstMoments", FeaturesLJ7(nil, make([]float64, 1), make([]float64, 14), 7, 2))
	assertErr(t, "r0 = 0", CoordinationFeatures(nil, nil, make([]float64, 14), 7, 2, 0))
	assertErr(t, "dim = 0", CoordinationNumbers(make([]float64, 7), nil, 7, 0, 1.5))
	assertErr(t, "Inf coordinate", CoordinationNumbers(make([]float64, 7), append(make([]float64, 13), math.Inf(1)), 7, 2, 1.5))
}

func BenchmarkFeaturesLJ7(b *testing.B) {
	const nFrames = 100000
	frames := randomFrames(6, nFrames)
	s, m := make([]float64, nFrames*7), make([]float64, nFrames*2)
	b.ReportAllocs()
	for b.Loop() {
		if err := FeaturesLJ7(s, m, frames, 7, 2); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(nFrames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
