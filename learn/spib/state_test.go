package spib

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/monitor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resumeConfig runs three rounds of three epochs on small data, so that a
// run can be interrupted inside a round and at a round boundary.
var resumeConfig = Config{Lag: 2, MaxEpochs: 3, Refinements: 2, BatchSize: 64, LearningRate: 5e-3, Workers: 2}

var sameBits = testutil.SameBits

// historyBits returns the history without the wall-clock times.
func historyBits(h []EpochStats) []float64 {
	c := make([]EpochStats, len(h))
	for i, e := range h {
		e.Elapsed = 0
		c[i] = e
	}
	return HistoryTensor("h", c).Data
}

// sameRun fails unless two results are bit-identical (times aside).
func sameRun(t *testing.T, a, b *Result) {
	t.Helper()
	pa, pb := a.Model.Params(), b.Model.Params()
	require.Len(t, pb, len(pa), "parameters")
	for i := range pa {
		sameBits(t, pa[i].Name, pa[i].Data, pb[i].Data)
	}
	sameBits(t, "RepInputs", a.Model.RepInputs, b.Model.RepInputs)
	sameBits(t, "history", historyBits(a.History), historyBits(b.History))
	require.Len(t, b.Rounds, len(a.Rounds), "rounds %+v vs %+v", a.Rounds, b.Rounds)
	for i := range a.Rounds {
		require.True(t, a.Rounds[i] == b.Rounds[i], "round %d: %+v vs %+v", i, a.Rounds[i], b.Rounds[i])
	}
	sameBits(t, "ZMean", a.ZMean, b.ZMean)
	sameBits(t, "ZSample", a.ZSample, b.ZSample)
	sameBits(t, "final losses", []float64{a.TestLoss, a.ValLoss}, []float64{b.TestLoss, b.ValLoss})
}

// countdownCtx is a context whose Err reports cancellation from its n-th
// call on: a deterministic way to cancel between two training batches.
type countdownCtx struct {
	context.Context
	n atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.n.Add(-1) <= 0 {
		return context.Canceled
	}
	return nil
}

// TestResumeBitIdentical interrupts training after the first epoch, at the
// end of round 0 (the checkpoint then holds the refined labels and a fresh
// Adam), inside round 1, and between two batches of an epoch; resumes from
// the last checkpoint with data rebuilt from a fresh PCG of the same seed;
// and requires the uninterrupted result bit for bit. The control resumes
// without restoring the RNG (the fresh stream's state instead) and must
// differ. TrainContext with RunOptions{} also equals plain Train.
func TestResumeBitIdentical(t *testing.T) {
	trajs := smallThreeHole(t, 5, 3000, 6)
	cfg := resumeConfig
	ref, err := TrainContext(context.Background(), trajs, cfg, rand.NewPCG(7, 7), RunOptions{})
	require.NoError(t, err)
	require.Len(t, ref.Rounds, 3, "reference: rounds")
	require.Len(t, ref.History, 9, "reference: epochs (3 rounds of 3)")
	plain, err := Train(trajs, cfg, rand.New(rand.NewPCG(7, 7)))
	require.NoError(t, err)
	sameRun(t, ref, plain)

	// resume continues from the checkpoint at path; if freshRNG, with the
	// RNG state of a fresh stream instead of the saved one.
	resume := func(path string, freshRNG bool) *Result {
		src := rand.NewPCG(7, 7)
		data, err := NewData(trajs, cfg, rand.New(src))
		require.NoError(t, err)
		st, extra, err := LoadTrainState(path, data, cfg)
		require.NoError(t, err)
		require.Len(t, extra, 1, "extra tensors: want the caller's test.note")
		require.Equal(t, "test.note", extra[0].Name, "extra tensor")
		if freshRNG {
			st.RNG, err = src.MarshalBinary()
			require.NoError(t, err)
		}
		res, err := TrainDataContext(context.Background(), data, cfg, src, RunOptions{Resume: st})
		require.NoError(t, err)
		return res
	}
	for _, c := range []struct {
		name      string
		stopAfter int   // cancel in an observer at this total epoch, or
		errCalls  int64 // cancel at this ctx.Err call (between batches)
		wantSaved int   // epochs in the last checkpoint
	}{
		{"after epoch 1", 1, 0, 1},
		{"end of round 0", 3, 0, 3},
		{"inside round 1", 5, 0, 5},
		// Err is called once at the start, before every training batch
		// (29 per epoch here) and after every epoch: call 75 falls in
		// the third epoch.
		{"between batches", 0, 75, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "spib.ckpt")
			var ctx context.Context
			cc := cfg
			if c.errCalls > 0 {
				cd := &countdownCtx{Context: context.Background()}
				cd.n.Store(c.errCalls)
				ctx = cd
			} else {
				cctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				ctx = cctx
				seen := 0
				cc.Observers = []monitor.Observer{monitor.Func(func(monitor.Epoch) error {
					if seen++; seen == c.stopAfter {
						cancel()
					}
					return nil
				})}
			}
			saved := 0
			save := func(st *TrainState) error {
				saved = st.TotalEpoch
				return st.Save(path, IntsTensor("test.note", []int{1}))
			}
			_, err := TrainContext(ctx, trajs, cc, rand.NewPCG(7, 7), RunOptions{Save: save})
			require.ErrorIs(t, err, context.Canceled)
			require.Equal(t, c.wantSaved, saved, "epoch of the last checkpoint")
			sameRun(t, ref, resume(path, false))
			ctl := resume(path, true)
			assert.GreaterOrEqual(t, testutil.FirstBitDiff(historyBits(ref.History), historyBits(ctl.History)), 0,
				"control: resuming without the saved RNG state gave the same history")
		})
	}
}

