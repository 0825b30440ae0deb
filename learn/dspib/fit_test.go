package dspib

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/monitor"
	"github.com/dspib/dspib/learn/spib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sameModel fails unless every parameter, representative and history loss
// of two results is bit-identical.
func sameResult(t *testing.T, a, b *Result) {
	t.Helper()
	for _, pair := range [][2]*Model{{a.Model, b.Model}, {a.Phase1, b.Phase1}} {
		pa, pb := pair[0].SPIB.Params(), pair[1].SPIB.Params()
		for i := range pa {
			sameFloats(t, pa[i].Name, pa[i].Data, pb[i].Data)
		}
		sameFloats(t, "RepInputs", pair[0].SPIB.RepInputs, pair[1].SPIB.RepInputs)
	}
	qa, qb := a.Model.Prior.Params(), b.Model.Prior.Params()
	for i := range qa {
		sameFloats(t, qa[i].Name, qa[i].Data, qb[i].Data)
	}
	require.Len(t, b.Phase1History, len(a.Phase1History), "phase-1 history epochs")
	require.Len(t, b.History, len(a.History), "phase-2 history epochs")
	for i := range a.History {
		ra, rb := hist2Row(a.History[i]), hist2Row(b.History[i])
		ra[11], rb[11] = 0, 0 // wall-clock time
		sameFloats(t, "history", ra, rb)
	}
	sameFloats(t, "phase-1 history", phase1Bits(a.Phase1History), phase1Bits(b.Phase1History))
	sameFloats(t, "ZMean", a.ZMean, b.ZMean)
	sameFloats(t, "test losses", hist2Row(a.Test)[:9], hist2Row(b.Test)[:9])
}

// phase1Bits returns a phase-1 history without its wall-clock times.
func phase1Bits(h []spib.EpochStats) []float64 {
	c := slices.Clone(h)
	for i := range c {
		c[i].Elapsed = 0
	}
	return spib.HistoryTensor("h", c).Data
}

// TestResumeIdentical interrupts a fit after the first phase-1 epoch, at
// the end of phase-1 round 0 (refined labels, fresh Adam), inside round 1,
// at the phase boundary and after a phase-2 epoch, resumes it from the
// checkpoint with a fresh PCG of the same seed, and checks that everything
// equals the uninterrupted run bit for bit. The control resumes each
// phase-1 checkpoint with its saved RNG state replaced by the fresh PCG's:
// it must differ, so the test sees whether the RNG state is restored.
func TestResumeIdentical(t *testing.T) {
	trajs := tinyThreeHole(t, 3, 1000, 5)
	cfg := tinyConfig()
	ref, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(7, 7))
	require.NoError(t, err)
	require.Len(t, ref.History, cfg.MaxEpochs, "reference phase-2 epochs, want the cap")
	r0 := 0 // epochs of phase-1 round 0
	for _, h := range ref.Phase1History {
		if h.Round == 0 {
			r0++
		}
	}
	n1 := len(ref.Phase1History)
	require.True(t, r0 >= 2 && n1-r0 >= 3, "phase 1 ran %d epochs, %d in round 0: too few to interrupt inside both rounds", n1, r0)
	for _, c := range []struct {
		name   string
		phase  int // 1: cancel in phase 1 after TotalEpoch = epoch; 2: after phase-2 epoch
		epoch  int
		resume int // phase of the checkpoint resumed from
	}{
		{"phase 1 epoch 1", 1, 1, 1},
		{"end of round 0", 1, r0, 1},
		{"inside round 1", 1, r0 + 1, 1},
		{"phase boundary", 1, n1, 2},
		{"phase 2 epoch 2", 2, 2, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cc := cfg
			cc.Checkpoint = filepath.Join(dir, "fit.ckpt")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			phase1 := 0 // total phase-1 epochs seen
			cc.Observers = []monitor.Observer{monitor.Func(func(e monitor.Epoch) error {
				if e.Phase == "spib" {
					phase1++
				}
				if (c.phase == 1 && e.Phase == "spib" && phase1 == c.epoch) || (c.phase == 2 && e.Phase == "dspib" && e.Epoch == c.epoch) {
					cancel()
				}
				return nil
			})}
			_, err := Fit(ctx, trajs, cc, rand.NewPCG(7, 7))
			require.ErrorIs(t, err, context.Canceled)
			ts, err := ad.LoadTensors(cc.Checkpoint)
			require.NoError(t, err)
			var phase float64
			for _, x := range ts {
				if x.Name == "dspib.meta" {
					phase = x.Data[10]
				}
			}
			require.Equal(t, c.resume, int(phase), "phase of the checkpoint (stored %g)", phase)
			cc.Observers = nil
			if c.resume == 1 {
				// Control first, on a copy: the fresh stream's state
				// instead of the saved one must change the result.
				ctl := filepath.Join(dir, "control.ckpt")
				fresh, _ := rand.NewPCG(7, 7).MarshalBinary()
				for i := range ts {
					if ts[i].Name == "spib.rng" {
						ts[i] = spib.IntsTensor("spib.rng", bytesInts(fresh))
					}
				}
				require.NoError(t, ad.SaveTensors(ctl, ts))
				c2 := cc
				c2.Checkpoint = ctl
				got, err := Fit(context.Background(), trajs, c2, rand.NewPCG(7, 7))
				require.NoError(t, err)
				assert.False(t, slices.Equal(phase1Bits(got.Phase1History), phase1Bits(ref.Phase1History)),
					"control: resuming phase 1 without its RNG state gave the same phase-1 history")
			}
			got, err := Fit(context.Background(), trajs, cc, rand.NewPCG(7, 7))
			require.NoError(t, err)
			require.True(t, got.Resumed, "second run did not resume from the checkpoint")
			sameResult(t, ref, got)
			// A finished checkpoint resumes to the same result again.
			again, err := Fit(context.Background(), trajs, cc, rand.NewPCG(7, 7))
			require.NoError(t, err)
			sameResult(t, ref, again)
		})
	}
}

