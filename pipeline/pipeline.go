// Package pipeline is the one training stage that `dspib train` and the
// benchmark programs call: initial labels by k-means (spib.KMeansLabelsFrom)
// → SPIB (phase 1) → D-SPIB (phase 2, dspib.Fit) → optionally the post-hoc
// diffusion prior on the frozen phase-1 latents (an ablation of D-SPIB), with
// every random stream derived from one seed by internal/stream and a name,
// and the model folder written in one layout that `dspib generate`,
// `dspib evaluate` and `dspib encode` read.
//
// It lives above learn/ (it composes learn/spib, learn/dspib,
// learn/diffusion and the run store md/runstore) rather than inside
// learn/dspib, which stays a pure learner without files, run folders or
// seeds-by-name; the CLI and the benchmarks are then flag parsing plus this
// call, so the same seed and settings give the same bits through either
// (tested by benchmarks/lj7's CLI test).
//
// The model folder (Train's dir):
//
//	model.json, spib.ckpt(.json), prior.ckpt  the model (D-SPIB; SPIB with SPIBOnly)
//	phase1/                 D-SPIB only: the phase-1 SPIB model (VampPrior baseline)
//	posthoc/prior.ckpt      with PostHoc: the post-hoc diffusion prior on phase-1 latents
//	posthoc/losses.npy      its mean loss per epoch
//	initial_labels.npy      the initial label of every frame (int64)
//	losses_spib.npy         per SPIB epoch: total epoch, round, train loss, CE, KL, test loss, CE, KL
//	losses_dspib.npy        per D-SPIB epoch: epoch, train loss, CE, log q, diffusion, test loss, CE, log q, diffusion
//	split_train_frames.npy  the source frames x_t of the training pairs (inputs concatenated in order)
//	split_val_frames.npy    the same for the validation pairs
//	validation_kT<T>.npy    the features of the validation frames at each training kT (frame order):
//	                        the held-out reference of `dspib evaluate -validation`
//	histories.json          both phases' per-epoch statistics, how training stopped
//	pipeline.json           the settings, seed and input fingerprint of a finished Train
//	manifest.json           SHA-256 of every file (internal/manifest), written last; the CLI checks it
//	fit.ckpt, posthoc/train.ckpt  training checkpoints (an interrupted Train resumes from them)
package pipeline

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dspib/dspib/internal/atomicfile"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/dspib/dspib/internal/manifest"
	"github.com/dspib/dspib/internal/stream"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/dspib"
	"github.com/dspib/dspib/learn/monitor"
	"github.com/dspib/dspib/learn/spib"
	"github.com/dspib/dspib/md/runstore"
	"github.com/dspib/dspib/md/traj"
)

// Files of the model folder.
const (
	Phase1Dir         = "phase1"
	PostHocDir        = "posthoc"
	PostHocPrior      = "posthoc/prior.ckpt"
	PostHocLosses     = "posthoc/losses.npy"
	FitCheckpoint     = "fit.ckpt"
	TrainFrames       = "split_train_frames.npy"
	ValFrames         = "split_val_frames.npy"
	InitialLabels     = "initial_labels.npy"
	Histories         = "histories.json"
	Marker            = "pipeline.json"
	LossesSPIB        = "losses_spib.npy"
	LossesDSPIB       = "losses_dspib.npy"
	validationStem    = "validation"
	checkpointKey     = "checkpoints.key.json"
	postHocCheckpoint = "posthoc/train.ckpt"
)

// ValidationFile is the name of the validation features at kT in a model folder.
func ValidationFile(kT float64) string { return validationStem + "_" + traj.TempTag(kT) + ".npy" }

