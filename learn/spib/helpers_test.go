package spib

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/dspib/dspib/internal/simdata"
	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/require"
)

// threeHole returns frames three-hole frames (x, y) at kT, a frame every
// stride steps of 0.01 τ, from simdata.ThreeHoleTrajectory (md.Run with
// integrators.BAOAB, the code users run).
func threeHole(t testing.TB, kT float64, frames, stride int, seed uint64) [][]float64 {
	t.Helper()
	fr, err := simdata.ThreeHoleTrajectory(kT, frames, stride, seed)
	require.NoError(t, err)
	return fr
}

// wantErr fails unless err is non-nil and its message contains every part.
var wantErr = testutil.WantErr

// toyTrajs returns two small labelled trajectories (lengths n1, n2) with
// D = 2 features.
func toyTrajs(n1, n2 int) []Trajectory {
	mk := func(n int, off float64) Trajectory {
		t := Trajectory{KT: 1}
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
	trajs := []Trajectory{{Features: threeHole(t, 1, nFrames, 50, seed), KT: 1}}
	require.NoError(t, KMeansLabels(trajs, k, nil, newRand(seed)))
	return trajs
}

// smallConfig is a quick training setting for property tests.
var smallConfig = Config{Lag: 2, MaxEpochs: 4, Refinements: 1, BatchSize: 64, LearningRate: 5e-3}

func readFile(p string) ([]byte, error)  { return os.ReadFile(p) }
func writeFile(p string, b []byte) error { return os.WriteFile(p, b, 0o644) }
