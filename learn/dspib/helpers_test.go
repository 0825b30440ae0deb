package dspib

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/spib"
	"github.com/dspib/dspib/potentials"
)

// simulateThreeHole runs BAOAB Langevin dynamics (Leimkuhler & Matthews
// 2013; m = 1, γ = 1, dt = 0.01) on the three-hole potential from
// (−1.05, −0.04) and returns nFrames frames (x, y), one every stride steps.
// A private loop keeps these tests independent of md/ and integrators/.
func simulateThreeHole(rng *rand.Rand, kT float64, nFrames, stride int) [][]float64 {
	const dt, gamma = 0.01, 1.0
	c := math.Exp(-gamma * dt)
	sig := math.Sqrt((1 - c*c) * kT)
	var pot potentials.ThreeHole
	x := []float64{-1.05, -0.04}
	v := []float64{0, 0}
	f := make([]float64, 2)
	pot.Force(f, x)
	frames := make([][]float64, nFrames)
	for i := range frames {
		for range stride {
			for j := range x {
				v[j] += 0.5 * dt * f[j]
				x[j] += 0.5 * dt * v[j]
				v[j] = c*v[j] + sig*rng.NormFloat64()
				x[j] += 0.5 * dt * v[j]
			}
			pot.Force(f, x)
			for j := range v {
				v[j] += 0.5 * dt * f[j]
			}
		}
		frames[i] = []float64{x[0], x[1]}
	}
	return frames
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// tinyThreeHole returns three-hole trajectories at kT = 1 and 1.5 (n frames
// each, a frame every 0.5 τ), labelled by k-means with k clusters on (x, y).
func tinyThreeHole(t testing.TB, seed uint64, n, k int) []spib.Trajectory {
	t.Helper()
	rng := newRand(seed)
	trajs := []spib.Trajectory{
		{Features: simulateThreeHole(rng, 1, n, 50), Temp: 1},
		{Features: simulateThreeHole(rng, 1.5, n, 50), Temp: 1.5},
	}
	if err := spib.KMeansLabels(trajs, k, nil, rng); err != nil {
		t.Fatal(err)
	}
	return trajs
}

// smallPrior is a narrow noise network so that tests run fast.
var smallPrior = diffusion.Config{Hidden: []int{16, 32, 32, 16}, Replicas: 4}

// tinyConfig is a quick two-phase setting for property tests.
func tinyConfig() Config {
	return Config{
		SPIB:      spib.Config{Lag: 2, MaxEpochs: 5, Refinements: 1, BatchSize: 64, LearningRate: 5e-3, Workers: 2},
		Prior:     smallPrior,
		MaxEpochs: 4,
	}
}

// wantErr fails unless err is non-nil and mentions every part.
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error mentioning %q, got nil", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

// sameFloats fails unless a and b are bit-identical.
func sameFloats(t *testing.T, what string, a, b []float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: lengths %d and %d", what, len(a), len(b))
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("%s[%d]: %v vs %v (not bit-identical)", what, i, a[i], b[i])
		}
	}
}