// Input is one trajectory at one temperature.
type Input struct {
	// KT is the temperature [ε]; Source where the frames came from (for
	// summaries).
	KT     float64 `json:"kT"`
	Source string  `json:"file"`
	// Features holds Frames × D model input features, row-major.
	Features []float64 `json:"-"`
	Frames   int       `json:"frames"`
	D        int       `json:"-"`
	// LabelX holds Frames × LabelDim k-means coordinates (e.g. LJ7 (μ2,
	// μ3)); Labels, if not nil, are the user's initial labels instead (no
	// k-means).
	LabelX   []float64 `json:"-"`
	LabelDim int       `json:"-"`
	Labels   []int     `json:"-"`
	// Energies holds the potential energy U [ε] of every frame (the
	// reweighting baselines of package evaluate), or nil if the run folder
	// records none.
	Energies []float64 `json:"-"`
}

// EnergiesAt returns the energies of the inputs at the temperatures ts,
// for evaluate.Comparison.Energies, or nil and the first temperature
// without energies (or without an input).
func EnergiesAt(ins []Input, ts []float64) (map[float64][]float64, float64) {
	out := map[float64][]float64{}
	for _, in := range ins {
		if in.Energies != nil {
			out[in.KT] = in.Energies
		}
	}
	for _, t := range ts {
		if out[t] == nil {
			return nil, t
		}
	}
	return out, 0
}

// LoadRun reads every temperature of a run folder (md/runstore) as inputs:
// model features, k-means label features and (if recorded) potential
// energies, the first burnIn frames dropped. It also returns whether the label features are to be
// standardised (the run's label description says so: LJ7 (μ2, μ3)).
func LoadRun(dir string, burnIn int) ([]Input, *runstore.Run, error) {
	run, err := runstore.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	var ins []Input
	for _, kT := range run.Temperatures() {
		f, rows, d, err := run.Features(kT)
		if err != nil {
			return nil, nil, err
		}
		l, _, ld, err := run.LabelFeatures(kT)
		if err != nil {
			return nil, nil, err
		}
		if rows <= burnIn {
			return nil, nil, fmt.Errorf("%s: %d frames at kT %v, not more than the burn-in %d", dir, rows, kT, burnIn)
		}
		stem := "features"
		if _, ok := run.Meta.Files["features_"+traj.TempTag(kT)]; !ok {
			stem = "traj"
		}
		src, _ := run.FilePath(stem, kT)
		var u []float64
		if _, ok := run.Meta.Files["energy_"+traj.TempTag(kT)]; ok {
			if u, err = run.Energies(kT); err != nil {
				return nil, nil, err
			}
			u = u[burnIn:]
		}
		ins = append(ins, Input{KT: kT, Source: src, Features: f[burnIn*d:], Frames: rows - burnIn, D: d,
			LabelX: l[burnIn*ld:], LabelDim: ld, Energies: u})
	}
	return ins, run, nil
}

// Config is the training stage's settings.
type Config struct {
	// Name names the streams: k-means "kmeans/"+Name, the fit
	// "dspib/"+Name, the post-hoc prior "prior/"+Name (internal/stream).
	Name string
	// Fit configures SPIB and D-SPIB (zero fields: defaults). Its
	// Checkpoint is set by Train (dir/fit.ckpt).
	Fit dspib.Config
	// SPIBOnly trains phase 1 only: the model is SPIB with its VampPrior.
	SPIBOnly bool
	// K is the number of initial k-means clusters (capped by the frames);
	// Standardize standardises the k-means coordinates per column.
	K           int
	Standardize bool
	// PostHoc also trains the post-hoc diffusion prior on the frozen
	// phase-1 latents of the training split, for as many epochs as phase 2
	// ran (the same budget of optimiser steps), with Fit.Prior's settings
	// and phase 2's weight average (Fit.EMA()), so that the ablation
	// differs from D-SPIB only in the frozen encoder.
	PostHoc bool
	// Reuse loads a finished Train from dir instead of training when its
	// pipeline.json records the same settings, seed and inputs.
	Reuse bool
	// Log receives one-line notes (stage starts, reuse); Progress the
	// learners' progress lines. Either may be nil.
	Log, Progress io.Writer
	// Outputs, when not nil, writes the caller's own files into the
	// finished model folder (dspib train: latents, labels, summary.json)
	// before pipeline.json and the manifest, which then covers them.
	Outputs func(*Result) error
}

