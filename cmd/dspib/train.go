package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/dspib/dspib/export/plumed"
	"github.com/dspib/dspib/systems"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dspib/dspib"
	"github.com/dspib/dspib/internal/atomicfile"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
	dsp "github.com/dspib/dspib/learn/dspib"
	"github.com/dspib/dspib/learn/spib"
	"github.com/dspib/dspib/md/traj"
	"github.com/dspib/dspib/pipeline"
)

func init() {
	register(command{name: "train", summary: "learn SPIB or D-SPIB from a simulate folder or .npy features; write model, latents, labels, losses", run: runTrain})
}

// Files written by train into the model folder (besides the model itself,
// see learn/dspib Model.Save).
const (
	trainSummary = "summary.json"
	plumedCV     = "spib_cv.plumed.dat" // -encoder linear on LJ7: the CV for PLUMED
)

// trainFlags are the raw flag values of train.
type trainFlags struct {
	in, features, temps, out, phase, labelCols, encoder, embedding string
	labelFeatures, labels, name                                    string
	burnIn                                                         int
	posthoc, force                                                 bool
	lag, epochs, k, refinements, batch, latentDim, replicas        int
	epochs1, epochs2, patience1, patience2                         int
	beta, lr, lambda, exponent, tol1, tol2                         float64
	seed                                                           uint64
	quiet                                                          bool
	// generator settings (phase 2 and sampling)
	ema, encoderLR, latentScale float64
	coupling                    string
	experts                     int
	freezeEncoder, unitStart    bool
	emaModel                    bool
	stop2, sampler, hidden      string
	sampleSteps, minSteps2      int
	polish2, corrector          int
	correctorSNR                float64
	inputFreqs                  int
	inputFMax                   float64
	stepSampling                string
	inputGated                  bool
}

