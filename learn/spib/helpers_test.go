package spib

import (
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/dspib/dspib/potentials"
)

// simulateThreeHole runs Langevin dynamics on the three-hole potential with
// the BAOAB splitting (Leimkuhler & Matthews 2013; m = 1, γ = 1, dt = 0.01
// as systems.md) from (−1.05, −0.04) and returns nFrames frames (x, y), one
// every stride steps. It is a private loop so that these tests do not
// depend on md/ and integrators/.
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

// wantErr fails unless err is non-nil and its message contains every part.
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

// toyTrajs returns two small labelled trajectories (lengths n1, n2) with
// D = 2 features.
func toyTrajs(n1, n2 int) []Trajectory {
	mk := func(n int, off float64) Trajectory {
		t := Trajectory{Temp: 1}
		for i := range n {
			t.Features = append(t.Features, []float64{off + float64(i), float64(i * i)})
			t.Labels = append(t.Labels, i%2)
		}
		return t
	}
	return []Trajectory{mk(n1, 0), mk(n2, 100)}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// smallThreeHole returns nFrames three-hole frames at kT = 1 (a frame every
// 0.5 τ) labelled by k-means with k clusters on (x, y), all from seed.
func smallThreeHole(t testing.TB, seed uint64, nFrames, k int) []Trajectory {
	t.Helper()
	rng := newRand(seed)
	trajs := []Trajectory{{Features: simulateThreeHole(rng, 1, nFrames, 50), Temp: 1}}
	if err := KMeansLabels(trajs, k, nil, rng); err != nil {
		t.Fatal(err)
	}
	return trajs
}

// smallConfig is a quick training setting for property tests.
var smallConfig = Config{Lag: 2, MaxEpochs: 4, Refinements: 1, BatchSize: 64, LearningRate: 5e-3}

func readFile(p string) ([]byte, error)  { return os.ReadFile(p) }
func writeFile(p string, b []byte) error { return os.WriteFile(p, b, 0o644) }
