package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dspib/dspib/analysis/plots"
	"github.com/dspib/dspib/evaluate"
	"github.com/dspib/dspib/internal/atomicfile"
	"github.com/dspib/dspib/internal/stream"
	"github.com/dspib/dspib/learn"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/dspib"
	"github.com/dspib/dspib/learn/spib"
	"github.com/dspib/dspib/md/runstore"
	"github.com/dspib/dspib/md/traj"
)

// seedRun holds the state of one independent repetition (one seed).
type seedRun struct {
	spec  *Spec
	sys   *System
	sizes Sizes
	seed  uint64
	dir   string
	log   io.Writer

	trainFeat, trainKM, refFeat map[float64][]float64
	d, kmDim                    int
	kmStd                       bool // k-means on standardised label features

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
	var err error
	var train *runstore.Run
	if r.trainFeat, r.trainKM, r.d, r.kmDim, train, err = loadRun(runs[0].Dir, r.sizes.BurnIn); err != nil {
		return err
	}
	r.kmStd = train.Labels.Standardize
	if r.refFeat, _, _, _, _, err = loadRun(runs[1].Dir, r.sizes.BurnIn); err != nil {
		return err
	}
	r.timed("features", false, start)
	return nil
}

// stageKey identifies the inputs of a trained-model stage; a stage is
// reused only if the key stored beside its files is identical.
type stageKey struct {
	System     string    `json:"system"`
	Experiment string    `json:"experiment"`
	Train      []float64 `json:"train"`
	Seed       uint64    `json:"seed"`
	Sizes      Sizes     `json:"sizes"`
	Stage      string    `json:"stage"`
}

func (r *seedRun) key(e *Experiment, stage string) stageKey {
	return stageKey{System: r.sys.Name, Experiment: e.Name, Train: e.Train, Seed: r.seed, Sizes: r.sizes, Stage: stage}
}

// reusable reports whether marker holds exactly key.
func reusable(marker string, key stageKey) bool {
	b, err := os.ReadFile(marker)
	if err != nil {
		return false
	}
	want, _ := json.MarshalIndent(key, "", "  ")
	return string(b) == string(want)+"\n"
}

