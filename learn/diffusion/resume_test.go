package diffusion

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/monitor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resumeSetup is a small training problem with a checkpoint path.
func resumeSetup(t *testing.T) (x, temps []float64, cfg TrainConfig) {
	x, temps = twoTemperatureGaussians(newRNG(3), 300)
	cfg = TrainConfig{Prior: tinyConfig(Smooth, SiLU), Epochs: 4, BatchSize: 64,
		Checkpoint: filepath.Join(t.TempDir(), "prior.ckpt")}
	return x, temps, cfg
}

// TestTrainContextResumeBitIdentical: 4 epochs straight equal 2 epochs, a
// "new process" that resumes from the checkpoint with a budget of 4: the
// same losses, parameters and next random number, bit for bit. The new
// process's source has drawn only the initial weights, so the last check
// fails unless the stream's state came from the file.
// With TrainConfig.EMADecay the checkpoint carries the average too.
func TestTrainContextResumeBitIdentical(t *testing.T) {
	for _, ema := range []float64{0, 0.9} {
		t.Run(fmt.Sprintf("ema=%v", ema), func(t *testing.T) { testResume(t, ema) })
	}
}

func testResume(t *testing.T, ema float64) {
	x, temps, cfg := resumeSetup(t)
	cfg.EMADecay = ema
	straightCfg := cfg
	straightCfg.Checkpoint = ""
	srcA := rand.NewPCG(11, 12)
	pa, ha, err := TrainContext(context.Background(), x, temps, straightCfg, srcA)
	require.NoError(t, err)

	half := cfg
	half.Epochs = 2
	_, _, err = TrainContext(context.Background(), x, temps, half, rand.NewPCG(11, 12))
	require.NoError(t, err)
	srcB := rand.NewPCG(11, 12) // a new process: same seed, state from the file
	var progress strings.Builder
	resumed := cfg
	resumed.Observers = []monitor.Observer{&monitor.Progress{W: &progress, Interval: -1}}
	pb, hb, err := TrainContext(context.Background(), x, temps, resumed, srcB)
	require.NoError(t, err)
	// The resumed run reports the epochs it trained, numbered in the run.
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	assert.True(t, len(lines) == 2 && strings.HasPrefix(lines[0], "diffusion: epoch 3/4: loss ") && strings.HasPrefix(lines[1], "diffusion: epoch 4/4: loss "),
		"progress of the resumed run:\n%s\nwant lines for epochs 3/4 and 4/4", progress.String())
	testutil.SameBits(t, "losses", hb, ha)
	for i, q := range pa.Params() {
		testutil.SameBits(t, q.Name, pb.Params()[i].Data, q.Data)
	}
	assert.Equal(t, srcA.Uint64(), srcB.Uint64(), "next random number against the straight run's")
	// Done: calling again trains nothing more and returns the same losses.
	_, hc, err := TrainContext(context.Background(), x, temps, cfg, rand.NewPCG(11, 12))
	require.NoError(t, err)
	testutil.SameBits(t, "losses from a finished checkpoint", hc, ha)
}