func newTrainFlagSet(f *trainFlags, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.in, "in", "", "simulate folder to learn from (alternative to -features)")
	fs.StringVar(&f.features, "features", "", "comma-separated .npy files, frames × D features each (alternative to -in)")
	fs.StringVar(&f.temps, "temps", "", "with -features: comma-separated kT [ε], one per file")
	fs.StringVar(&f.out, "out", "", "model folder to write (required; created if missing)")
	fs.StringVar(&f.phase, "phase", "dspib", "spib (phase 1 only) or dspib (SPIB, then the diffusion prior)")
	fs.IntVar(&f.lag, "lag", 0, "time lag Δ [frames] (default 1)")
	fs.Float64Var(&f.beta, "beta", 0, "information-bottleneck weight β (default 1e-5; 0 is β = 0)")
	fs.IntVar(&f.epochs, "epochs", 0, "epoch cap of every SPIB round and of phase 2 (default 1000); -epochs1/-epochs2 override it")
	fs.IntVar(&f.epochs1, "epochs1", 0, "phase 1: epoch cap of every SPIB round (default -epochs)")
	fs.IntVar(&f.epochs2, "epochs2", 0, "phase 2: epoch cap (default -epochs)")
	fs.Float64Var(&f.tol1, "tol1", 0, "phase 1: relative loss change below which an epoch counts as no progress (default 1e-3)")
	fs.Float64Var(&f.tol2, "tol2", 0, "phase 2: the same for the cross-entropy and diffusion losses (default -tol1)")
	fs.IntVar(&f.patience1, "patience1", 0, "phase 1: a round converges after more than this many epochs without progress (default 5; 0 or -1: stop at the first epoch without progress)")
	fs.IntVar(&f.patience2, "patience2", 0, "phase 2: the same (default -patience1)")
	fs.IntVar(&f.minSteps2, "min-steps2", 0, "phase 2: optimiser steps before the convergence rule may stop it, rounded up to whole epochs; -epochs2 still caps it (default 0: none)")
	fs.IntVar(&f.polish2, "polish2", 0, "phase 2: epochs of the diffusion prior alone after the rule or -epochs2 has stopped it, encoder and decoder held fixed (default 0: none)")
	fs.StringVar(&f.labelFeatures, "label-features", "", "comma-separated .npy files, frames × K each, one per input: the k-means coordinates (e.g. LJ7 μ2, μ3), used as given")
	fs.StringVar(&f.labels, "labels", "", "comma-separated .npy files of integer initial labels, one per input (no k-means)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed (k-means, split, initialisation, batches, noise)")
	fs.IntVar(&f.k, "k", 100, "initial k-means clusters")
	fs.StringVar(&f.labelCols, "label-cols", "", "comma-separated feature columns (from 0) for k-means (default: LJ7 (μ2, μ3) from the moments files; otherwise every feature column)")
	fs.IntVar(&f.refinements, "refinements", 0, "SPIB label refinements (default 5; 0 or -1 for none)")
	fs.IntVar(&f.batch, "batch", 0, "batch size (default 512)")
	fs.Float64Var(&f.lr, "lr", 0, "Adam learning rate of both phases (default 1e-3)")
	fs.IntVar(&f.latentDim, "latent-dim", 0, "latent dimension d (default 2)")
	fs.StringVar(&f.encoder, "encoder", "nonlinear", "nonlinear or linear (z = W x + b; weights written to linear_weights.npy)")
	fs.Float64Var(&f.lambda, "lambda", 0, "phase 2: weight λ of the diffusion loss (default 1)")
	fs.Float64Var(&f.exponent, "exponent", 0, "phase 2: a in σ_T = (T/T_ref)^a (default 1; 0.5 as thermodynamic maps; 0: σ_T = 1 at every kT)")
	fs.StringVar(&f.embedding, "embedding", "smooth", "phase 2: temperature/step embedding, smooth or fourier (reference)")
	fs.IntVar(&f.replicas, "replicas", 0, "phase 2: diffusion replicas M per latent (default 16)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress on stderr")
	fs.BoolVar(&f.force, "force", false, "replace a model folder that holds another run (its outputs are removed first)")
	fs.StringVar(&f.name, "name", "model", "names the random streams with -seed (k-means \"kmeans/NAME\", fit \"dspib/NAME\", post-hoc prior \"prior/NAME\"); the benchmarks use the experiment's name")
	fs.IntVar(&f.burnIn, "burn-in", 0, "with -in: frames dropped at the start of every temperature")
	fs.Float64Var(&f.latentScale, "latent-scale", 0, "phase 2: the diffusion prior runs on z/c for this c (default 0: c = 1, the reference)")
	fs.StringVar(&f.coupling, "coupling", "embedded", "phase 2: how kT enters the noise network: embedded (the reference: an embedding of kT in every hidden layer), linear (ε = r^(2a−1)·[A(z,i) + (r−1)·B(z,i)], r = kT/kT_ref: each free energy linear in T; best with -exponent 0.5) or embedded+linear")
	fs.IntVar(&f.experts, "experts", 0, "phase 2, with -coupling linear or embedded+linear: K Boltzmann-weighted experts in the output head, weights softmax(S_k − E_k·kT_ref/kT) (default 1)")
	fs.Float64Var(&f.ema, "ema", 0, "phase 2: decay per optimiser step of an exponential moving average of the diffusion prior's weights, which the model samples with (e.g. 0.999; default 0: no average, the last weights)")
	fs.BoolVar(&f.emaModel, "ema-model", false, "phase 2: the -ema average covers the whole model (encoder, decoder and prior), not only the diffusion prior")
	fs.BoolVar(&f.freezeEncoder, "freeze-encoder", false, "phase 2: keep the phase-1 encoder fixed (train the diffusion prior and the decoder only)")
	fs.Float64Var(&f.encoderLR, "encoder-lr", 0, "phase 2: multiplier of the encoder's learning rate, in (0, 1] (default 1)")
	fs.StringVar(&f.stop2, "stop2", "train", "phase 2 convergence rule: train (training CE and diffusion loss stopped improving) or heldout (the test pairs' diffusion loss stopped improving, -tol2/-patience2)")
	fs.StringVar(&f.sampler, "sampler", "ancestral", "sampler the model generates with: ancestral (DDPM) or ode (probability-flow ODE, DPM-Solver++(2M))")
	fs.IntVar(&f.sampleSteps, "sample-steps", 0, "reverse steps of the sampler, ≤ the 100 diffusion steps (default: all; fewer: evenly respaced)")
	fs.StringVar(&f.hidden, "hidden", "", "phase 2: comma-separated hidden widths of the noise network (default 16,64,64,64,64,16; equal neighbours get identity residuals)")
	fs.StringVar(&f.stepSampling, "step-sampling", "uniform", "phase 2: the diffusion steps the prior trains on: uniform (L_simple, the reference) or elbo (weighted as in the variational bound: more of the low-noise steps)")
	fs.BoolVar(&f.inputGated, "input-gated", false, "with -input-frequencies: scale the features of a latent noised to step i by √ᾱ_i (full at low noise, almost none at high noise)")
	fs.IntVar(&f.inputFreqs, "input-frequencies", 0, "phase 2: sinusoidal features of each latent coordinate the noise network sees besides the latent (octaves f_max·2^−j, j < F; default 0: the latent alone, the reference)")
	fs.Float64Var(&f.inputFMax, "input-fmax", 0, "with -input-frequencies: the highest feature frequency f_max [cycles per latent unit] (default 2)")
	fs.IntVar(&f.corrector, "corrector", 0, "Langevin corrector steps per noise level of the ancestral sampler (predictor–corrector sampling, Song et al. 2021; default 0: none; each costs one more network evaluation per level)")
	fs.Float64Var(&f.correctorSNR, "corrector-snr", 0, "with -corrector: the signal-to-noise ratio r of the corrector's step size (default 0.16)")
	fs.BoolVar(&f.unitStart, "unit-start", false, "start the sampler from N(0, I) at every kT (the D-SPIB reference) instead of N(0, σ_T² I)")
	fs.BoolVar(&f.posthoc, "posthoc", false, "phase dspib: also train the post-hoc diffusion prior on the frozen phase-1 latents (posthoc/), as many epochs as phase 2 ran")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, `Usage: dspib train (-in SIMFOLDER | -features a.npy,b.npy -temps kT1,kT2) -out MODELDIR [flags]

Learns SPIB (-phase spib) or D-SPIB (-phase dspib: SPIB, then the encoder,
decoder and a temperature-conditioned diffusion prior trained jointly) from
trajectories at one or more temperatures. Initial labels are k-means
clusters (-k) of the -label-cols columns, of separate -label-features files,
or your own integer -labels. Writes to MODELDIR:

  model.json, spib.ckpt(.json), prior.ckpt   the model (dspib generate -model MODELDIR)
  phase1/                          D-SPIB only: the phase-1 SPIB model (VampPrior baseline)
  posthoc/            with -posthoc: the post-hoc diffusion prior on the phase-1 latents
  split_train_frames.npy, split_val_frames.npy  frames of the training / validation pairs
  validation_kT<T>.npy  the validation frames' features per kT (dspib evaluate -validation)
  histories.json, pipeline.json   per-epoch statistics; settings of the finished run
  latents.npy         frames × d z_mean of every input frame, inputs concatenated in order
  labels.npy          state label of every frame (int64)
  initial_labels.npy  the initial k-means label of every frame (int64)
  state_probs.npy     frames × K state probabilities
  populations.npy     K × 1 (weighted) state populations
  representatives.npy K × D representative inputs (original units)
  linear_weights.npy  -encoder linear: d × (D+1), W then b, z = W x + b in original units
  spib_cv.plumed.dat  -encoder linear on an LJ7 run folder: the CV as a PLUMED input fragment
                      (coordination numbers, SORT, the learned linear combination)
  losses_spib.npy     per SPIB epoch: total epoch, round, train loss, CE, KL, test loss, CE, KL
  losses_dspib.npy    per D-SPIB epoch: epoch, train loss, CE, log q, diffusion, test loss, CE, log q, diffusion
  summary.json        inputs with their frame ranges, settings, seed, states, final losses
  fit.ckpt            training checkpoint: re-running the same command resumes an interrupted run
                      (a folder of another run, other settings, data or -seed, is refused: -force replaces it)
  train.key.json      what run the folder belongs to (settings, seed, input fingerprints), written first
  manifest.json       SHA-256 of every file, written last; generate, encode, evaluate check it

Ctrl-C stops training before the next batch (SPIB) or after the current epoch
(D-SPIB phase 2); fit.ckpt keeps the last finished epoch (of either phase for
D-SPIB), and re-running the same command continues from it. A second Ctrl-C
kills the program.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(w, `
Example:
  dspib train -in runs/lj7 -out models/lj7 -seed 1