// Result is a trained (or reloaded) model folder.
type Result struct {
	// Model is D-SPIB (SPIB with SPIBOnly); Phase1 the phase-1 SPIB model
	// (Model itself with SPIBOnly).
	Model, Phase1 *dspib.Model
	Phase1History []spib.EpochStats
	History       []dspib.EpochStats
	Stopped       string
	Converged     bool
	// TrainFrames and ValFrames are the sorted source frames of the
	// training and validation pairs (inputs concatenated in order).
	TrainFrames, ValFrames []int
	// PostHoc and PostHocLosses are the post-hoc prior and its per-epoch
	// losses (nil without Config.PostHoc).
	PostHoc       *diffusion.Prior
	PostHocLosses []float64
	// Reused says the folder was loaded, not trained; then the fields
	// below are nil.
	Reused bool
	// Fit is the D-SPIB result (nil with SPIBOnly); SPIB the phase-1-only
	// result (nil without SPIBOnly).
	Fit  *dspib.Result
	SPIB *spib.Result
	// InitialLabels is the initial label of every frame.
	InitialLabels []int
	// Data is the lagged-pair data set of the fit.
	Data *spib.Data
}

// histories is histories.json.
type histories struct {
	Phase1History []spib.EpochStats  `json:"phase1_history"`
	History       []dspib.EpochStats `json:"phase2_history"`
	Stopped       string             `json:"stopped"`
	Converged     bool               `json:"converged"`
}

// key is pipeline.json: everything that changes a Train's result.
type key struct {
	Name        string          `json:"name"`
	Seed        uint64          `json:"seed"`
	SPIB        json.RawMessage `json:"spib"`
	Prior       diffusion.Config
	Lambda      float64
	LR, LRDecay float64
	MaxEpochs   int
	Tolerance   float64
	Patience    int
	SPIBOnly    bool     `json:"spib_only"`
	K           int      `json:"k"`
	Standardize bool     `json:"standardize"`
	PostHoc     bool     `json:"posthoc"`
	Inputs      []string `json:"inputs"`
	// Generator holds dspib.Config's generator settings (EMA, encoder
	// drift, stopping rule, minimum length) when any is set; absent
	// otherwise, so that a folder trained without them is still reused.
	Generator *dspib.GeneratorKey `json:"generator,omitempty"`
}

func makeKey(ins []Input, cfg *Config, seed uint64) ([]byte, error) {
	s := cfg.Fit.SPIB
	s.Workers = 0
	sj, err := spib.MarshalConfig(s)
	if err != nil {
		return nil, err
	}
	f := cfg.Fit
	k := key{Name: cfg.Name, Seed: seed, SPIB: sj, Prior: f.Prior, Lambda: f.Lambda, LR: f.LearningRate, LRDecay: f.LRDecay,
		MaxEpochs: f.MaxEpochs, Tolerance: f.Tolerance, Patience: f.Patience, SPIBOnly: cfg.SPIBOnly,
		K: cfg.K, Standardize: cfg.Standardize, PostHoc: cfg.PostHoc}
	if g := f.GeneratorKey(); g != (dspib.GeneratorKey{}) {
		k.Generator = &g
	}
	for _, in := range ins {
		h := fnv.New64a()
		var b [8]byte
		for _, xs := range [][]float64{in.Features, in.LabelX} {
			for _, v := range xs {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
				h.Write(b[:])
			}
		}
		for _, l := range in.Labels {
			binary.LittleEndian.PutUint64(b[:], uint64(l))
			h.Write(b[:])
		}
		k.Inputs = append(k.Inputs, fmt.Sprintf("kT %v: %d×%d frames, labels %d, fnv64a %016x", in.KT, in.Frames, in.D, in.LabelDim, h.Sum64()))
	}
	b, err := json.MarshalIndent(k, "", "  ")
	return append(b, '\n'), err
}

