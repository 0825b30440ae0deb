package dspib

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/spib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
)

// lossCase is a small joint-loss problem with fixed draws.
type lossCase struct {
	m            *spib.Model
	p            *diffusion.Prior
	x, eps, w, T []float64
	labels       []int
	beta, lambda float64
}

func newLossCase(t *testing.T, lv spib.LogVarKind, weighted bool) *lossCase {
	t.Helper()
	const B, D, K = 6, 3, 3
	rng := newRand(21)
	cfg, err := spib.Config{LogVar: lv}.Validate()
	require.NoError(t, err)
	std := spib.Standardizer{Mean: make([]float64, D), Std: []float64{1, 1, 1}}
	c := &lossCase{m: spib.NewModel(cfg, D, K, std, rng), beta: 0.7, lambda: 1.3}
	pc := smallPrior
	pc.KTRef = 1
	c.p, err = diffusion.New(pc, rng)
	if c.p != nil {
		c.p.SetPrecision(ad.Float64) // the reference arithmetic, checked against finite differences
	}
	require.NoError(t, err)
	for i := range B {
		c.labels = append(c.labels, i%K)
		c.T = append(c.T, 1+0.5*float64(i%2))
		if weighted {
			c.w = append(c.w, 0.5+rng.Float64())
		}
		for range D {
			c.x = append(c.x, rng.NormFloat64())
		}
		for range cfg.LatentDim {
			c.eps = append(c.eps, rng.NormFloat64())
		}
	}
	return c
}

// eval records the loss with the same diffusion draws every time (a fresh
// rng of a fixed seed) and returns the tape and nodes.
func (c *lossCase) eval() (t *ad.Tape, x, loss, ce, logq, diff *ad.Node) {
	t = ad.NewTape()
	x = t.Input(len(c.labels), c.m.D, c.x)
	loss, ce, logq, diff, err := jointLoss(t, c.m, c.p, x, c.eps, c.labels, c.w, c.T, c.beta, c.lambda, newRand(5))
	if err != nil {
		panic(err)
	}
	return t, x, loss, ce, logq, diff
}

// checkFD compares analytic with central finite differences of f in the
// coordinates vals (set through set). Tolerance: the central formula's
// truncation error is O(h²·f‴) ≈ 1e−11 and its rounding error
// ≈ 1e−16·|f|/h ≈ 1e−10 for h ≈ 6e−6, so 1e−6 absolute plus 1e−5 relative
// leaves a wide margin while catching any missing or wrong term.
func checkFD(t *testing.T, what string, vals []*float64, analytic []float64, f func() float64) {
	t.Helper()
	x0 := make([]float64, len(vals))
	for i, v := range vals {
		x0[i] = *v
	}
	g := fd.Gradient(nil, func(x []float64) float64 {
		for i, v := range vals {
			*v = x[i]
		}
		return f()
	}, x0, &fd.Settings{Formula: fd.Central})
	for i, v := range vals {
		*v = x0[i]
	}
	bad := 0
	for i := range g {
		if tol := 1e-6 + 1e-5*math.Abs(analytic[i]); !(math.Abs(g[i]-analytic[i]) <= tol) {
			if bad < 5 {
				testutil.InDelta(t, g[i], analytic[i], tol, "%s[%d]: analytic against the finite difference", what, i)
			}
			bad++
		}
	}
	assert.Zero(t, bad, "%s: gradients of %d that disagree", what, len(g))
}

