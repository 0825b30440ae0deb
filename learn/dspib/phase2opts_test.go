package dspib

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/monitor"
	"github.com/dspib/dspib/learn/spib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// generatorConfigs are tinyConfig with the generator settings, in the two
// combinations the tests below run: an averaged prior with a slower
// encoder and the held-out stopping rule, and an averaged prior with a
// frozen encoder, and the whole model averaged.
func generatorConfigs() map[string]Config {
	a := tinyConfig()
	a.EMADecay, a.EncoderLR, a.StopOn, a.Patience = 0.9, 0.3, StopHeldOut, 10
	b := tinyConfig()
	b.EMADecay, b.FreezeEncoder = 0.9, true
	c := tinyConfig()
	c.EMADecay, c.EMAModel = 0.9, true
	return map[string]Config{"ema+encoderLR+heldout": a, "ema+frozen": b, "ema-model": c}
}

// TestGeneratorOptionsResume: a fit with the generator settings, interrupted
// after phase-2 epoch 2 and resumed from its checkpoint, equals the
// uninterrupted fit bit for bit (parameters, the averaged prior, histories
// including TestDiffSE), and does so on 1 and 2 workers. A checkpoint
// without the average is refused, so the average comes from the file.
func TestGeneratorOptionsResume(t *testing.T) {
	trajs := tinyThreeHole(t, 3, 1000, 5)
	for name, cfg := range generatorConfigs() {
		t.Run(name, func(t *testing.T) {
			ref, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(7, 7))
			require.NoError(t, err)
			require.Len(t, ref.History, cfg.MaxEpochs, "phase-2 epochs, want the cap")
			assert.Positive(t, ref.History[1].TestDiffSE, "TestDiffSE of epoch 2")

			one := cfg
			one.SPIB.Workers = 1
			r1, err := Fit(context.Background(), trajs, one, rand.NewPCG(7, 7))
			require.NoError(t, err)
			sameResult(t, ref, r1)

			cc := cfg
			cc.Checkpoint = filepath.Join(t.TempDir(), "fit.ckpt")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cc.Observers = []monitor.Observer{monitor.Func(func(e monitor.Epoch) error {
				if e.Phase == "dspib" && e.Epoch == 2 {
					cancel()
				}
				return nil
			})}
			_, err = Fit(ctx, trajs, cc, rand.NewPCG(7, 7))
			require.ErrorIs(t, err, context.Canceled)
			cc.Observers = nil

			ts, err := ad.LoadTensors(cc.Checkpoint)
			require.NoError(t, err)
			var kept []ad.Tensor
			for _, x := range ts {
				if !strings.HasPrefix(x.Name, "ema") {
					kept = append(kept, x)
				}
			}
			require.Less(t, len(kept), len(ts), "the checkpoint holds no ema tensors")
			ctl := filepath.Join(t.TempDir(), "control.ckpt")
			require.NoError(t, ad.SaveTensors(ctl, kept))
			c2 := cc
			c2.Checkpoint = ctl
			_, err = Fit(context.Background(), trajs, c2, rand.NewPCG(7, 7))
			wantErr(t, err, "ema.meta")

			got, err := Fit(context.Background(), trajs, cc, rand.NewPCG(7, 7))
			require.NoError(t, err)
			require.True(t, got.Resumed)
			sameResult(t, ref, got)
		})
	}
}