// Key returns what identifies a Train of ins with cfg and seed (the content
// of pipeline.json): two calls with the same key give the same bits.
func Key(ins []Input, cfg Config, seed uint64) ([]byte, error) { return makeKey(ins, &cfg, seed) }

// check validates the inputs, naming the first problem.
func check(ins []Input) error {
	if len(ins) == 0 {
		return errors.New("pipeline: no input trajectories")
	}
	for i, in := range ins {
		switch {
		case in.Frames < 2:
			return fmt.Errorf("pipeline: %s: %d frames, need at least 2", in.Source, in.Frames)
		case in.D != ins[0].D || len(in.Features) != in.Frames*in.D:
			return fmt.Errorf("pipeline: %s: %d feature values for %d frames of %d features (input 0 has %d)", in.Source, len(in.Features), in.Frames, in.D, ins[0].D)
		case (in.Labels == nil) != (ins[0].Labels == nil):
			return fmt.Errorf("pipeline: input %d (%s): give initial labels for every input or for none", i, in.Source)
		case in.Labels != nil && len(in.Labels) != in.Frames:
			return fmt.Errorf("pipeline: %s: %d initial labels for %d frames", in.Source, len(in.Labels), in.Frames)
		case in.Labels == nil && (in.LabelDim != ins[0].LabelDim || in.LabelDim < 1 || len(in.LabelX) != in.Frames*in.LabelDim):
			return fmt.Errorf("pipeline: %s: %d k-means values for %d frames of %d coordinates (input 0 has %d)", in.Source, len(in.LabelX), in.Frames, in.LabelDim, ins[0].LabelDim)
		}
	}
	return nil
}