// TestLoadTrainStateMismatch: a state is refused, with a message naming
// the problem, for another architecture, other data or a reserved name.
func TestLoadTrainStateMismatch(t *testing.T) {
	trajs := smallThreeHole(t, 5, 3000, 6)
	path := filepath.Join(t.TempDir(), "spib.ckpt")
	cfg := resumeConfig
	cfg.MaxEpochs, cfg.Refinements = 2, -1
	var saved *TrainState
	_, err := TrainContext(context.Background(), trajs, cfg, rand.NewPCG(1, 1), RunOptions{Save: func(st *TrainState) error {
		saved = st
		wantErr(t, st.Save(path, IntsTensor("spib.labels", nil)), "reserved")
		return st.Save(path)
	}})
	require.NoError(t, err, "training")
	require.NotNil(t, saved, "training wrote no checkpoint")
	data, err := NewData(trajs, cfg, newRand(1))
	require.NoError(t, err)
	other := cfg
	other.Hidden1 = 8
	_, _, err = LoadTrainState(path, data, other)
	wantErr(t, err, "another model shape", "enc.0.W")
	small, err := NewData(smallThreeHole(t, 5, 1000, 4), cfg, newRand(1))
	require.NoError(t, err)
	_, _, err = LoadTrainState(path, small, cfg)
	wantErr(t, err, "spib.labels")
	_, err = TrainDataContext(context.Background(), data, cfg, nil, RunOptions{})
	wantErr(t, err, "nil *rand.PCG")
}

// TestCheckpointPath: with Config.Checkpoint, a run stopped by an observer
// inside round 1 resumes from the file to the uninterrupted result bit for
// bit (and so does a second call on the finished file); the file is
// refused for other settings, another seed or other data, and with Train's
// *rand.Rand.
func TestCheckpointPath(t *testing.T) {
	trajs := smallThreeHole(t, 5, 3000, 6)
	cfg := resumeConfig
	ref, err := TrainContext(context.Background(), trajs, cfg, rand.NewPCG(7, 7), RunOptions{})
	require.NoError(t, err)
	cfg.Checkpoint = filepath.Join(t.TempDir(), "spib.ckpt")
	stop := cfg
	stop.Observers = []monitor.Observer{&testutil.Observed{Fail: 5}}
	_, err = TrainContext(context.Background(), trajs, stop, rand.NewPCG(7, 7), RunOptions{})
	require.ErrorIs(t, err, testutil.ErrStop)
	// The refused epoch 5 was not saved: the file holds epoch 4.
	data, err := NewData(trajs, cfg, rand.New(rand.NewPCG(7, 7)))
	require.NoError(t, err)
	st, _, err := LoadTrainState(cfg.Checkpoint, data, cfg)
	require.NoError(t, err)
	assert.Equal(t, 4, st.TotalEpoch, "epochs in the checkpoint")
	for range 2 {
		got, err := TrainContext(context.Background(), trajs, cfg, rand.NewPCG(7, 7), RunOptions{})
		require.NoError(t, err)
		sameRun(t, ref, got)
	}

	other := cfg
	other.Beta = 1e-3
	_, err = TrainContext(context.Background(), trajs, other, rand.NewPCG(7, 7), RunOptions{})
	testutil.WantErr(t, err, cfg.Checkpoint, "other data, settings or another seed")
	_, err = TrainContext(context.Background(), trajs, cfg, rand.NewPCG(8, 7), RunOptions{})
	testutil.WantErr(t, err, cfg.Checkpoint, "other data, settings or another seed")
	_, err = TrainContext(context.Background(), smallThreeHole(t, 5, 2000, 6), cfg, rand.NewPCG(7, 7), RunOptions{})
	testutil.WantErr(t, err, cfg.Checkpoint, "other data, settings or another seed")
	_, err = Train(trajs, cfg, rand.New(rand.NewPCG(7, 7)))
	testutil.WantErr(t, err, "Config.Checkpoint needs TrainContext")
}

// TestObservers: an observer sees every epoch of every round exactly once,
// in order; one that fails stops training at that epoch with its error.
func TestObservers(t *testing.T) {
	trajs := smallThreeHole(t, 5, 3000, 6)
	cfg := resumeConfig
	var seen testutil.Observed
	cfg.Observers = []monitor.Observer{&seen}
	res, err := Train(trajs, cfg, rand.New(rand.NewPCG(7, 7)))
	require.NoError(t, err)
	var want []string
	for _, e := range res.History {
		want = append(want, testutil.EpochKey("spib", e.Round, e.Epoch))
	}
	assert.Equal(t, want, seen.Keys())
	for i, e := range seen.Epochs {
		h := res.History[i]
		assert.Equal(t, h.TrainLoss, e.Losses[0].Value, "epoch %d: loss", i)
		assert.Equal(t, h.Epoch == cfg.MaxEpochs, e.Last, "epoch %d: last of its round", i)
	}

	fail := testutil.Observed{Fail: 4}
	cfg.Observers = []monitor.Observer{&seen, &fail}
	seen.Epochs = nil
	_, err = Train(trajs, cfg, rand.New(rand.NewPCG(7, 7)))
	require.ErrorIs(t, err, testutil.ErrStop)
	assert.Contains(t, err.Error(), "round 1 epoch 1: observer 1")
	assert.Len(t, seen.Epochs, 4, "epochs seen by the first observer")
}
