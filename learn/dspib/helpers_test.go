package dspib

import (
	"math/rand/v2"
	"testing"

	"github.com/dspib/dspib/internal/simdata"
	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/spib"
	"github.com/stretchr/testify/require"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// tinyThreeHole returns three-hole trajectories at kT = 1 and 1.5 (n frames
// each, a frame every 0.5 τ; simdata.ThreeHoleTrajectory with seeds seed
// and seed + 2³²), labelled by k-means with k clusters on (x, y).
func tinyThreeHole(t testing.TB, seed uint64, n, k int) []spib.Trajectory {
	t.Helper()
	var trajs []spib.Trajectory
	for i, kT := range []float64{1, 1.5} {
		fr, err := simdata.ThreeHoleTrajectory(kT, n, 50, seed+uint64(i)<<32)
		require.NoError(t, err)
		trajs = append(trajs, spib.Trajectory{Features: fr, KT: kT})
	}
	require.NoError(t, spib.KMeansLabels(trajs, k, nil, newRand(seed)))
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

// wantErr fails unless err is non-nil and mentions every part; sameFloats
// unless a and b are bit-identical.
var (
	wantErr    = testutil.WantErr
	sameFloats = testutil.SameBits
)