// Train runs the training stage on ins (in order) with the streams of seed
// and cfg.Name, writes the model folder dir (see the package doc) and
// returns its models. The same inputs, settings and seed give the same
// bits, whoever calls it; an interrupted Train resumes from its
// checkpoints.
func Train(ctx context.Context, ins []Input, cfg Config, seed uint64, dir string) (*Result, error) {
	if err := check(ins); err != nil {
		return nil, err
	}
	if cfg.K < 2 && ins[0].Labels == nil {
		return nil, fmt.Errorf("pipeline: Config.K = %d k-means clusters, want ≥ 2", cfg.K)
	}
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	path := func(name string) string { return filepath.Join(dir, name) }
	k, err := makeKey(ins, &cfg, seed)
	if err != nil {
		return nil, err
	}
	if cfg.Reuse {
		if b, err := os.ReadFile(path(Marker)); err == nil && string(b) == string(k) {
			if res, err := Load(dir); err == nil {
				fmt.Fprintf(log, "reuse: %s: trained models in %s (settings match)\n", cfg.Name, dir)
				return res, nil
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	os.Remove(path(Marker))
	// No manifest describes the folder while it changes; a new one is
	// written last.
	if err := os.Remove(path(manifest.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if cfg.Reuse {
		// Checkpoints written with other settings are stale: Fit would
		// refuse them, so they are removed and the new settings recorded.
		if b, err := os.ReadFile(path(checkpointKey)); err != nil || string(b) != string(k) {
			os.Remove(path(FitCheckpoint))
			os.Remove(path(postHocCheckpoint))
		} else if _, err := os.Stat(path(FitCheckpoint)); err == nil {
			fmt.Fprintf(log, "reuse: %s: resuming from the checkpoints in %s\n", cfg.Name, dir)
		}
		if err := atomicfile.Write(path(checkpointKey), func(w io.Writer) error { _, err := w.Write(k); return err }); err != nil {
			return nil, err
		}
	}
	trajs := make([]spib.Trajectory, len(ins))
	lf := spib.LabelFeatures{Dim: ins[0].LabelDim, Standardize: cfg.Standardize}
	nf := 0
	for i, in := range ins {
		tr := &trajs[i]
		tr.KT, tr.Labels = in.KT, slices.Clone(in.Labels)
		tr.Features = make([][]float64, in.Frames)
		for r := range in.Frames {
			tr.Features[r] = in.Features[r*in.D : (r+1)*in.D]
		}
		lf.Points = append(lf.Points, in.LabelX)
		nf += in.Frames
	}
	if ins[0].Labels == nil {
		kk := min(cfg.K, nf)
		fmt.Fprintf(log, "[seed %d] %s: k-means, %d clusters on %d frames\n", seed, cfg.Name, kk, nf)
		if err := spib.KMeansLabelsFrom(trajs, lf, kk, stream.Rand(seed, "kmeans/"+cfg.Name, 0)); err != nil {
			return nil, fmt.Errorf("pipeline: %s: k-means (K %d): %w", cfg.Name, kk, err)
		}
	}
	res := &Result{}
	for _, tr := range trajs {
		res.InitialLabels = append(res.InitialLabels, tr.Labels...)
	}
	if err := traj.WriteNPYInts(path(InitialLabels), res.InitialLabels); err != nil {
		return nil, err
	}
	fc := cfg.Fit
	fc.Checkpoint = path(FitCheckpoint)
	fc.Observers = withProgress(fc.Observers, cfg.Progress)
	s := stream.Seed(seed, "dspib/"+cfg.Name, 0)
	src := rand.NewPCG(s, s^0x9e3779b97f4a7c15)
	temps := make([]float64, len(ins))
	for i, in := range ins {
		temps[i] = in.KT
	}
	if cfg.SPIBOnly {
		fmt.Fprintf(log, "[seed %d] %s: training SPIB on kT %v (%d frames)\n", seed, cfg.Name, temps, nf)
		sc := fc.SPIB
		sc.Observers = append(slices.Clip(sc.Observers), fc.Observers...)
		sc.Checkpoint = fc.Checkpoint
		r, err := spib.TrainContext(ctx, trajs, sc, src, spib.RunOptions{})
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil, fmt.Errorf("%w (the checkpoint %s keeps the last finished epoch; training again resumes from it)", err, fc.Checkpoint)
			}
			return nil, fmt.Errorf("%s: %w", cfg.Name, err)
		}
		m := &dspib.Model{SPIB: r.Model}
		res.SPIB, res.Model, res.Phase1, res.Data = r, m, m, r.Data
		res.Phase1History, res.Stopped = r.History, r.Stopped
	} else {
		fmt.Fprintf(log, "[seed %d] %s: training SPIB (phase 1) then D-SPIB (phase 2) on kT %v (%d frames)\n", seed, cfg.Name, temps, nf)
		r, err := dspib.Fit(ctx, trajs, fc, src)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil, fmt.Errorf("%w (the checkpoint %s keeps the last finished epoch; training again resumes from it)", err, fc.Checkpoint)
			}
			return nil, fmt.Errorf("%s: %w", cfg.Name, err)
		}
		res.Fit, res.Model, res.Phase1, res.Data = r, r.Model, r.Phase1, r.Data
		res.Phase1History, res.History, res.Stopped, res.Converged = r.Phase1History, r.History, r.Stopped, r.Converged
		if err := r.Phase1.Save(path(Phase1Dir)); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.TrainFrames, res.ValFrames = pairSources(res.Data, res.Data.Train), pairSources(res.Data, res.Data.Val)
	if err := res.Model.Save(dir); err != nil {
		return nil, err
	}
	if err := writeFrames(dir, ins, res); err != nil {
		return nil, err
	}
	if cfg.PostHoc {
		if err := trainPostHoc(ctx, ins, &cfg, seed, dir, res); err != nil {
			return nil, err
		}
	}
	if cfg.Outputs != nil {
		if err := cfg.Outputs(res); err != nil {
			return nil, err
		}
	}
	if err := atomicfile.Write(path(Marker), func(w io.Writer) error { _, err := w.Write(k); return err }); err != nil {
		return nil, err
	}
	if err := manifest.Write(dir); err != nil {
		return nil, err
	}
	return res, ctx.Err()
}

// writeFrames writes the histories, the split and the validation features.
func writeFrames(dir string, ins []Input, res *Result) error {
	path := func(name string) string { return filepath.Join(dir, name) }
	l1 := make([]float64, 0, len(res.Phase1History)*8)
	for _, h := range res.Phase1History {
		l1 = append(l1, float64(h.TotalEpoch), float64(h.Round), h.TrainLoss, h.TrainCE, h.TrainKL, h.TestLoss, h.TestCE, h.TestKL)
	}
	errs := []error{
		traj.WriteNPY(path(LossesSPIB), len(res.Phase1History), 8, l1),
		traj.WriteJSON(path(Histories), histories{res.Phase1History, res.History, res.Stopped, res.Converged}),
		traj.WriteNPYInts(path(TrainFrames), res.TrainFrames),
		traj.WriteNPYInts(path(ValFrames), res.ValFrames),
	}
	if res.Fit != nil {
		l2 := make([]float64, 0, len(res.History)*9)
		for _, h := range res.History {
			l2 = append(l2, float64(h.Epoch), h.TrainLoss, h.TrainCE, h.TrainLogQ, h.TrainDiff, h.TestLoss, h.TestCE, h.TestLogQ, h.TestDiff)
		}
		errs = append(errs, traj.WriteNPY(path(LossesDSPIB), len(res.History), 9, l2))
	}
	feat, _ := concat(ins)
	d := ins[0].D
	val := map[float64][]float64{}
	for _, f := range res.ValFrames {
		t := frameTemp(ins, f)
		val[t] = append(val[t], feat[f*d:(f+1)*d]...)
	}
	var written []float64
	for _, in := range ins {
		if slices.Contains(written, in.KT) {
			continue
		}
		written = append(written, in.KT)
		v := val[in.KT]
		errs = append(errs, traj.WriteNPY(path(ValidationFile(in.KT)), len(v)/d, d, v))
	}
	return errors.Join(errs...)
}

// concat returns the features of ins concatenated and each frame's kT.
func concat(ins []Input) (feat, kT []float64) {
	for _, in := range ins {
		feat = append(feat, in.Features...)
		for range in.Frames {
			kT = append(kT, in.KT)
		}
	}
	return feat, kT
}

// frameTemp returns the kT of frame f of the concatenated inputs.
func frameTemp(ins []Input, f int) float64 {
	for _, in := range ins {
		if f < in.Frames {
			return in.KT
		}
		f -= in.Frames
	}
	return math.NaN()
}

// pairSources returns the sorted source frames x_t of the pairs listed.
func pairSources(d *spib.Data, pairs []int) []int {
	out := make([]int, len(pairs))
	for i, p := range pairs {
		out[i] = d.Src[p]
	}
	slices.Sort(out)
	return out
}

// trainPostHoc fits the post-hoc diffusion prior on the frozen phase-1
// latents of the training split, for as many epochs as phase 2 ran.
func trainPostHoc(ctx context.Context, ins []Input, cfg *Config, seed uint64, dir string, res *Result) error {
	feat, kT := concat(ins)
	d := ins[0].D
	var x, tx []float64
	for _, f := range res.TrainFrames {
		x = append(x, feat[f*d:(f+1)*d]...)
		tx = append(tx, kT[f])
	}
	z, _, err := res.Phase1.SPIB.Encode(x, runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	n := max(len(res.History), 1)
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, "[seed %d] %s: training the post-hoc diffusion prior on %d frozen SPIB latents, %d epochs\n", seed, cfg.Name, len(tx), n)
	}
	if err := os.MkdirAll(filepath.Join(dir, PostHocDir), 0o755); err != nil {
		return err
	}
	tc := diffusion.TrainConfig{Prior: cfg.Fit.Prior, Epochs: n, Checkpoint: filepath.Join(dir, postHocCheckpoint),
		Observers: withProgress(nil, cfg.Progress), EMADecay: cfg.Fit.EMA()}
	p, losses, err := diffusion.TrainContext(ctx, z, tx, tc, stream.Source(seed, "prior/"+cfg.Name, 0))
	if err != nil {
		return fmt.Errorf("%s: post-hoc diffusion prior: %w", cfg.Name, err)
	}
	res.PostHoc, res.PostHocLosses = p, losses
	return errors.Join(p.Save(filepath.Join(dir, PostHocPrior)),
		traj.WriteNPY(filepath.Join(dir, PostHocLosses), len(losses), 1, losses))
}

// withProgress returns obs with a progress observer writing to w (lines at
// least 15 s apart) appended, or obs itself if w is nil.
func withProgress(obs []monitor.Observer, w io.Writer) []monitor.Observer {
	if w == nil {
		return obs
	}
	return append(slices.Clip(obs), &monitor.Progress{W: w, Interval: 15 * time.Second})
}

// Load reads a model folder written by Train (Reused set).
func Load(dir string) (*Result, error) {
	path := func(name string) string { return filepath.Join(dir, name) }
	res := &Result{Reused: true}
	var err error
	if res.Model, err = dspib.Load(dir); err != nil {
		return nil, err
	}
	res.Phase1 = res.Model
	if res.Model.Prior != nil {
		if res.Phase1, err = dspib.Load(path(Phase1Dir)); err != nil {
			return nil, err
		}
	}
	var h histories
	b, err1 := os.ReadFile(path(Histories))
	if err1 == nil {
		err1 = json.Unmarshal(b, &h)
	}
	res.Phase1History, res.History, res.Stopped, res.Converged = h.Phase1History, h.History, h.Stopped, h.Converged
	var err2, err3 error
	res.TrainFrames, err2 = traj.ReadNPYInts(path(TrainFrames))
	res.ValFrames, err3 = traj.ReadNPYInts(path(ValFrames))
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("%s: not a complete model folder of dspib train / pipeline.Train (train again): %w", dir, err)
	}
	if _, err := os.Stat(path(PostHocPrior)); err == nil {
		if res.PostHoc, err = diffusion.Load(path(PostHocPrior)); err != nil {
			return nil, err
		}
		if res.PostHocLosses, _, _, err = traj.ReadNPY(path(PostHocLosses)); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Validation returns the validation features (frames × D, frame order) that
// Train recorded in dir for each kT of temps: the held-out reference at a
// training temperature.
func Validation(dir string, temps []float64) (map[float64][]float64, error) {
	out := map[float64][]float64{}
	for _, t := range temps {
		x, _, _, err := traj.ReadNPY(filepath.Join(dir, ValidationFile(t)))
		if err != nil {
			return nil, fmt.Errorf("validation frames at the training kT %v: %w", t, err)
		}
		out[t] = x
	}
	return out, nil
}

// MDSeeds returns the per-temperature seeds of a run (runstore.Config.Seeds)
// named by tag: kT's replica uses stream.Seed(seed, tag, kT), independent of
// the other temperatures. The benchmarks' runs are tagged "md/train" and
// "md/ref"; `dspib simulate -seed-tag` uses the same derivation.
func MDSeeds(seed uint64, tag string, temps []float64) []uint64 {
	out := make([]uint64, len(temps))
	for i, kT := range temps {
		out[i] = stream.Seed(seed, tag, kT)
	}
	return out
}