func writeMarker(marker string, key stageKey) error {
	return atomicfile.Write(marker, func(w io.Writer) error {
		b, err := json.MarshalIndent(key, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	})
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// expRun is one experiment of one seed: trained models and evaluation.
type expRun struct {
	e   *Experiment
	dir string
	// feat holds all training frames (trajectories concatenated in e.Train
	// order), original units; frameTemp their kT.
	feat      []float64
	frameTemp []float64
	// trainFrames and valFrames are the frames x_t of the training and
	// validation pairs of the split, in increasing order.
	trainFrames, valFrames []int
	phase1, dspib          *dspib.Model
	hist1                  []spib.EpochStats
	hist2                  []dspib.EpochStats
	stopped                string
	methods                []*Method
	info                   map[string]any
	nEval                  int
	rows                   []Row
	res                    *evaluate.Result
}

// models is what the training stage saves besides the two model folders.
type models struct {
	Phase1History []spib.EpochStats  `json:"phase1_history"`
	History       []dspib.EpochStats `json:"phase2_history"`
	Stopped       string             `json:"stopped"`
	Converged     bool               `json:"converged"`
}

// trainModels runs (or reloads) the two-phase D-SPIB fit on the training
// temperatures of x: phase 1 is the SPIB baseline, phase 2 D-SPIB.
func (r *seedRun) trainModels(ctx context.Context, x *expRun) error {
	e := x.e
	d := r.d
	var trajs []spib.Trajectory
	x.feat, x.frameTemp = nil, nil
	for _, t := range e.Train {
		f := r.trainFeat[t]
		n := len(f) / d
		tr := spib.Trajectory{Features: make([][]float64, n), Temp: t}
		for i := range n {
			tr.Features[i] = f[i*d : (i+1)*d]
			x.frameTemp = append(x.frameTemp, t)
		}
		trajs = append(trajs, tr)
		x.feat = append(x.feat, f...)
	}
	p1Dir := filepath.Join(x.dir, "spib_model")
	p2Dir := filepath.Join(x.dir, "dspib_model")
	histPath := filepath.Join(x.dir, "histories.json")
	trainPath := filepath.Join(x.dir, "split_train_frames.npy")
	valPath := filepath.Join(x.dir, "split_val_frames.npy")
	marker := filepath.Join(x.dir, "models.done.json")
	key := r.key(e, "models")
	start := time.Now()
	if reusable(marker, key) {
		m1, err1 := dspib.Load(p1Dir)
		m2, err2 := dspib.Load(p2Dir)
		var h models
		err3 := readJSON(histPath, &h)
		tf, err4 := traj.ReadNPYInts(trainPath)
		vf, err5 := traj.ReadNPYInts(valPath)
		if err := errors.Join(err1, err2, err3, err4, err5); err == nil {
			x.phase1, x.dspib, x.hist1, x.hist2, x.stopped = m1, m2, h.Phase1History, h.History, h.Stopped
			x.trainFrames, x.valFrames = tf, vf
			fmt.Fprintf(r.log, "reuse: %s SPIB and D-SPIB models in %s (settings match)\n", e.Name, x.dir)
			r.timed(e.Name+"/spib+dspib", true, start)
			return nil
		}
	}
	if err := r.initialLabels(e, trajs, stream.Rand(r.seed, "kmeans/"+e.Name, 0)); err != nil {
		return err
	}
	r.timed(e.Name+"/kmeans", false, start)
	start = time.Now()
	if err := os.MkdirAll(x.dir, 0o755); err != nil {
		return err
	}
	ckpt := filepath.Join(x.dir, "dspib.ckpt")
	if err := r.keepCheckpoint(ckpt, key, "D-SPIB"); err != nil {
		return err
	}
	cfg := dspib.Config{
		SPIB:          spib.Config{Lag: r.sizes.Lag, MaxEpochs: r.sizes.SPIBMaxEpochs, Refinements: r.sizes.SPIBRefinements},
		Prior:         diffusion.Config{Exponent: r.sizes.Exponent, Embedding: r.sizes.Embedding},
		MaxEpochs:     r.sizes.Phase2Epochs,
		Checkpoint:    ckpt,
		Progress:      r.log,
		ProgressEvery: 15 * time.Second,
	}
	s := stream.Seed(r.seed, "dspib/"+e.Name, 0)
	fmt.Fprintf(r.log, "[seed %d] %s: training SPIB (phase 1) then D-SPIB (phase 2) on kT %v (%d frames, lag %d)\n",
		r.seed, e.Name, e.Train, len(x.frameTemp), r.sizes.Lag)
	res, err := dspib.Fit(ctx, trajs, cfg, rand.NewPCG(s, s^0x9e3779b97f4a7c15))
	if err != nil {
		return fmt.Errorf("%s: %w", e.Name, err)
	}
	x.phase1, x.dspib, x.hist1, x.hist2, x.stopped = res.Phase1, res.Model, res.Phase1History, res.History, res.Stopped
	x.trainFrames, x.valFrames = pairSources(res.Data, res.Data.Train), pairSources(res.Data, res.Data.Val)
	if err := res.Phase1.Save(p1Dir); err != nil {
		return err
	}
	if err := res.Model.Save(p2Dir); err != nil {
		return err
	}
	if err := traj.WriteJSON(histPath, models{res.Phase1History, res.History, res.Stopped, res.Converged}); err != nil {
		return err
	}
	if err := traj.WriteNPYInts(trainPath, x.trainFrames); err != nil {
		return err
	}
	if err := traj.WriteNPYInts(valPath, x.valFrames); err != nil {
		return err
	}
	if err := writeMarker(marker, key); err != nil {
		return err
	}
	r.timed(e.Name+"/spib+dspib", false, start)
	return ctx.Err()
}

// keepCheckpoint prepares the training checkpoint ckpt of a stage: it is
// resumed only if it was written with the same settings (its key file
// matches key); otherwise it is stale and removed, and the key written.
func (r *seedRun) keepCheckpoint(ckpt string, key stageKey, what string) error {
	ckptKey := ckpt + ".key.json"
	if !reusable(ckptKey, key) {
		os.Remove(ckpt)
		return writeMarker(ckptKey, key)
	}
	if _, err := os.Stat(ckpt); err == nil {
		fmt.Fprintf(r.log, "reuse: resuming %s from checkpoint %s\n", what, ckpt)
	}
	return nil
}

// pairSources returns the sorted source frames x_t of the pairs listed.
func pairSources(d *spib.Data, pairs []int) []int {
	out := make([]int, len(pairs))
	for i, p := range pairs {
		out[i] = d.Src[p]
	}
	sort.Ints(out)
	return out
}

// trainPrior fits (or reloads) the post-hoc diffusion prior on the frozen
// phase-1 SPIB latents of the training split: an ablation of D-SPIB (same
// prior network and schedule, but the encoder is not trained jointly). It
// trains for as many epochs as D-SPIB's phase 2 actually ran (not its cap),
// so that both diffusion priors get the same budget of optimiser steps.
func (r *seedRun) trainPrior(ctx context.Context, x *expRun) (*diffusion.Prior, []float64, error) {
	e := x.e
	path := filepath.Join(x.dir, "posthoc_prior.ckpt")
	lossPath := filepath.Join(x.dir, "posthoc_prior_losses.json")
	marker := filepath.Join(x.dir, "posthoc_prior.done.json")
	nEpochs := max(len(x.hist2), 1)
	key := r.key(e, fmt.Sprintf("posthoc-prior/%d-epochs", nEpochs))
	start := time.Now()
	if reusable(marker, key) {
		p, err1 := diffusion.Load(path)
		var losses []float64
		err2 := readJSON(lossPath, &losses)
		if err1 == nil && err2 == nil {
			fmt.Fprintf(r.log, "reuse: %s post-hoc diffusion prior %s (settings match)\n", e.Name, path)
			r.timed(e.Name+"/posthoc-prior", true, start)
			return p, losses, nil
		}
	}
	d := r.d
	var feat, temps []float64
	for _, f := range x.trainFrames {
		feat = append(feat, x.feat[f*d:(f+1)*d]...)
		temps = append(temps, x.frameTemp[f])
	}
	samples, _, err := x.phase1.SPIB.Encode(feat, runtime.GOMAXPROCS(0))
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(r.log, "[seed %d] %s: training the post-hoc diffusion prior on %d frozen SPIB latents, %d epochs\n",
		r.seed, e.Name, len(temps), nEpochs)
	// The training checkpoint (every epoch) lets an interrupted run resume
	// this stage bit for bit.
	ckpt := filepath.Join(x.dir, "posthoc_prior.train.ckpt")
	if err := r.keepCheckpoint(ckpt, key, "the post-hoc prior"); err != nil {
		return nil, nil, err
	}
	cfg := diffusion.TrainConfig{
		Prior:      diffusion.Config{Exponent: r.sizes.Exponent, Embedding: r.sizes.Embedding},
		Epochs:     nEpochs,
		Checkpoint: ckpt,
		Progress:   r.log,
	}
	p, losses, err := diffusion.TrainContext(ctx, samples, temps, cfg, stream.Source(r.seed, "prior/"+e.Name, 0))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: diffusion prior: %w", e.Name, err)
	}
	if err := p.Save(path); err != nil {
		return nil, nil, err
	}
	if err := traj.WriteJSON(lossPath, losses); err != nil {
		return nil, nil, err
	}
	if err := writeMarker(marker, key); err != nil {
		return nil, nil, err
	}
	r.timed(e.Name+"/posthoc-prior", false, start)
	return p, losses, ctx.Err()
}

// valFeatures returns, per training temperature, the original features of the
// validation frames x_t, in frame order.
func valFeatures(x *expRun, d int) map[float64][]float64 {
	out := map[float64][]float64{}
	for _, f := range x.valFrames {
		t := x.frameTemp[f]
		out[t] = append(out[t], x.feat[f*d:(f+1)*d]...)
	}
	return out
}

func epochs(n int) []float64 {
	ep := make([]float64, n)
	for i := range ep {
		ep[i] = float64(i + 1)
	}
	return ep
}

// buildMethods trains the models of experiment x and lists the methods.
func (r *seedRun) buildMethods(ctx context.Context, x *expRun) error {
	if err := r.trainModels(ctx, x); err != nil {
		return err
	}
	if d := x.phase1.SPIB.LatentDim(); d != 2 {
		return fmt.Errorf("%s: latent dimension %d, the benchmark compares 2-D latents", x.e.Name, d)
	}
	enc1 := learn.SPIB{M: x.phase1.SPIB}
	var ep, tr, te []float64
	for _, h := range x.hist1 {
		ep = append(ep, float64(h.TotalEpoch))
		tr = append(tr, h.TrainLoss)
		te = append(te, h.TestLoss)
	}
	x.methods = append(x.methods, &Method{Name: "SPIB (VampPrior)", Key: "spib", EncKey: "spib", Enc: enc1,
		Gen: learn.VampPrior{M: x.phase1}, Curves: []plots.Curve{{Label: "SPIB train", X: ep, Y: tr}, {Label: "SPIB test", X: ep, Y: te, Dashed: true}}})

	var ce, diff, tdiff []float64
	for _, h := range x.hist2 {
		ce = append(ce, h.TrainCE)
		diff = append(diff, h.TrainDiff)
		tdiff = append(tdiff, h.TestDiff)
	}
	ep2 := epochs(len(x.hist2))
	x.methods = append(x.methods, &Method{Name: "D-SPIB", Key: "dspib", EncKey: "dspib", Enc: learn.SPIB{M: x.dspib.SPIB},
		Gen: learn.Diffusion{P: x.dspib.Prior}, TempAware: true, Curves: []plots.Curve{
			{Label: "D-SPIB CE (train)", X: ep2, Y: ce}, {Label: "D-SPIB diffusion (train)", X: ep2, Y: diff},
			{Label: "D-SPIB diffusion (test)", X: ep2, Y: tdiff, Dashed: true}}})

	prior, losses, err := r.trainPrior(ctx, x)
	if err != nil {
		return err
	}
	x.methods = append(x.methods, &Method{Name: "SPIB + post-hoc diffusion (frozen encoder)", Key: "posthoc", EncKey: "spib", Enc: enc1,
		Gen: learn.Diffusion{P: prior}, TempAware: true, Curves: []plots.Curve{{Label: "post-hoc diffusion (frozen SPIB)", X: epochs(len(losses)), Y: losses}}})
	x.info["spib_states"] = x.phase1.SPIB.K
	x.info["spib_epochs"] = len(x.hist1)
	x.info["dspib_epochs"] = len(x.hist2)
	x.info["dspib_stopped"] = x.stopped
	return nil
}

// initialLabels sets the initial labels of trajs (the training
// trajectories of e, in e.Train order) with the one k-means function,
// spib.KMeansLabelsFrom, on the label features of all training frames,
// standardised as the run folder records (LJ7: (μ2, μ3)).
func (r *seedRun) initialLabels(e *Experiment, trajs []spib.Trajectory, rng *rand.Rand) error {
	lf := spib.LabelFeatures{Dim: r.kmDim, Standardize: r.kmStd}
	nkm := 0
	for _, t := range e.Train {
		lf.Points = append(lf.Points, r.trainKM[t])
		nkm += len(r.trainKM[t]) / r.kmDim
	}
	k := min(r.sizes.KMeansK, nkm)
	fmt.Fprintf(r.log, "[seed %d] %s: k-means, %d clusters on %d frames\n", r.seed, e.Name, k, nkm)
	if err := spib.KMeansLabelsFrom(trajs, lf, k, rng); err != nil {
		return fmt.Errorf("%s: k-means: %w", e.Name, err)
	}
	return nil
}