// TestJointLossGradient checks ∂L/∂θ for every SPIB encoder and decoder
// parameter, a sample of the noise network's parameters, and ∂L/∂x for the
// encoder inputs, against finite differences; β and λ are O(1) so that all
// three terms matter. A detached z would lose the diffusion term's encoder
// gradient and fail.
func TestJointLossGradient(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lv       spib.LogVarKind
		weighted bool
	}{{"shared", spib.SharedLogVar, false}, {"per-sample-weighted", spib.PerSampleLogVar, true}} {
		t.Run(tc.name, func(t *testing.T) {
			c := newLossCase(t, tc.lv, tc.weighted)
			ps := append(append(c.m.EncoderParams(), c.m.DecoderParams()...), c.p.Params()...)
			ad.ParamSet(ps).ZeroGrad()
			tp, x, loss, _, _, _ := c.eval()
			tp.Backward(loss)
			f := func() float64 { _, _, l, _, _, _ := c.eval(); return l.Scalar() }

			var vals []*float64
			var an []float64
			rng := newRand(8)
			for _, p := range ps {
				prior := p.Name[:3] == "eps"
				for i := range p.Data {
					if prior && rng.IntN(40) != 0 {
						continue
					}
					vals = append(vals, &p.Data[i])
					an = append(an, p.Grad[i])
				}
			}
			checkFD(t, "params", vals, an, f)

			vals, an = vals[:0], an[:0]
			for i := range c.x {
				vals = append(vals, &c.x[i])
				an = append(an, x.Grad[i])
			}
			checkFD(t, "inputs", vals, an, f)
		})
	}
}

// TestDiffusionTrainsEncoder: the diffusion term alone sends gradient into
// the encoder (z is not detached).
func TestDiffusionTrainsEncoder(t *testing.T) {
	c := newLossCase(t, spib.SharedLogVar, false)
	enc := c.m.EncoderParams()
	enc.ZeroGrad()
	tp, _, _, _, _, diff := c.eval()
	tp.Backward(diff)
	norm := 0.0
	for _, p := range enc {
		for _, g := range p.Grad {
			norm += g * g
		}
	}
	require.Greater(t, norm, 0.0, "|∂L_diff/∂θ_enc|²")
}

// TestPhase2ReducesDiffusionLoss trains the two phases on a tiny two-
// temperature three-hole set. Each epoch's diffusion loss is a mean over
// ≈1200 pairs × M = 4 replicas × d = 2 terms (ε_θ − ε)²/2, whose relative
// standard error is ≈ √(2/10⁴) ≈ 1.4 %; a 20 % drop is > 10 standard errors.
func TestPhase2ReducesDiffusionLoss(t *testing.T) {
	trajs := tinyThreeHole(t, 3, 1000, 5)
	cfg := tinyConfig()
	cfg.MaxEpochs = 8
	res, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(7, 7))
	require.NoError(t, err)
	h := res.History
	first, last := h[0].TrainDiff, (h[len(h)-1].TrainDiff+h[len(h)-2].TrainDiff)/2
	t.Logf("diffusion loss %.4f → %.4f (test %.4f → %.4f), CE %.4f → %.4f", first, last,
		h[0].TestDiff, h[len(h)-1].TestDiff, h[0].TrainCE, h[len(h)-1].TrainCE)
	assert.Less(t, last, 0.8*first, "diffusion loss %.4f → %.4f, want a drop of more than 20 %%", first, last)
	// ≈1200 pairs in batches of 512 give 3 batch means per epoch: their
	// standard error is positive and, from the 1.4 % per-batch-set scatter
	// above, well under 10 % of the mean.
	for _, e := range h {
		assert.True(t, e.TrainDiffSE > 0 && e.TrainDiffSE < 0.1*e.TrainDiff && e.TrainCESE > 0 && e.TrainCESE < 0.1*e.TrainCE,
			"epoch %d: standard errors CE %g (of %g), diffusion %g (of %g), want in (0, 10 %%)",
			e.Epoch, e.TrainCESE, e.TrainCE, e.TrainDiffSE, e.TrainDiff)
	}
	assert.Less(t, h[len(h)-1].TestDiff, 0.8*h[0].TestDiff, "test diffusion loss %.4f → %.4f, want a drop of more than 20 %%", h[0].TestDiff, h[len(h)-1].TestDiff)
	// Phase 2 moved the encoder away from phase 1, and the phase-1 model
	// was kept.
	a, b := res.Model.SPIB.EncoderParams(), res.Phase1.SPIB.EncoderParams()
	moved := false
	for i := range a {
		for j := range a[i].Data {
			moved = moved || a[i].Data[j] != b[i].Data[j]
		}
	}
	assert.True(t, moved, "phase 2 left the encoder unchanged")
	assert.Equal(t, (len(res.Data.Train)+cfg.SPIB.BatchSize-1)/cfg.SPIB.BatchSize, h[0].OptimizerSteps,
		"Adam steps of the first phase-2 epoch, want one per batch (a fresh optimiser)")
	assert.Len(t, res.ZMean, res.Data.N*2, "ZMean for %d frames", res.Data.N)
	assert.Len(t, res.Labels, res.Data.N, "Labels for %d frames", res.Data.N)
	assert.Len(t, res.Probs, res.Data.N*res.Model.SPIB.K, "Probs for %d frames", res.Data.N)
	s := 0.0
	for _, p := range res.Populations {
		s += p
	}
	testutil.InDelta(t, 1, s, 1e-12, "sum of populations")
}