`)
	}
	return fs
}

// trainZeroRefusals are the train flags for which an explicit 0 is refused,
// with the reason. -epochs 0 is refused rather than read as "no training":
// a model folder without a trained model would only fail later (dspib
// encode maps data with an existing model).
var trainZeroRefusals = map[string]string{
	"lag":          "a time lag of 0 frames pairs every frame with itself; want ≥ 1",
	"batch":        "a batch of 0 pairs cannot be trained on; want ≥ 1",
	"latent-dim":   "a 0-dimensional latent space holds no information; want ≥ 1",
	"replicas":     "0 diffusion replicas per latent give no diffusion loss; want ≥ 1",
	"epochs":       "would train nothing; want ≥ 1 (dspib encode applies an existing model)",
	"epochs1":      "would train nothing in phase 1; want ≥ 1",
	"epochs2":      "would train nothing in phase 2; want ≥ 1 (or -phase spib)",
	"lr":           "Adam with learning rate 0 does not move; want > 0",
	"lambda":       "λ = 0 would leave the diffusion prior untrained; want > 0 (or -phase spib for no prior)",
	"tol1":         "the library requires a tolerance > 0; a tiny one such as 1e-12 counts every decrease as progress",
	"tol2":         "the library requires a tolerance > 0; a tiny one such as 1e-12 counts every decrease as progress",
	"encoder-lr":   "a learning rate of 0 does not move the encoder; use -freeze-encoder",
	"sample-steps": "a sampler of 0 steps draws nothing; want ≥ 1",
}

// trainConfig is a validated train invocation.
type trainConfig struct {
	flags     trainFlags
	dspib     bool
	cfg       dsp.Config // validated (for summary.json)
	raw       dsp.Config // as given (zero: defaults), passed to pipeline.Train
	labelCols []int
	labelDesc any  // what k-means ran on, for summary.json
	labelStd  bool // k-means on standardised label features
	// plumed is the PLUMED description of the input features when they
	// are ones PLUMED can compute (an LJ7 run folder: sorted coordination
	// numbers); nil otherwise.
	plumed *plumed.Coordination
}

// trainInput is one trajectory read from disk.
type trainInput struct {
	File     string  `json:"file"`
	KT       float64 `json:"kT"`
	Frames   int     `json:"frames"`
	First    int     `json:"first_frame"` // index of its first frame in latents.npy
	features []float64
	cols     int
	labelX   []float64 // frames × len(labelCols) k-means coordinates
	labels   []int     // -labels: the user's initial labels
}

func parseTrain(args []string, stderr io.Writer) (*trainConfig, error) {
	var f trainFlags
	fs := newTrainFlagSet(&f, stderr)
	set, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	// An explicit zero is honoured where it means something (β = 0, no
	// refinements, zero patience) and refused where it does not; it never
	// silently becomes the default.
	if err := refuseZeros(fs, set, trainZeroRefusals); err != nil {
		return nil, err
	}
	for _, name := range []string{"refinements", "patience1", "patience2"} {
		if explicitZero(fs, set, name) {
			fs.Lookup(name).Value.Set("-1") // the library's "explicitly none"
		}
	}
	tc := &trainConfig{flags: f}
	switch {
	case f.out == "":
		return nil, usagef("-out: required (the model folder)")
	case f.in == "" && f.features == "":
		return nil, usagef("-in or -features: one is required")
	case f.in != "" && f.features != "":
		return nil, usagef("-in and -features: give only one")
	case f.in != "" && f.temps != "":
		return nil, usagef("-temps: only with -features (a simulate folder knows its temperatures)")
	case f.k < 2:
		return nil, usagef("-k: must be ≥ 2, got %d", f.k)
	}
	switch f.phase {
	case "spib":
	case "dspib":
		tc.dspib = true
	default:
		return nil, usagef("-phase: %q, want spib or dspib", f.phase)
	}
	enc := spib.EncoderKind(f.encoder)
	if enc != spib.Nonlinear && enc != spib.Linear {
		return nil, usagef("-encoder: %q, want nonlinear or linear", f.encoder)
	}
	emb := diffusion.Smooth
	switch f.embedding {
	case "smooth":
	case "fourier":
		emb = diffusion.Fourier
	default:
		return nil, usagef("-embedding: %q, want smooth or fourier", f.embedding)
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"-lag", f.lag}, {"-epochs", f.epochs}, {"-epochs1", f.epochs1}, {"-epochs2", f.epochs2}, {"-batch", f.batch}, {"-latent-dim", f.latentDim}, {"-replicas", f.replicas}} {
		if c.v < 0 {
			return nil, usagef("%s: must be ≥ 1, got %d", c.name, c.v)
		}
	}
	for _, c := range []struct {
		name string
		v    float64
	}{{"-beta", f.beta}, {"-lr", f.lr}, {"-lambda", f.lambda}, {"-exponent", f.exponent}, {"-tol1", f.tol1}, {"-tol2", f.tol2}} {
		if c.v < 0 || math.IsNaN(c.v) || math.IsInf(c.v, 0) {
			return nil, usagef("%s: must be finite and ≥ 0, got %v", c.name, c.v)
		}
	}
	if f.labelCols != "" {
		for i, s := range strings.Split(f.labelCols, ",") {
			c, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || c < 0 {
				return nil, usagef("-label-cols: value %d %q is not a column index ≥ 0", i+1, s)
			}
			tc.labelCols = append(tc.labelCols, c)
		}
	}
	if f.labels != "" && (f.labelFeatures != "" || f.labelCols != "") {
		return nil, usagef("-labels: give either your own labels or k-means coordinates (-label-features, -label-cols), not both")
	}
	if f.labelFeatures != "" && f.labelCols != "" {
		return nil, usagef("-label-features and -label-cols: give only one")
	}
	or := func(v, dflt int) int {
		if v != 0 {
			return v
		}
		return dflt
	}
	tc.cfg = dsp.Config{
		SPIB: spib.Config{Lag: f.lag, LatentDim: f.latentDim, Encoder: enc, Beta: f.beta, LearningRate: f.lr,
			BatchSize: f.batch, Refinements: f.refinements, MaxEpochs: or(f.epochs1, f.epochs),
			Tolerance: f.tol1, Patience: f.patience1},
		Prior:     diffusion.Config{Exponent: f.exponent, Embedding: emb, Replicas: f.replicas},
		Lambda:    f.lambda,
		MaxEpochs: or(f.epochs2, f.epochs),
		Tolerance: f.tol2,
		Patience:  f.patience2,
	}
	if err := f.setGenerator(&tc.cfg); err != nil {
		return nil, err
	}
	if f.beta == 0 && set["beta"] {
		tc.cfg.SPIB.Beta = -1 // β = 0 asked for explicitly
	}
	if f.exponent == 0 && set["exponent"] {
		tc.cfg.Prior.Exponent = -1 // a = 0 asked for explicitly: σ_T = 1 at every kT
	}
	switch {
	case f.burnIn < 0:
		return nil, usagef("-burn-in: must be ≥ 0, got %d", f.burnIn)
	case f.burnIn > 0 && f.in == "":
		return nil, usagef("-burn-in: only with -in (a run folder)")
	case f.posthoc && !tc.dspib:
		return nil, usagef("-posthoc: only with -phase dspib")
	case f.name == "":
		return nil, usagef("-name: empty")
	}
	tc.raw = tc.cfg
	if tc.cfg, err = tc.cfg.Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	return tc, nil
}

// parseTrainTemps parses a comma-separated list of kT (see parseKTList;
// repeats allowed: several files may share a temperature).
func parseTrainTemps(flagName, s string) ([]float64, error) { return parseKTList(flagName, s, false) }

// loadTrainInputs reads the trajectories and the k-means coordinates.
func (tc *trainConfig) loadTrainInputs() ([]trainInput, error) {
	f := tc.flags
	var ins []trainInput
	if f.in != "" {
		pins, run, err := pipeline.LoadRun(f.in, f.burnIn)
		if err != nil {
			return nil, err
		}
		if sys, ok := run.System(); ok && sys == systems.LJ7 {
			c := plumed.LJ7
			tc.plumed = &c
		}
		for _, p := range pins {
			in := trainInput{File: p.Source, KT: p.KT, Frames: p.Frames, features: p.Features, cols: p.D}
			if tc.labelCols == nil && f.labelFeatures == "" && f.labels == "" {
				// The run's k-means label features (LJ7: (μ2, μ3)).
				in.labelX = p.LabelX
				tc.labelDesc = run.Labels.String()
				tc.labelStd = run.Labels.Standardize
			}
			ins = append(ins, in)
		}
	} else {
		files := strings.Split(f.features, ",")
		if f.temps == "" {
			return nil, usagef("-temps: required with -features (one kT per file)")
		}
		temps, err := parseTrainTemps("-temps", f.temps)
		if err != nil {
			return nil, err
		}
		if len(temps) != len(files) {
			return nil, usagef("-temps: %d values for %d -features files", len(temps), len(files))
		}
		for i, name := range files {
			data, rows, cols, err := traj.ReadNPY(name)
			if err != nil {
				return nil, err
			}
			ins = append(ins, trainInput{File: name, KT: temps[i], Frames: rows, features: data, cols: cols})
		}
	}
	if err := tc.loadLabelFiles(ins); err != nil {
		return nil, err
	}
	first := 0
	for i := range ins {
		in := &ins[i]
		if in.cols != ins[0].cols {
			return nil, fmt.Errorf("%s: %d feature columns, %s has %d", in.File, in.cols, ins[0].File, ins[0].cols)
		}
		if in.Frames < 2 {
			return nil, fmt.Errorf("%s: %d frames, need at least 2", in.File, in.Frames)
		}
		if err := checkFinite(in.File, in.features, in.cols); err != nil {
			return nil, err
		}
		in.First = first
		first += in.Frames
		if in.labelX != nil || in.labels != nil {
			continue
		}
		cols := tc.labelCols
		if cols == nil {
			in.labelX = in.features
			tc.labelDesc = "all feature columns"
			continue
		}
		tc.labelDesc = cols
		in.labelX = make([]float64, 0, in.Frames*len(cols))
		for r := range in.Frames {
			for _, c := range cols {
				if c >= in.cols {
					return nil, usagef("-label-cols: column %d, but %s has %d columns", c, in.File, in.cols)
				}
				in.labelX = append(in.labelX, in.features[r*in.cols+c])
			}
		}
	}
	return ins, nil
}

// checkFinite reports the first NaN or ±Inf in data (frames × cols values
// read from file), naming the file, frame and column, so that bad input is
// caught where it came from rather than deep in k-means or training.
func checkFinite(file string, data []float64, cols int) error {
	for i, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: frame %d (0-based), column %d is %v; the features must be finite", file, i/cols, i%cols, v)
		}
	}
	return nil
}

// loadLabelFiles reads -label-features (k-means coordinates) or -labels
// (integer initial labels), one file per input, each with one row per frame.
func (tc *trainConfig) loadLabelFiles(ins []trainInput) error {
	f := tc.flags
	var flagName, list string
	switch {
	case f.labelFeatures != "":
		flagName, list = "-label-features", f.labelFeatures
	case f.labels != "":
		flagName, list = "-labels", f.labels
	default:
		return nil
	}
	files := strings.Split(list, ",")
	if len(files) != len(ins) {
		return usagef("%s: %d files for %d inputs (one per input, in the same order)", flagName, len(files), len(ins))
	}
	for i, name := range files {
		name = strings.TrimSpace(name)
		in := &ins[i]
		if f.labels != "" {
			l, err := traj.ReadNPYInts(name)
			if err != nil {
				return err
			}
			if len(l) != in.Frames {
				return fmt.Errorf("%s: %d labels, but %s has %d frames", name, len(l), in.File, in.Frames)
			}
			for j, v := range l {
				if v < 0 {
					return fmt.Errorf("%s: label %d of frame %d, want ≥ 0", name, v, j)
				}
			}
			in.labels = l
			tc.labelDesc = "user labels (" + flagName + ")"
			continue
		}
		data, rows, _, err := traj.ReadNPY(name)
		if err != nil {
			return err
		}
		if rows != in.Frames {
			return fmt.Errorf("%s: %d rows, but %s has %d frames", name, rows, in.File, in.Frames)
		}
		if err := checkFinite(name, data, max(len(data)/max(rows, 1), 1)); err != nil {
			return err
		}
		in.labelX = data
		tc.labelDesc = "k-means on " + flagName
	}
	return nil
}

// trainSummaryJSON is summary.json.
type trainSummaryJSON struct {
	Version     string            `json:"version"`
	Phase       string            `json:"phase"`
	Seed        uint64            `json:"seed"`
	Name        string            `json:"name"`
	BurnIn      int               `json:"burn_in"`
	Inputs      []trainInput      `json:"inputs"`
	K           int               `json:"initial_clusters"`
	LabelCols   any               `json:"label_columns"`
	SPIB        map[string]any    `json:"spib_config"`
	Phase2      map[string]any    `json:"phase2_config,omitempty"`
	Lambda      float64           `json:"lambda,omitempty"`
	Prior       *priorSummary     `json:"prior,omitempty"`
	States      int               `json:"states"`
	Populations []float64         `json:"populations"`
	Final       map[string]any    `json:"final_losses"`
	Epochs      map[string]int    `json:"epochs"`
	Stopped     string            `json:"stopped"`
	Resumed     bool              `json:"resumed_from_checkpoint,omitempty"`
	Seconds     float64           `json:"seconds"`
	Backend     string            `json:"backend"`
	Files       map[string]string `json:"files"`
}

type priorSummary struct {
	KTRef     float64 `json:"kT_ref"`
	Exponent  float64 `json:"exponent"`
	Embedding string  `json:"embedding"`
	Coupling  string  `json:"coupling"`
	Experts   int     `json:"experts,omitempty"`
	Steps     int     `json:"steps"`
	Replicas  int     `json:"replicas"`
	Hidden    []int   `json:"hidden"`
}

func runTrain(ctx context.Context, args []string, _, stderr io.Writer) error {
	tc, err := parseTrain(args, stderr)
	if err != nil {
		return err
	}
	release, err := lockOut("-out", tc.flags.out)
	if err != nil {
		return err
	}
	defer release()
	start := time.Now()
	ins, err := tc.loadTrainInputs()
	if err != nil {
		return err
	}
	var prog io.Writer
	note := io.Discard
	if !tc.flags.quiet {
		prog, note = stderr, stderr
	}
	pins := make([]pipeline.Input, len(ins))
	for i, in := range ins {
		pins[i] = pipeline.Input{KT: in.KT, Source: in.File, Features: in.features, Frames: in.Frames, D: in.cols, Labels: in.labels}
		if in.labels == nil {
			pins[i].LabelX, pins[i].LabelDim = in.labelX, len(in.labelX)/in.Frames
		}
	}
	pc := pipeline.Config{Name: tc.flags.name, Fit: tc.raw, SPIBOnly: !tc.dspib, K: tc.flags.k, Standardize: tc.labelStd,
		PostHoc: tc.flags.posthoc, Log: prog, Progress: prog}
	out := tc.flags.out
	key, err := pipeline.Key(pins, pc, tc.flags.seed)
	if err != nil {
		return err
	}
	if err := prepareModelFolder(out, key, tc.flags.force, note); err != nil {
		return err
	}
	if err := cleanOrphans(out, note); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(out, trainKeyName), func(w io.Writer) error { _, err := w.Write(key); return err }); err != nil {
		return err
	}
	// train's own files go in before pipeline.Train writes the manifest.
	pc.Outputs = func(res *pipeline.Result) error { return tc.writeOutputs(res, ins, start) }
	res, err := pipeline.Train(ctx, pins, pc, tc.flags.seed, out)
	if err != nil {
		return err
	}
	if !tc.flags.quiet {
		fmt.Fprintf(stderr, "dspib train: %s model with %d states written to %s (%.1f s)\n", tc.flags.phase, res.Model.SPIB.K, out, time.Since(start).Seconds())
	}
	return nil
}

// writeOutputs writes train's own files into the model folder (latents,
// labels, state probabilities, populations, representatives, linear
// weights, the PLUMED CV, summary.json): pipeline.Config.Outputs.
func (tc *trainConfig) writeOutputs(res *pipeline.Result, ins []trainInput, start time.Time) error {
	out := tc.flags.out
	path := func(name string) string { return filepath.Join(out, name) }
	cfg := tc.cfg
	sum := trainSummaryJSON{Version: dspib.Version, Phase: tc.flags.phase, Seed: tc.flags.seed, Name: tc.flags.name, BurnIn: tc.flags.burnIn,
		Inputs: ins, K: tc.flags.k, Backend: ad.KernelInfo(), Files: map[string]string{}}
	sum.LabelCols = tc.labelDesc
	var zMean, probs, pops []float64
	var labels []int
	if r := res.Fit; r != nil {
		zMean, labels, probs, pops = r.ZMean, r.Labels, r.Probs, r.Populations
		pc := r.Model.Prior.Config()
		sum.Lambda = cfg.Lambda
		sum.Prior = &priorSummary{KTRef: pc.KTRef, Exponent: max(pc.Exponent, 0), Embedding: pc.Embedding.String(),
			Coupling: pc.Coupling.String(), Experts: pc.Experts, Steps: pc.Steps, Replicas: pc.Replicas, Hidden: pc.Hidden}
		sum.Final = map[string]any{"test": trainLosses2(r.Test), "validation": trainLosses2(r.Val)}
		sum.Stopped, sum.Resumed = r.Stopped, r.Resumed
		sum.Files["phase1_model"] = pipeline.Phase1Dir
		sum.Files["losses_dspib"] = pipeline.LossesDSPIB
		if res.PostHoc != nil {
			sum.Files["posthoc_prior"] = pipeline.PostHocPrior
		}
	} else {
		r := res.SPIB
		zMean, labels, probs, pops = r.ZMean, r.Labels, r.Probs, r.Populations
		sum.Final = map[string]any{
			"test":       map[string]any{"loss": trainFinite(r.TestLoss), "ce": trainFinite(r.TestCE), "kl": trainFinite(r.TestKL)},
			"validation": map[string]any{"loss": trainFinite(r.ValLoss), "ce": trainFinite(r.ValCE), "kl": trainFinite(r.ValKL)},
		}
		sum.Stopped = r.Stopped
	}
	sm := res.Model.SPIB
	scfg := cfg.SPIB
	scfg.Workers = 0
	if b, err := spib.MarshalConfig(scfg); err == nil {
		_ = json.Unmarshal(b, &sum.SPIB)
	}
	// The library writes "explicitly zero" as -1; summary.json records the
	// values used.
	for _, k := range []string{"beta", "refinements", "patience"} {
		if v, ok := sum.SPIB[k].(float64); ok && v < 0 {
			sum.SPIB[k] = 0
		}
	}
	if tc.dspib {
		sum.Phase2 = map[string]any{"max_epochs": cfg.MaxEpochs, "tolerance": cfg.Tolerance,
			"patience": max(cfg.Patience, 0), "learning_rate": cfg.LearningRate}
	}
	d, K, D := sm.LatentDim(), sm.K, sm.D
	n := res.Data.N
	type npyFile struct {
		name, what string
		rows, cols int
		data       []float64
	}
	writes := []npyFile{
		{"latents.npy", "latents", n, d, zMean},
		{"state_probs.npy", "state_probs", n, K, probs},
		{"populations.npy", "populations", K, 1, pops},
		{"representatives.npy", "representatives", K, D, sm.Representatives()},
	}
	if W, b, err := sm.LinearWeights(); err == nil {
		wb := make([]float64, 0, d*(D+1))
		for r := range d {
			wb = append(append(wb, W[r*D:(r+1)*D]...), b[r])
		}
		writes = append(writes, npyFile{"linear_weights.npy", "linear_weights", d, D + 1, wb})
		if tc.plumed != nil {
			// The learned CV as PLUMED input, for enhanced sampling.
			if err := atomicfile.Write(path(plumedCV), func(w io.Writer) error {
				return plumed.WriteLinearCV(w, sm, *tc.plumed, out)
			}); err != nil {
				return err
			}
			sum.Files["plumed_cv"] = plumedCV
		}
	}
	for _, w := range writes {
		if err := traj.WriteNPY(path(w.name), w.rows, w.cols, w.data); err != nil {
			return err
		}
		sum.Files[w.what] = w.name
	}
	if err := traj.WriteNPYInts(path("labels.npy"), labels); err != nil {
		return err
	}
	sum.Files["labels"] = "labels.npy"
	sum.Files["checkpoint"] = pipeline.FitCheckpoint
	sum.Files["initial_labels"] = pipeline.InitialLabels
	sum.Files["losses_spib"] = pipeline.LossesSPIB
	sum.Files["model"] = "model.json"
	sum.States, sum.Populations = K, pops
	sum.Epochs = map[string]int{"spib": len(res.Phase1History), "dspib": len(res.History)}
	sum.Seconds = time.Since(start).Seconds()
	return traj.WriteJSON(path(trainSummary), sum)
}

func trainLosses2(e dsp.EpochStats) map[string]any {
	return map[string]any{"loss": trainFinite(e.TestLoss), "ce": trainFinite(e.TestCE), "log_q": trainFinite(e.TestLogQ), "diffusion": trainFinite(e.TestDiff)}
}

// finite returns v, or nil (JSON null) for NaN and ±Inf (an empty split).
func trainFinite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// setGenerator sets the generator flags' fields of cfg (phase 2's EMA,
// encoder drift and stopping rule; the sampler saved with the model).
func (f *trainFlags) setGenerator(cfg *dsp.Config) error {
	switch {
	case f.ema < 0 || f.ema >= 1 || math.IsNaN(f.ema):
		return usagef("-ema: must be in [0, 1), got %v", f.ema)
	case f.emaModel && f.ema == 0:
		return usagef("-ema-model: needs -ema (it widens that average to the whole model)")
	case f.encoderLR < 0 || f.encoderLR > 1 || math.IsNaN(f.encoderLR):
		return usagef("-encoder-lr: must be in (0, 1], got %v", f.encoderLR)
	case f.freezeEncoder && f.encoderLR != 0:
		return usagef("-encoder-lr: not with -freeze-encoder (a frozen encoder has no learning rate)")
	case f.sampleSteps < 0:
		return usagef("-sample-steps: must be ≥ 1, got %d", f.sampleSteps)
	case f.minSteps2 < 0:
		return usagef("-min-steps2: must be ≥ 0, got %d", f.minSteps2)
	case f.polish2 < 0:
		return usagef("-polish2: must be ≥ 0, got %d", f.polish2)
	}
	cfg.EMADecay, cfg.EMAModel, cfg.FreezeEncoder, cfg.EncoderLR, cfg.MinSteps = f.ema, f.emaModel, f.freezeEncoder, f.encoderLR, f.minSteps2
	cfg.PolishEpochs = f.polish2
	switch f.stop2 {
	case "train":
	case "heldout":
		cfg.StopOn = dsp.StopHeldOut
	default:
		return usagef("-stop2: %q, want train or heldout", f.stop2)
	}
	switch f.sampler {
	case "ancestral":
	case "ode":
		cfg.Prior.Sampler = diffusion.ProbabilityFlow
	default:
		return usagef("-sampler: %q, want ancestral or ode", f.sampler)
	}
	cfg.Prior.SampleSteps, cfg.Prior.UnitStart, cfg.Prior.LatentScale = f.sampleSteps, f.unitStart, f.latentScale
	cfg.Prior.Corrector, cfg.Prior.CorrectorSNR = f.corrector, f.correctorSNR
	cfg.Prior.InputFrequencies, cfg.Prior.InputMaxFrequency, cfg.Prior.InputGated = f.inputFreqs, f.inputFMax, f.inputGated
	st, err := diffusion.ParseStepSampling(f.stepSampling)
	if err != nil {
		return usagef("-step-sampling: %v", err)
	}
	cfg.Prior.StepSampling = st
	cp, err := diffusion.ParseCoupling(f.coupling)
	if err != nil {
		return usagef("-coupling: %v", err)
	}
	cfg.Prior.Coupling, cfg.Prior.Experts = cp, f.experts
	if f.hidden != "" {
		for i, v := range strings.Split(f.hidden, ",") {
			w, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || w < 1 {
				return usagef("-hidden: value %d %q is not a width ≥ 1", i+1, v)
			}
			cfg.Prior.Hidden = append(cfg.Prior.Hidden, w)
		}
	}
	return nil
}