// TestTrainContextErrors: a checkpoint of other data, a corrupt file, a
// checkpoint with Fit, a nil source and a cancelled context are errors
// naming the problem; nothing is overwritten.
func TestTrainContextErrors(t *testing.T) {
	x, temps, cfg := resumeSetup(t)
	ctx := context.Background()
	_, _, err := TrainContext(ctx, x, temps, cfg, rand.NewPCG(1, 2))
	require.NoError(t, err)
	before, _ := os.ReadFile(cfg.Checkpoint)

	other := append([]float64(nil), x...)
	other[0] += 1e-9
	_, _, err = TrainContext(ctx, other, temps, cfg, rand.NewPCG(1, 2))
	testutil.WantErr(t, err, cfg.Checkpoint, "other data or settings", "remove the file")
	more := cfg
	more.BatchSize = 32
	_, _, err = TrainContext(ctx, x, temps, more, rand.NewPCG(1, 2))
	testutil.WantErr(t, err, "other data or settings")
	fewer := cfg
	fewer.Epochs = 2
	_, _, err = TrainContext(ctx, x, temps, fewer, rand.NewPCG(1, 2))
	testutil.WantErr(t, err, "4 epochs done", "Epochs = 2")
	after, _ := os.ReadFile(cfg.Checkpoint)
	assert.Equal(t, string(before), string(after), "a refused resume changed the checkpoint")

	bad := filepath.Join(t.TempDir(), "bad.ckpt")
	os.WriteFile(bad, before[:len(before)/2], 0o644)
	corrupt := cfg
	corrupt.Checkpoint = bad
	_, _, err = TrainContext(ctx, x, temps, corrupt, rand.NewPCG(1, 2))
	testutil.WantErr(t, err, "diffusion: resume", bad)

	p, _ := New(tinyConfig(Smooth, SiLU), newRNG(1))
	_, err = p.Fit(x, temps, cfg, newRNG(1))
	testutil.WantErr(t, err, "Checkpoint needs FitContext or TrainContext")
	_, _, err = TrainContext(ctx, x, temps, cfg, nil)
	testutil.WantErr(t, err, "src is nil")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	fresh := cfg
	fresh.Checkpoint = filepath.Join(t.TempDir(), "c.ckpt")
	_, h, err := TrainContext(cancelled, x, temps, fresh, rand.NewPCG(1, 2))
	testutil.WantErr(t, err, "context canceled")
	assert.Empty(t, h, "a cancelled run trained epochs")
}

// TestObservers: an observer sees every epoch exactly once, in order, with
// its loss; one that fails at epoch 3 stops training there with its error,
// the checkpoint keeping epoch 2, and a second call resumes to the
// uninterrupted losses.
func TestObservers(t *testing.T) {
	x, temps, cfg := resumeSetup(t)
	straight := cfg
	straight.Checkpoint = ""
	var seen testutil.Observed
	straight.Observers = []monitor.Observer{&seen}
	_, ref, err := TrainContext(context.Background(), x, temps, straight, rand.NewPCG(11, 12))
	require.NoError(t, err)
	var want []string
	for i := range ref {
		want = append(want, testutil.EpochKey("diffusion", 0, i+1))
	}
	assert.Equal(t, want, seen.Keys())
	for i, e := range seen.Epochs {
		assert.Equal(t, ref[i], e.Losses[0].Value, "epoch %d: loss", i+1)
		assert.Equal(t, i == len(ref)-1, e.Last, "epoch %d: last", i+1)
	}

	stop := cfg
	stop.Observers = []monitor.Observer{&testutil.Observed{Fail: 3}}
	_, h, err := TrainContext(context.Background(), x, temps, stop, rand.NewPCG(11, 12))
	require.ErrorIs(t, err, testutil.ErrStop)
	assert.Contains(t, err.Error(), "epoch 3: observer 0")
	assert.Len(t, h, 3, "losses returned")
	seen.Epochs = nil
	resumed := cfg
	resumed.Observers = []monitor.Observer{&seen}
	_, got, err := TrainContext(context.Background(), x, temps, resumed, rand.NewPCG(11, 12))
	require.NoError(t, err)
	assert.Equal(t, want[2:], seen.Keys(), "a resumed run trains epoch 3 again")
	testutil.SameBits(t, "losses", got, ref)
}

// TestFitWorkersBitIdentical: with 350 latents and batches of 300, an epoch
// is a batch of three shards (128, 128, 44) and one of 50; 1, 2 and 5
// workers must give the same losses and parameters, bit for bit (with the
// weight average of TrainConfig.EMADecay, which the parameters then hold).
func TestFitWorkersBitIdentical(t *testing.T) {
	x, temps := twoTemperatureGaussians(newRNG(3), 350)
	var ref *Prior
	var refHist []float64
	for _, w := range []int{1, 2, 5} {
		cfg := TrainConfig{Prior: tinyConfig(Smooth, SiLU), Epochs: 2, BatchSize: 300, Workers: w, EMADecay: 0.9}
		p, hist, err := TrainContext(context.Background(), x, temps, cfg, rand.NewPCG(21, 22))
		require.NoError(t, err)
		if ref == nil {
			ref, refHist = p, hist
			continue
		}
		testutil.SameBits(t, "losses", hist, refHist)
		for i, q := range ref.Params() {
			testutil.SameBits(t, q.Name, p.Params()[i].Data, q.Data)
		}
	}
}