// TestGeneratorOptionsEffect: a frozen encoder ends phase 2 with the
// phase-1 encoder's bits while the decoder trained; with EMADecay the
// model's prior holds the checkpoint's average, not its last weights, and
// EMADecay 0.999 keeps an average with that decay while 0 (the default) and
// negative values keep none; with EMAModel the encoder and the decoder hold
// the average too; EncoderLR 1 and StopTrainLosses hash as their zero values, and the EMA
// decay changes the fingerprint.
func TestGeneratorOptionsEffect(t *testing.T) {
	trajs := tinyThreeHole(t, 3, 1000, 5)
	cfg := generatorConfigs()["ema+frozen"]
	cfg.Checkpoint = filepath.Join(t.TempDir(), "fit.ckpt")
	res, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(7, 7))
	require.NoError(t, err)
	enc1, enc2 := res.Phase1.SPIB.EncoderParams(), res.Model.SPIB.EncoderParams()
	for i := range enc1 {
		sameFloats(t, "frozen "+enc1[i].Name, enc2[i].Data, enc1[i].Data)
	}
	dec1, dec2 := res.Phase1.SPIB.DecoderParams(), res.Model.SPIB.DecoderParams()
	assert.NotEqual(t, dec1[0].Data, dec2[0].Data, "the decoder did not train in phase 2")

	ts, err := ad.LoadTensors(cfg.Checkpoint)
	require.NoError(t, err)
	by := map[string]ad.Tensor{}
	for _, x := range ts {
		by[x.Name] = x
	}
	for _, q := range res.Model.Prior.Params() {
		sameFloats(t, "averaged "+q.Name, q.Data, by["ema/"+q.Name].Data)
		assert.NotEqual(t, by[q.Name].Data, q.Data, "%s: the model's prior holds the last weights", q.Name)
	}

	for _, c := range []struct {
		ema  float64
		want []float64 // ema.meta, nil: absent
	}{{0.999, []float64{0.999}}, {0, nil}, {-1, nil}} {
		cc := tinyConfig()
		cc.EMADecay, cc.MaxEpochs = c.ema, 1
		cc.Checkpoint = filepath.Join(t.TempDir(), "fit.ckpt")
		_, err := Fit(context.Background(), trajs, cc, rand.NewPCG(7, 7))
		require.NoError(t, err)
		ts, err := ad.LoadTensors(cc.Checkpoint)
		require.NoError(t, err)
		var meta []float64
		for _, x := range ts {
			if x.Name == "ema.meta" {
				meta = x.Data[:1]
			}
		}
		assert.Equal(t, c.want, meta, "EMADecay %v: stored decay", c.ema)
	}

	// EMAModel: the model's encoder, decoder and prior all hold the
	// checkpoint's average, not the last weights.
	cm := generatorConfigs()["ema-model"]
	cm.Checkpoint = filepath.Join(t.TempDir(), "fit.ckpt")
	res, err = Fit(context.Background(), trajs, cm, rand.NewPCG(7, 7))
	require.NoError(t, err)
	ts, err = ad.LoadTensors(cm.Checkpoint)
	require.NoError(t, err)
	by = map[string]ad.Tensor{}
	for _, x := range ts {
		by[x.Name] = x
	}
	for _, q := range append(res.Model.SPIB.Params(), res.Model.Prior.Params()...) {
		require.Contains(t, by, "ema/"+q.Name)
		sameFloats(t, "averaged "+q.Name, q.Data, by["ema/"+q.Name].Data)
	}
	for _, q := range res.Model.SPIB.EncoderParams() {
		assert.NotEqual(t, by[q.Name].Data, q.Data, "%s: the model's encoder holds the last weights", q.Name)
	}
	_, err = Config{EMAModel: true}.Validate()
	wantErr(t, err, "EMAModel")

	def, err := tinyConfig().Validate()
	require.NoError(t, err)
	withModel := def
	withModel.EMADecay, withModel.EMAModel = 0.99, true
	fm, err := withModel.fingerprint()
	require.NoError(t, err)
	withModel.EMAModel = false
	fp, err := withModel.fingerprint()
	require.NoError(t, err)
	assert.NotEqual(t, fm, fp, "EMAModel does not change the fingerprint")
	withZeros := def
	withZeros.EncoderLR, withZeros.StopOn = 1, StopTrainLosses
	f1, err := def.fingerprint()
	require.NoError(t, err)
	f2, err := withZeros.fingerprint()
	require.NoError(t, err)
	assert.Equal(t, f1, f2)
	withEMA := def
	withEMA.EMADecay = 0.99
	f3, err := withEMA.fingerprint()
	require.NoError(t, err)
	assert.NotEqual(t, f1, f3, "EMADecay does not change the fingerprint")
	withEMA.EMADecay = -1
	f4, err := withEMA.Validate()
	require.NoError(t, err)
	f5, err := f4.fingerprint()
	require.NoError(t, err)
	assert.Equal(t, f1, f5, "a negative EMADecay (no average) hashes as the default")
}