func bytesInts(b []byte) []int {
	v := make([]int, len(b))
	for i, x := range b {
		v[i] = int(x)
	}
	return v
}

// TestCheckpointMismatch: a checkpoint written with other settings (another
// model shape) or for other data is refused with a clear error.
func TestCheckpointMismatch(t *testing.T) {
	trajs := tinyThreeHole(t, 3, 1000, 5)
	cfg := tinyConfig()
	cfg.MaxEpochs = 1
	cfg.Checkpoint = filepath.Join(t.TempDir(), "fit.ckpt")
	_, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(1, 1))
	require.NoError(t, err)
	other := cfg
	other.SPIB.Hidden1 = 8
	_, err = Fit(context.Background(), trajs, other, rand.NewPCG(1, 1))
	wantErr(t, err, "fit.ckpt", "different settings")

	otherData := tinyThreeHole(t, 5, 1000, 5)
	_, err = Fit(context.Background(), otherData, cfg, rand.NewPCG(1, 1))
	wantErr(t, err, "fit.ckpt", "other data")
	_, err = Fit(context.Background(), trajs, cfg, rand.NewPCG(2, 1))
	wantErr(t, err, "fit.ckpt", "another seed")
	relabelled := tinyThreeHole(t, 3, 1000, 5)
	relabelled[0].Labels[0] = (relabelled[0].Labels[0] + 1) % 5
	_, err = Fit(context.Background(), relabelled, cfg, rand.NewPCG(1, 1))
	wantErr(t, err, "fit.ckpt", "initial labels")

	// Below the fingerprint: a parameter of the wrong shape is named by
	// learn/ad's loader.
	ts, err := ad.LoadTensors(cfg.Checkpoint)
	require.NoError(t, err)
	for i := range ts {
		if ts[i].Name == "dec.out.W" {
			ts[i].Rows++
			ts[i].Data = append(ts[i].Data, make([]float64, ts[i].Cols)...)
		}
	}
	require.NoError(t, ad.SaveTensors(cfg.Checkpoint, ts))
	_, err = Fit(context.Background(), trajs, cfg, rand.NewPCG(1, 1))
	wantErr(t, err, "another model shape", "dec.out.W")
}

// TestFitWorkersIndependent: a whole two-phase fit with batches of 256
// (two shards per step) is bit-identical on 1 and 2 workers.
func TestFitWorkersIndependent(t *testing.T) {
	trajs := tinyThreeHole(t, 3, 1000, 5)
	var res []*Result
	for _, w := range []int{1, 2} {
		cfg := tinyConfig()
		cfg.SPIB.BatchSize, cfg.SPIB.Workers, cfg.MaxEpochs = 256, w, 3
		cfg.SPIB.MaxEpochs = 12
		r, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(7, 7))
		require.NoError(t, err)
		res = append(res, r)
	}
	sameResult(t, res[0], res[1])
}

// TestObservers: an observer sees every epoch of both phases exactly once,
// in order, the SPIB part's own observers first in phase 1; one that fails
// in phase 2 stops Fit there with its error, the checkpoint keeping the
// epoch before, and a second call resumes to the uninterrupted result.
func TestObservers(t *testing.T) {
	trajs := tinyThreeHole(t, 3, 1000, 5)
	cfg := tinyConfig()
	var seen, seen1 testutil.Observed
	cfg.Observers = []monitor.Observer{&seen}
	cfg.SPIB.Observers = []monitor.Observer{&seen1}
	ref, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(7, 7))
	require.NoError(t, err)
	var want, want1 []string
	for _, e := range ref.Phase1History {
		want1 = append(want1, testutil.EpochKey("spib", e.Round, e.Epoch))
	}
	want = append(want, want1...)
	for _, e := range ref.History {
		want = append(want, testutil.EpochKey("dspib", 0, e.Epoch))
	}
	assert.Equal(t, want, seen.Keys())
	assert.Equal(t, want1, seen1.Keys(), "SPIB.Observers: phase 1 only")
	last := seen.Epochs[len(seen.Epochs)-1]
	assert.True(t, last.Last, "the last epoch is marked")
	assert.Equal(t, ref.History[len(ref.History)-1].TrainDiff, last.Losses[3].Value, "diffusion loss of the last epoch")

	cfg.SPIB.Observers = nil
	cfg.Checkpoint = filepath.Join(t.TempDir(), "fit.ckpt")
	n1 := len(ref.Phase1History)
	cfg.Observers = []monitor.Observer{&testutil.Observed{Fail: n1 + 2}}
	_, err = Fit(context.Background(), trajs, cfg, rand.NewPCG(7, 7))
	require.ErrorIs(t, err, testutil.ErrStop)
	assert.Contains(t, err.Error(), "phase 2 epoch 2: observer 0")
	seen.Epochs = nil
	cfg.Observers = []monitor.Observer{&seen}
	got, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(7, 7))
	require.NoError(t, err)
	assert.Equal(t, want[n1+1:], seen.Keys(), "the resumed fit trains phase-2 epoch 2 again")
	sameResult(t, ref, got)
}