// TestConvergenceRule: phase 2 stops only when both CE and the diffusion
// loss have not improved on their best (by the tolerance or two standard
// errors) for more than Patience epochs, or at the cap.
func TestConvergenceRule(t *testing.T) {
	cfg, err := Config{SPIB: spib.Config{Patience: 2, Tolerance: 1e-3}, MaxEpochs: 50}.Validate()
	require.NoError(t, err)
	// stopAt feeds diffusion losses (CE flat at 0.2) with relative standard
	// error relSE and returns the epoch the rule fired at, 0 if it did not.
	stopAt := func(c *converger, first int, diff []float64, relSE float64) int {
		for i, d := range diff {
			if c.update(EpochStats{Epoch: first + i, TrainCE: 0.2, TrainDiff: d, TrainDiffSE: relSE * d}) {
				return first + i
			}
		}
		return 0
	}
	series := func(n int, f func(e int) float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = f(i + 1)
		}
		return out
	}
	c := newConverger(cfg, 1)
	require.Zero(t, stopAt(c, 1, series(10, func(e int) float64 { return math.Pow(0.9, float64(e)) }), 0),
		"stopped while the diffusion loss was still falling by 10 %%/epoch")
	// Then flat: epochs 12, 13, 14 bring no improvement, 3 > Patience.
	assert.Equal(t, 14, stopAt(c, 11, series(10, func(int) float64 { return 0.3 }), 0), "flat loss: epoch stopped at")
	assert.True(t, c.converged, "flat loss: converged")
	// Jitter of 0.5 % about a plateau (more than the tolerance, as Adam
	// noise gives at a constant learning rate) is no improvement: the best
	// is epoch 2, and epochs 3, 4, 5 do not beat it.
	c = newConverger(cfg, 1)
	assert.Equal(t, 5, stopAt(c, 1, series(20, func(e int) float64 { return 0.59 * (1 + 0.005*float64(e%2)) }), 0), "jittering plateau: epoch stopped at")
	// A slow decline of 0.05 %/epoch, below the tolerance epoch by epoch,
	// beats the stale best every third epoch and never stops.
	c = newConverger(cfg, 1)
	assert.Zero(t, stopAt(c, 1, series(30, func(e int) float64 { return math.Pow(0.9995, float64(e)) }), 0), "slow decline: epoch stopped at")
	// A drop of 0.5 % with a 0.3 % standard error per epoch mean is within
	// 2·√2·0.3 % ≈ 0.85 %: not resolved, no improvement (stops at 4, where
	// without the standard error it would count and stop at 5) ...
	c = newConverger(cfg, 1)
	assert.Equal(t, 4, stopAt(c, 1, []float64{1, 0.995, 0.995, 0.995, 0.995}, 0.003), "unresolved drop: epoch stopped at")
	// ... while a fall of 1 %/epoch with a 0.1 % standard error goes on.
	c = newConverger(cfg, 1)
	assert.Zero(t, stopAt(c, 1, series(20, func(e int) float64 { return math.Pow(0.99, float64(e)) }), 0.001), "resolved fall: epoch stopped at")
	c = newConverger(cfg, 1)
	assert.True(t, c.update(EpochStats{Epoch: 50, TrainCE: 1, TrainDiff: 1}), "the epoch cap did not stop training")
	assert.False(t, c.converged, "the epoch cap counted as converged")
}
