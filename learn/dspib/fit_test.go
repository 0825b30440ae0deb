package dspib

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/spib"
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
	if len(a.History) != len(b.History) || len(a.Phase1History) != len(b.Phase1History) {
		t.Fatalf("histories have %d/%d and %d/%d epochs", len(a.Phase1History), len(a.History), len(b.Phase1History), len(b.History))
	}
	for i := range a.History {
		sameFloats(t, "history", hist2Row(a.History[i])[:11], hist2Row(b.History[i])[:11])
	}
	for i := range a.Phase1History {
		sameFloats(t, "phase-1 history", hist1Row(a.Phase1History[i])[:13], hist1Row(b.Phase1History[i])[:13])
	}
	sameFloats(t, "ZMean", a.ZMean, b.ZMean)
	sameFloats(t, "test losses", hist2Row(a.Test)[:9], hist2Row(b.Test)[:9])
}

// TestResumeIdentical interrupts a fit at the phase boundary and after a
// phase-2 epoch, resumes it from the checkpoint with a fresh PCG of the
// same seed, and checks that everything equals the uninterrupted run bit
// for bit (the restored RNG state is not the fresh one, so a resume that
// did not restore it would differ).
func TestResumeIdentical(t *testing.T) {
	trajs := tinyThreeHole(t, 3, 1000, 5)
	cfg := tinyConfig()
	ref, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(7, 7))
	if err != nil {
		t.Fatal(err)
	}
	if len(ref.History) != cfg.MaxEpochs {
		t.Fatalf("reference ran %d phase-2 epochs, want the cap %d", len(ref.History), cfg.MaxEpochs)
	}
	for _, stopAt := range []int{0, 2} {
		dir := t.TempDir()
		c := cfg
		c.Checkpoint = filepath.Join(dir, "fit.ckpt")
		ctx, cancel := context.WithCancel(context.Background())
		if stopAt == 0 {
			c.SPIB.OnEpoch = func(spib.EpochStats) { cancel() }
		} else {
			c.OnEpoch = func(st EpochStats) {
				if st.Epoch == stopAt {
					cancel()
				}
			}
		}
		_, err := Fit(ctx, trajs, c, rand.NewPCG(7, 7))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stop at %d: want context.Canceled, got %v", stopAt, err)
		}
		cancel()
		c.SPIB.OnEpoch, c.OnEpoch = nil, nil
		got, err := Fit(context.Background(), trajs, c, rand.NewPCG(7, 7))
		if err != nil {
			t.Fatal(err)
		}
		if !got.Resumed {
			t.Fatal("second run did not resume from the checkpoint")
		}
		sameResult(t, ref, got)
		// A finished checkpoint resumes to the same result again.
		again, err := Fit(context.Background(), trajs, c, rand.NewPCG(7, 7))
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, ref, again)
	}
}

// TestCheckpointMismatch: a checkpoint written with other settings (another
// model shape) or for other data is refused with a clear error.
func TestCheckpointMismatch(t *testing.T) {
	trajs := tinyThreeHole(t, 3, 1000, 5)
	cfg := tinyConfig()
	cfg.MaxEpochs = 1
	cfg.Checkpoint = filepath.Join(t.TempDir(), "fit.ckpt")
	if _, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(1, 1)); err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.SPIB.Hidden1 = 8
	_, err := Fit(context.Background(), trajs, other, rand.NewPCG(1, 1))
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
	if err != nil {
		t.Fatal(err)
	}
	for i := range ts {
		if ts[i].Name == "dec.out.W" {
			ts[i].Rows++
			ts[i].Data = append(ts[i].Data, make([]float64, ts[i].Cols)...)
		}
	}
	if err := ad.SaveTensors(cfg.Checkpoint, ts); err != nil {
		t.Fatal(err)
	}
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
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, r)
	}
	sameResult(t, res[0], res[1])
}