// TestEncoderLRScalesStep: one phase-2 step from the same state with
// EncoderLR 0.25 moves every encoder parameter by 0.25 times its move at
// EncoderLR 1 (Adam's moments do not depend on the rate; tolerance 1e−12
// relative to the move, for the rounding of θ_old + s·(θ − θ_old)), and
// moves the decoder and the prior exactly as at 1.
func TestEncoderLRScalesStep(t *testing.T) {
	nEnc := 0
	step := func(s float64) (before, after []*ad.Param, prior []*ad.Param) {
		tr := lj7Trainer(t, 2000)
		defer tr.close()
		tr.cfg.EncoderLR = s
		var err error
		tr.gen, err = newGeneratorState(tr.m, tr.p, tr.cfg)
		require.NoError(t, err)
		before = cloneParams(tr.m.Params())
		nEnc = len(tr.m.EncoderParams())
		_, _, _, err = tr.step(tr.d.Train[:512], true)
		require.NoError(t, err)
		return before, tr.m.Params(), tr.p.Params()
	}
	b1, a1, p1 := step(1)
	bs, as, ps := step(0.25)
	for i := range a1 {
		sameFloats(t, "start "+b1[i].Name, bs[i].Data, b1[i].Data)
		if i >= nEnc {
			sameFloats(t, "decoder "+a1[i].Name, as[i].Data, a1[i].Data)
			continue
		}
		moved := false
		for j, v := range a1[i].Data {
			d1, ds := v-b1[i].Data[j], as[i].Data[j]-b1[i].Data[j]
			moved = moved || d1 != 0
			testutil.InDelta(t, 0.25*d1, ds, 1e-12*math.Max(math.Abs(d1), 1e-3), "%s[%d]: move at 0.25 against 0.25 × move at 1", a1[i].Name, j)
		}
		assert.True(t, moved, "%s did not move", a1[i].Name)
	}
	for i := range p1 {
		sameFloats(t, "prior "+p1[i].Name, ps[i].Data, p1[i].Data)
	}
}

func cloneParams(ps []*ad.Param) []*ad.Param {
	out := make([]*ad.Param, len(ps))
	for i, p := range ps {
		c := *p
		c.Data = append([]float64(nil), p.Data...)
		out[i] = &c
	}
	return out
}

// TestHeldOutStopping: with StopOn = StopHeldOut the rule watches the test
// diffusion loss alone: training losses that keep falling do not hold it
// back once the held-out loss is flat for more than Patience epochs, while
// the default rule goes on; a held-out loss that keeps falling by 1 % per
// epoch with a 0.1 % standard error never stops it.
func TestHeldOutStopping(t *testing.T) {
	cfg, err := Config{SPIB: spib.Config{Patience: 2, Tolerance: 1e-3}, MaxEpochs: 50, StopOn: StopHeldOut}.Validate()
	require.NoError(t, err)
	train := cfg
	train.StopOn = StopTrainLosses
	feed := func(c *converger, test func(e int) float64) int {
		for e := 1; e <= 30; e++ {
			f := math.Pow(0.95, float64(e))
			if c.update(EpochStats{Epoch: e, TrainCE: f, TrainDiff: f, TestDiff: test(e), TestDiffSE: 0.001 * test(e)}) {
				return e
			}
		}
		return 0
	}
	flat := func(int) float64 { return 0.5 }
	assert.Equal(t, 4, feed(newConverger(cfg, 1), flat), "held-out rule, flat test loss: stopped at")
	assert.Zero(t, feed(newConverger(train, 1), flat), "training rule stopped while the training losses fell")
	assert.Zero(t, feed(newConverger(cfg, 1), func(e int) float64 { return math.Pow(0.99, float64(e)) }), "held-out rule stopped while the test loss fell")
}

