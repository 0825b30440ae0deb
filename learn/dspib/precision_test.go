package dspib

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/dspib/dspib/learn/ad"
	"github.com/stretchr/testify/require"
)

// TestFloat32TrainsLikeFloat64 trains the same model from the same seed
// with the noise network in float64 and in float32 (the reference widths
// 16–64–64–64–64–16, M = 16) and compares the phase-2 losses epoch by
// epoch. Phase 1 does not involve the network and must be bit-identical.
// The two phase-2 runs part ways at the first rounding difference, so their
// losses are two draws of the same training noise: each epoch's training
// and test diffusion losses must agree within 4 standard errors of the
// difference (√2 × the larger of the two runs' batch-to-batch SE, floored at
// 1 % for the test loss, whose SE is not recorded), and the cross-entropy
// within 2 %. DSPIB_PRECISION_FRAMES sets the frames per temperature
// (default 1500); run with -v for the table.
func TestFloat32TrainsLikeFloat64(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models")
	}
	n := 1500
	if v, err := strconv.Atoi(os.Getenv("DSPIB_PRECISION_FRAMES")); err == nil && v > 0 {
		n = v
	}
	trajs := tinyThreeHole(t, 5, n, 5)
	var res []*Result
	for _, prec := range []ad.Precision{ad.Float64, ad.Float32} {
		cfg := tinyConfig()
		cfg.Prior.Hidden, cfg.Prior.Replicas = nil, 0 // the reference network
		cfg.SPIB.BatchSize, cfg.MaxEpochs, cfg.SPIB.MaxEpochs = 256, 8, 10
		cfg.Precision = prec
		r, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(11, 11))
		require.NoError(t, err)
		res = append(res, r)
	}
	require.Equal(t, len(res[0].Phase1History), len(res[1].Phase1History))
	for i := range res[0].Phase1History {
		a, b := res[0].Phase1History[i], res[1].Phase1History[i]
		a.Elapsed, b.Elapsed = 0, 0
		require.Equal(t, a, b, "phase 1 epoch %d", i+1)
	}
	h64, h32 := res[0].History, res[1].History
	require.Equal(t, len(h64), len(h32))
	t.Logf("epoch | train diff f64 | f32 | test diff f64 | f32 | train CE f64 | f32")
	for i := range h64 {
		a, b := h64[i], h32[i]
		t.Logf("%d | %.6f ± %.4f | %.6f ± %.4f | %.6f | %.6f | %.6f | %.6f", a.Epoch,
			a.TrainDiff, a.TrainDiffSE, b.TrainDiff, b.TrainDiffSE, a.TestDiff, b.TestDiff, a.TrainCE, b.TrainCE)
		t.Logf("  Δ train diff %.3g, Δ test diff %.3g", b.TrainDiff-a.TrainDiff, b.TestDiff-a.TestDiff)
		se := math.Sqrt2 * max(a.TrainDiffSE, b.TrainDiffSE)
		require.InDelta(t, a.TrainDiff, b.TrainDiff, 4*se, "epoch %d training diffusion loss", a.Epoch)
		require.InDelta(t, a.TestDiff, b.TestDiff, max(4*se, 0.01*a.TestDiff), "epoch %d test diffusion loss", a.Epoch)
		require.InDelta(t, a.TrainCE, b.TrainCE, 0.02*math.Abs(a.TrainCE), "epoch %d cross-entropy", a.Epoch)
	}
}
