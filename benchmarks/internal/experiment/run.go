package experiment

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dspib/dspib/evaluate"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/dspib"
	"github.com/dspib/dspib/learn/spib"
	"github.com/dspib/dspib/md/runstore"
	"github.com/dspib/dspib/pipeline"
)

// seedRun holds the state of one independent repetition (one seed).
type seedRun struct {
	spec  *Spec
	sys   *System
	sizes Sizes
	seed  uint64
	dir   string
	log   io.Writer
	// opts are the program's options: PostHoc and the generator settings
	// (EMADecay, LatentScale, MinSteps, PolishEpochs, Coupling, Experts,
	// Corrector, CorrectorSNR, InputFrequencies, InputMaxFrequency,
	// InputGated, StepSampling) reach training.
	opts Options

	// train holds the training runs (burn-in dropped), refFeat the long
	// runs' features per kT and refRun the long runs themselves (with their
	// energies, burn-in dropped alike), floorFeat the features of the
	// second independent long runs (the noise floor); kmStd says the k-means coordinates are
	// standardised (the run folder records it).
	train     []pipeline.Input
	refFeat   map[float64][]float64
	refRun    []pipeline.Input
	floorFeat map[float64][]float64
	kmStd     bool

	mu      sync.Mutex
	timings []Timing
}

func (r *seedRun) timed(stage string, reused bool, start time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timings = append(r.timings, Timing{Stage: stage, Seconds: time.Since(start).Seconds(), Reused: reused})
}

// union returns the sorted distinct temperatures of the experiments' lists.
func union(exps []Experiment, pick func(*Experiment) []float64) []float64 {
	var ts []float64
	for i := range exps {
		for _, t := range pick(&exps[i]) {
			if !slices.Contains(ts, t) {
				ts = append(ts, t)
			}
		}
	}
	sort.Float64s(ts)
	return ts
}

// simulateAndLoad runs (or reuses, resumes) the seed's MD through the run
// store (folders md/train and md/ref) and loads the features.
func (r *seedRun) simulateAndLoad(ctx context.Context) error {
	start := time.Now()
	runs := mdRuns(r.spec.Experiments, r.sizes, r.dir)
	allReused := true
	for _, m := range runs {
		allReused = allReused && runstore.Complete(m.config(r.sys, r.seed, nil))
	}
	fmt.Fprintf(r.log, "[seed %d] stage 1: molecular dynamics (%d folders, BAOAB dt %g τ, γ %g/τ, a frame every %d steps)\n",
		r.seed, len(runs), r.sys.Dt, r.sys.Gamma, r.sys.Stride)
	if err := simulate(ctx, r.sys, r.seed, runs, r.log); err != nil {
		return err
	}
	r.timed("simulate", allReused, start)

	start = time.Now()
	ins, train, err := pipeline.LoadRun(runs[0].Dir, r.sizes.BurnIn)
	if err != nil {
		return err
	}
	r.train, r.kmStd = ins, train.Labels.Standardize
	ref, _, err := pipeline.LoadRun(runs[1].Dir, r.sizes.BurnIn)
	if err != nil {
		return err
	}
	// Of the long runs the comparison needs the features, and the
	// energies at the training temperatures (the reweighting baselines);
	// the k-means coordinates and the other energies are let go (at LJ7
	// paper size 8 runs of 10⁶ frames: 0.2 GB).
	trainT := union(r.spec.Experiments, func(e *Experiment) []float64 { return e.Train })
	r.refFeat, r.refRun = map[float64][]float64{}, ref
	for i, in := range ref {
		r.refFeat[in.KT] = in.Features
		ref[i].LabelX, ref[i].Labels = nil, nil
		if !slices.Contains(trainT, in.KT) {
			ref[i].Energies = nil
		}
	}
	floor, _, err := pipeline.LoadRun(runs[2].Dir, r.sizes.BurnIn)
	if err != nil {
		return err
	}
	r.floorFeat = map[float64][]float64{}
	for _, in := range floor {
		r.floorFeat[in.KT] = in.Features
	}
	r.timed("features", false, start)
	return nil
}

// expRun is one experiment of one seed: trained models and evaluation.
type expRun struct {
	e       *Experiment
	dir     string
	models  *pipeline.Result
	methods []*Method
	info    map[string]any
	nEval   int
	rows    []Row
	res     *evaluate.Result
}

// trainModels runs (or reuses) the training stage (package pipeline) on the
// training temperatures of x: k-means, SPIB (phase 1, the SPIB baseline),
// D-SPIB (phase 2) and, with -posthoc, the post-hoc prior, into x.dir/model in the layout
// dspib train writes.
func (r *seedRun) trainModels(ctx context.Context, x *expRun) error {
	e := x.e
	var ins []pipeline.Input
	for _, t := range e.Train {
		for _, in := range r.train {
			if in.KT == t {
				ins = append(ins, in)
			}
		}
	}
	start := time.Now()
	res, err := pipeline.Train(ctx, ins, r.trainConfig(e), r.seed, modelDir(x))
	if err != nil {
		return err
	}
	x.models = res
	r.timed(e.Name+"/models", res.Reused, start)
	return nil
}

// modelDir is the model folder of x.
func modelDir(x *expRun) string { return filepath.Join(x.dir, "model") }

// trainConfig is the preset's training stage for e: the streams are named
// by the experiment.
func (r *seedRun) trainConfig(e *Experiment) pipeline.Config {
	return pipeline.Config{
		Name: e.Name,
		Fit: dspib.Config{
			SPIB: spib.Config{Lag: r.sizes.Lag, MaxEpochs: r.sizes.SPIBMaxEpochs, Refinements: r.sizes.SPIBRefinements},
			Prior: diffusion.Config{Exponent: r.sizes.Exponent, Embedding: r.sizes.Embedding, LatentScale: r.opts.LatentScale, Coupling: r.opts.Coupling, Experts: r.opts.Experts,
				Corrector: r.opts.Corrector, CorrectorSNR: r.opts.CorrectorSNR,
				InputFrequencies: r.opts.InputFrequencies, InputMaxFrequency: r.opts.InputMaxFrequency, InputGated: r.opts.InputGated,
				StepSampling: r.opts.StepSampling},
			MaxEpochs:    r.sizes.Phase2Epochs,
			EMADecay:     r.opts.EMADecay,
			MinSteps:     r.opts.MinSteps,
			PolishEpochs: r.opts.PolishEpochs,
		},
		K: r.sizes.KMeansK, Standardize: r.kmStd, PostHoc: r.opts.PostHoc, Reuse: true, Log: r.log, Progress: r.log,
	}
}

// buildMethods trains the models of experiment x and lists the methods
// (pipeline.Methods: SPIB, D-SPIB and, with -posthoc, the post-hoc prior).
func (r *seedRun) buildMethods(ctx context.Context, x *expRun) error {
	if err := r.trainModels(ctx, x); err != nil {
		return err
	}
	m := x.models
	if d := m.Phase1.SPIB.LatentDim(); d != 2 {
		return fmt.Errorf("%s: latent dimension %d, the benchmark compares 2-D latents", x.e.Name, d)
	}
	x.methods = pipeline.Methods(m)
	x.info["spib_states"] = m.Phase1.SPIB.K
	x.info["spib_epochs"] = len(m.Phase1History)
	x.info["dspib_epochs"] = len(m.History)
	x.info["dspib_stopped"] = m.Stopped
	return nil
}