// TestMinSteps: Config.MinSteps holds the rule back for ⌈MinSteps /
// steps per epoch⌉ epochs and no longer; the epoch cap still ends phase 2
// before it, and then phase 2 has not converged.
func TestMinSteps(t *testing.T) {
	cfg, err := Config{SPIB: spib.Config{Patience: 2, Tolerance: 1e-3}, MaxEpochs: 50, MinSteps: 55}.Validate()
	require.NoError(t, err)
	stopAt := func(c *converger) int {
		for e := 1; e <= 30; e++ {
			if c.update(EpochStats{Epoch: e, TrainCE: 0.5, TrainDiff: 0.5}) {
				return e
			}
		}
		return 0
	}
	noMin := cfg
	noMin.MinSteps = 0
	assert.Equal(t, 4, stopAt(newConverger(noMin, 10)), "no minimum, flat losses: stopped at")
	assert.Equal(t, 6, stopAt(newConverger(cfg, 10)), "55 steps at 10 per epoch: stopped at")
	assert.Equal(t, 4, stopAt(newConverger(cfg, 100)), "55 steps within the first epoch: stopped at")
	capped := cfg
	capped.MaxEpochs = 3
	c := newConverger(capped, 10)
	assert.Equal(t, 3, stopAt(c), "cap below the minimum: stopped at")
	assert.False(t, c.converged, "stopped by the cap, not converged")
	_, err = Config{MinSteps: -1}.Validate()
	assert.ErrorContains(t, err, "MinSteps")
}

// TestPolishEpochs: Config.PolishEpochs adds that many epochs after the
// jointly trained ones, which are the same bits as without it; the SPIB
// model (encoder, decoder, VampPrior) ends as the joint phase left it and
// only the prior moves; a fit interrupted in the polish epochs resumes to
// the same bits.
func TestPolishEpochs(t *testing.T) {
	trajs := tinyThreeHole(t, 3, 1000, 5)
	cfg := tinyConfig()
	ref, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(7, 7))
	require.NoError(t, err)
	pc := cfg
	pc.PolishEpochs = 3
	pol, err := Fit(context.Background(), trajs, pc, rand.NewPCG(7, 7))
	require.NoError(t, err)
	n := len(ref.History)
	require.Len(t, pol.History, n+3, "phase-2 epochs: joint + polish")
	for i := range ref.History {
		ra, rb := hist2Row(ref.History[i]), hist2Row(pol.History[i])
		ra[11], rb[11] = 0, 0 // wall-clock time
		sameFloats(t, "joint history", ra, rb)
	}
	pa, pb := ref.Model.SPIB.Params(), pol.Model.SPIB.Params()
	for i := range pa {
		sameFloats(t, pa[i].Name, pa[i].Data, pb[i].Data)
	}
	sameFloats(t, "ZMean", ref.ZMean, pol.ZMean)
	moved := false
	for i, q := range ref.Model.Prior.Params() {
		moved = moved || !slices.Equal(q.Data, pol.Model.Prior.Params()[i].Data)
	}
	assert.True(t, moved, "the prior did not train in the polish epochs")
	assert.Equal(t, pol.History[n-1].OptimizerSteps*(n+3)/n, pol.History[n+2].OptimizerSteps, "optimiser steps run on through the polish epochs")
	assert.Contains(t, pol.Stopped, "then 3 epochs of the prior alone")

	cc := pc
	cc.Checkpoint = filepath.Join(t.TempDir(), "fit.ckpt")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cc.Observers = []monitor.Observer{monitor.Func(func(e monitor.Epoch) error {
		if e.Phase == "dspib" && e.Epoch == n+1 {
			cancel()
		}
		return nil
	})}
	_, err = Fit(ctx, trajs, cc, rand.NewPCG(7, 7))
	require.ErrorIs(t, err, context.Canceled)
	cc.Observers = nil
	res, err := Fit(context.Background(), trajs, cc, rand.NewPCG(7, 7))
	require.NoError(t, err)
	assert.True(t, res.Resumed)
	sameResult(t, pol, res)
}

func TestGeneratorConfigErrors(t *testing.T) {
	for _, c := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.EMADecay = 1 }, "EMADecay"},
		{func(c *Config) { c.EMADecay = math.NaN() }, "EMADecay"},
		{func(c *Config) { c.EncoderLR = 2 }, "EncoderLR"},
		{func(c *Config) { c.EncoderLR = -1 }, "EncoderLR"},
		{func(c *Config) { c.StopOn = 9 }, "StopOn"},
		{func(c *Config) { c.PolishEpochs = -1 }, "PolishEpochs"},
	} {
		cfg := tinyConfig()
		c.mod(&cfg)
		_, err := cfg.Validate()
		wantErr(t, err, c.want)
	}
}
