package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/dspib/dspib/md/runstore"
	"github.com/dspib/dspib/pipeline"
)

// mdRun is one run-store folder of a seed: the training runs ("train"),
// the long reference runs ("ref") or the second independent runs of the
// noise floor ("floor"), one replica per temperature.
type mdRun struct {
	Kind         string    // "train", "ref" or "floor"
	Temperatures []float64 // kT [ε]
	Frames       int64     // stored frames per temperature, burn-in included
	Dir          string
}

// config is the run-store configuration of m: the system's defaults (BAOAB,
// dt, γ, stride), one seed per temperature derived from (seed, kind, kT),
// so that the train and ref runs at one kT are independent and a
// temperature's stream does not depend on the other temperatures, and a
// checkpoint every minute.
func (m mdRun) config(sys *System, seed uint64, log io.Writer) runstore.Config {
	return runstore.Config{
		System: sys, Temperatures: m.Temperatures, Frames: m.Frames, Seeds: pipeline.MDSeeds(seed, "md/"+m.Kind, m.Temperatures), Dir: m.Dir,
		Checkpoint: time.Minute, Log: log, Label: sys.Name + " " + m.Kind, ProgressInterval: 15 * time.Second,
		Extra: map[string]any{"kind": m.Kind},
	}
}

// mdRuns lists the folders of one seed under dir/md: the training runs,
// the long reference runs at every evaluated kT (test and validation), and
// a second independent run of the same length at each of them, the noise
// floor (docs/evaluation.md §4).
func mdRuns(exps []Experiment, sizes Sizes, dir string) []mdRun {
	eval := union(exps, func(e *Experiment) []float64 { return e.Temperatures() })
	return []mdRun{
		{Kind: "train", Temperatures: union(exps, func(e *Experiment) []float64 { return e.Train }),
			Frames: int64(sizes.TrainFrames + sizes.BurnIn), Dir: filepath.Join(dir, "md", "train")},
		{Kind: "ref", Temperatures: eval, Frames: int64(sizes.RefFrames + sizes.BurnIn), Dir: filepath.Join(dir, "md", "ref")},
		{Kind: "floor", Temperatures: eval, Frames: int64(sizes.RefFrames + sizes.BurnIn), Dir: filepath.Join(dir, "md", "floor")},
	}
}

// simulate runs (or reuses, resumes) every folder of runs through the run
// store, the folders concurrently; the first error cancels the others.
func simulate(ctx context.Context, sys *System, seed uint64, runs []mdRun, log io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, m := range runs {
		wg.Go(func() {
			if err := runstore.Simulate(ctx, m.config(sys, seed, log)); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("simulate %s: %w", m.Kind, err))
				mu.Unlock()
				cancel()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// loadRun opens the run folder dir (written by the benchmark or by dspib
// simulate) and returns, per temperature, the model features and the
// k-means label features with the first burnIn frames dropped, their
// widths, and whether the labels are standardised.
func loadRun(dir string, burnIn int) (feat, label map[float64][]float64, d, labelDim int, run *runstore.Run, err error) {
	run, err = runstore.Open(dir)
	if err != nil {
		return nil, nil, 0, 0, nil, err
	}
	feat, label = map[float64][]float64{}, map[float64][]float64{}
	for _, kT := range run.Temperatures() {
		f, rows, fd, err := run.Features(kT)
		if err != nil {
			return nil, nil, 0, 0, nil, err
		}
		l, _, ld, err := run.LabelFeatures(kT)
		if err != nil {
			return nil, nil, 0, 0, nil, err
		}
		if rows <= burnIn {
			return nil, nil, 0, 0, nil, fmt.Errorf("%s: %d frames at kT %v, not more than burn-in %d", dir, rows, kT, burnIn)
		}
		feat[kT], label[kT], d, labelDim = f[burnIn*fd:], l[burnIn*ld:], fd, ld
	}
	return feat, label, d, labelDim, run, nil
}
