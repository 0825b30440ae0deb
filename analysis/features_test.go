package analysis

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/testutil"
)

// plumedRational is PLUMED's RATIONAL switch (1 − q^n)/(1 − q^m), written
// independently of Switch (valid for q ≠ 1).
func plumedRational(r, r0 float64, nn, mm int) float64 {
	q := r / r0
	return (1 - math.Pow(q, float64(nn))) / (1 - math.Pow(q, float64(mm)))
}

func TestSwitchMatchesPlumedRational(t *testing.T) {
	assert.Equal(t, 1.0, Switch(0, LJ7R0), "s(0)")
	assert.Equal(t, 0.5, Switch(LJ7R0, LJ7R0), "s(r0)")
	for _, r := range []float64{0.3, 1, 1.12, 1.49, 1.51, 2, 2.5, 4} {
		// Two algebraically equal forms: rounding differences only.
		testutil.InDelta(t, plumedRational(r, LJ7R0, 8, 16), Switch(r, LJ7R0), 1e-13, "s(%v)", r)
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
	require.NoError(t, CoordinationNumbers(c, hexagon(0.3, 1, -2), 7, 2, LJ7R0))
	testutil.InDelta(t, centre, c[0], 1e-12, "c_centre")
	for i := 1; i < 7; i++ {
		testutil.InDelta(t, ring, c[i], 1e-12, "c_ring, particle %d", i)
	}
	// Moments by hand: one value `centre`, six values `ring`.
	mean := (centre + 6*ring) / 7
	mu2 := (math.Pow(centre-mean, 2) + 6*math.Pow(ring-mean, 2)) / 7
	mu3 := (math.Pow(centre-mean, 3) + 6*math.Pow(ring-mean, 3)) / 7
	m2, m3 := Moments(c)
	testutil.InDelta(t, mu2, m2, 1e-12, "mu2")
	testutil.InDelta(t, mu3, m3, 1e-12, "mu3")

	sorted := make([]float64, 7)
	moments := make([]float64, 2)
	require.NoError(t, FeaturesLJ7(sorted, moments, hexagon(0, 0, 0), 7, 2))
	// The centre has more neighbours, so it is last after sorting.
	testutil.InDelta(t, centre, sorted[6], 1e-12, "sorted[6]")
	testutil.InDelta(t, ring, sorted[0], 1e-12, "sorted[0]")
	testutil.InDelta(t, mu2, moments[0], 1e-12, "features mu2")
	testutil.InDelta(t, mu3, moments[1], 1e-12, "features mu3")
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
	require.NoError(t, FeaturesLJ7(s1, m1, frames, 7, 2))
	require.NoError(t, FeaturesLJ7(s2, m2, perm, 7, 2))
	// Relabelling changes only the summation order: differences are a few
	// ulps of values of order 1.
	for i := range s1 {
		testutil.InDelta(t, s1[i], s2[i], 1e-13, "sorted feature %d of frame %d, permuted against original", i%7, i/7)
		if i%7 > 0 {
			require.GreaterOrEqual(t, s1[i], s1[i-1], "frame %d not sorted: %v", i/7, s1[i/7*7:i/7*7+7])
		}
	}
	for i := range m1 {
		testutil.InDelta(t, m1[i], m2[i], 1e-13, "moment %d of frame %d, permuted against original", i%2, i/2)
	}
	// Moments without sorted output agree bit for bit.
	m3 := make([]float64, nFrames*2)
	require.NoError(t, FeaturesLJ7(nil, m3, frames, 7, 2))
	testutil.SameBits(t, "moments with nil dstSorted against with", m3, m1)
}

func TestFeaturesIndependentOfGOMAXPROCS(t *testing.T) {
	const nFrames = 3*featureChunk + 17
	frames := randomFrames(3, nFrames)
	run := func(p int) ([]float64, []float64) {
		s, m := make([]float64, nFrames*7), make([]float64, nFrames*2)
		withGOMAXPROCS(p, func() {
			require.NoError(t, FeaturesLJ7(s, m, frames, 7, 2))
		})
		return s, m
	}
	s1, m1 := run(1)
	s4, m4 := run(4)
	testutil.SameBits(t, "sorted features, GOMAXPROCS 1 against 4", s1, s4)
	testutil.SameBits(t, "moments, GOMAXPROCS 1 against 4", m1, m4)
	// Every frame equals the single-frame computation.
	c := make([]float64, 7)
	for _, f := range []int{0, featureChunk, nFrames - 1} {
		require.NoError(t, CoordinationNumbers(c, frames[f*14:(f+1)*14], 7, 2, LJ7R0))
		insertionSort(c)
		testutil.SameBits(t, fmt.Sprintf("frame %d: features against the single-frame computation", f), s1[f*7:f*7+7], c)
	}
}

func TestFeaturesNoAllocationPerFrame(t *testing.T) {
	c := make([]float64, 7)
	x := hexagon(0, 0, 0)
	assert.Zero(t, testing.AllocsPerRun(20, func() { _ = CoordinationNumbers(c, x, 7, 2, LJ7R0) }), "CoordinationNumbers: allocations per call")
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
	assert.LessOrEqual(t, large, small, "FeaturesLJ7: allocations per call for %d frames against 10 frames", 10*featureChunk)
}

func TestFeaturesErrors(t *testing.T) {
	frames := randomFrames(5, 10)
	frames[3*14+5] = math.NaN() // frame 3, particle 2, coordinate 1
	testutil.WantErr(t, FeaturesLJ7(make([]float64, 70), nil, frames, 7, 2), "frame 3", "particle 2")
	assert.Error(t, FeaturesLJ7(nil, nil, make([]float64, 15), 7, 2), "len(frames) not a multiple")
	assert.Error(t, FeaturesLJ7(make([]float64, 6), nil, make([]float64, 14), 7, 2), "short dstSorted")
	assert.Error(t, FeaturesLJ7(nil, make([]float64, 1), make([]float64, 14), 7, 2), "short dstMoments")
	assert.Error(t, CoordinationFeatures(nil, nil, make([]float64, 14), 7, 2, 0), "r0 = 0")
	assert.Error(t, CoordinationNumbers(make([]float64, 7), nil, 7, 0, 1.5), "dim = 0")
	assert.Error(t, CoordinationNumbers(make([]float64, 7), append(make([]float64, 13), math.Inf(1)), 7, 2, 1.5), "Inf coordinate")
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
