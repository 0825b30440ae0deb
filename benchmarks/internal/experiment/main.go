package experiment

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/dspib/dspib/internal/folderlock"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/dspib/dspib/internal/syncio"
	"github.com/dspib/dspib/learn/diffusion"
)

// Options select one run of a benchmark program.
type Options struct {
	Out    string // results folder
	Seed   uint64 // first seed; repetition r uses Seed + r
	Repeat int    // independent repetitions (≥ 1)
	Preset string // name of the preset in Spec.Presets
	Args   []string
	// Embedding and Exponent, when set, override the preset's diffusion
	// embedding and noise exponent a.
	Embedding *diffusion.Embedding
	Exponent  float64
	// Bootstrap, when not 0, overrides the preset's bootstrap replicates.
	Bootstrap int
	// PostHoc adds the post-hoc prior ablation (a diffusion prior fitted
	// to the frozen phase-1 latents, as many epochs as phase 2 ran): about
	// as much diffusion training again, so it is opt-in.
	PostHoc bool
	// EMADecay is phase 2's weight-average decay (dspib.Config.EMADecay;
	// 0: none, the default).
	EMADecay float64
	// LatentScale is the diffusion prior's latent scale c
	// (diffusion.Config.LatentScale; 0: none, the default) and MinSteps
	// phase 2's minimum length in optimiser steps (dspib.Config.MinSteps;
	// 0: the stopping rule alone, the default); PolishEpochs the epochs of
	// the prior alone after phase 2 (dspib.Config.PolishEpochs; 0: none,
	// the default).
	LatentScale  float64
	MinSteps     int
	PolishEpochs int
	// Coupling is how the temperature enters the diffusion prior's noise
	// network (diffusion.Config.Coupling; the zero value, embedded, is the
	// reference).
	Coupling diffusion.Coupling
	// Experts is the number of experts of a linear coupling's head
	// (diffusion.Config.Experts; 0: 1).
	Experts int
	// Corrector is the number of Langevin corrector steps per noise level
	// of the ancestral sampler and CorrectorSNR their signal-to-noise ratio
	// (diffusion.Config.Corrector, CorrectorSNR; 0: none, the default).
	Corrector    int
	CorrectorSNR float64
	// InputFrequencies, InputMaxFrequency and InputGated are the
	// sinusoidal input features of the noise network
	// (diffusion.Config.InputFrequencies, InputMaxFrequency, InputGated;
	// 0: none, the default).
	InputFrequencies  int
	InputMaxFrequency float64
	InputGated        bool
	// StepSampling is the distribution of the diffusion steps the prior
	// trains on (diffusion.Config.StepSampling; the zero value, uniform,
	// is the reference).
	StepSampling diffusion.StepSampling
	// CPUProfile, when not empty, is the file Run writes a pprof CPU
	// profile of the whole run to (go tool pprof reads it).
	CPUProfile string
}

// DefaultMemoryLimit is the Go runtime's soft memory limit of the benchmark
// programs unless the environment sets GOMEMLIMIT: 1.4 GiB. The paper
// presets hold about 1.1 GB of live data at their peak (LJ7: the features of
// 16 runs of 10⁶ frames); without a limit the collector lets the heap grow
// to twice that (2.5 GB resident, measured), with it collections come sooner
// near the limit instead.
const DefaultMemoryLimit = 1400 << 20

// PaperSeeds is the number of independent seeds of -paper without -repeat.
const PaperSeeds = 3

// ParseFlags parses the common flags of the benchmark programs:
// -quick, -paper, -tiny (presets; default "default"), -out, -seed, -repeat.
func ParseFlags(spec *Spec, args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet(spec.System.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "small preset: a few minutes on 2 cores")
	paper := fs.Bool("paper", false, "full-size preset (the sizes of docs/systems.md)")
	tiny := fs.Bool("tiny", false, "seconds-long smoke run (used by the integration test)")
	out := fs.String("out", spec.DefaultOut, "results folder")
	seed := fs.Uint64("seed", 1, "first random seed (repetition r uses seed+r)")
	repeat := fs.Int("repeat", 1, "number of independent seeds; the report gives mean ± sd (default 3 with -paper)")
	boot := fs.Int("bootstrap", 0, "bootstrap replicates of the 95 % intervals (default: the preset's, 200; negative: none)")
	embedding := fs.String("embedding", "", "diffusion step/temperature embedding: smooth (default) or fourier (the reference's random Fourier features, docs/method.md §3)")
	ema := fs.Float64("ema", 0, "phase 2: decay per optimiser step of the weight average the model samples with (e.g. 0.999; default 0: none, the last weights)")
	latentScale := fs.Float64("latent-scale", 0, "phase 2: the diffusion prior runs on z/c for this c > 0 (default 0: c = 1, the reference)")
	minSteps := fs.Int("min-steps2", 0, "phase 2: at least this many optimiser steps before the stopping rule may end it (default 0: the rule alone)")
	polish := fs.Int("polish2", 0, "phase 2: epochs of the diffusion prior alone after phase 2 has stopped, encoder and decoder held fixed (default 0: none)")
	coupling := fs.String("coupling", "embedded", "phase 2: how kT enters the noise network: embedded (the reference), linear (each free energy linear in T; best with -a 0.5) or embedded+linear")
	experts := fs.Int("experts", 0, "phase 2, with -coupling linear or embedded+linear: K Boltzmann-weighted experts in the noise network's output head (default 1)")
	corrector := fs.Int("corrector", 0, "sampling: Langevin corrector steps per noise level of the ancestral sampler (predictor–corrector, Song et al. 2021; default 0: none)")
	correctorSNR := fs.Float64("corrector-snr", 0, "sampling, with -corrector: the corrector's signal-to-noise ratio r (default 0.16)")
	stepSampling := fs.String("step-sampling", "uniform", "phase 2: the diffusion steps the prior trains on: uniform (the reference) or elbo (weighted as in the variational bound)")
	inputFreqs := fs.Int("input-frequencies", 0, "phase 2: sinusoidal features of each latent coordinate the noise network sees besides the latent (default 0: the latent alone, the reference)")
	inputGated := fs.Bool("input-gated", false, "phase 2, with -input-frequencies: scale the features of a latent noised to step i by √ᾱ_i")
	inputFMax := fs.Float64("input-fmax", 0, "phase 2, with -input-frequencies: the highest feature frequency [cycles per latent unit] (default 2)")
	posthoc := fs.Bool("posthoc", false, "also train and report the post-hoc prior ablation (SPIB + a diffusion prior fitted to the frozen phase-1 latents); about doubles the diffusion training time")
	cpuprofile := fs.String("cpuprofile", "", "write a pprof CPU profile of the run to this file")
	exponent := fs.Float64("a", 0, "noise exponent a > 0 in σ_T = (T/T_ref)^a (default: the preset's, 1 as the reference; 0.5 as thermodynamic maps)")
	if err := fs.Parse(args); err != nil {
		return Options{}, err
	}
	if fs.NArg() > 0 {
		return Options{}, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	o := Options{Out: *out, Seed: *seed, Repeat: *repeat, Preset: "default", Args: args, Bootstrap: *boot, PostHoc: *posthoc, CPUProfile: *cpuprofile}
	n := 0
	for _, p := range []struct {
		on   bool
		name string
	}{{*quick, "quick"}, {*paper, "paper"}, {*tiny, "tiny"}} {
		if p.on {
			o.Preset = p.name
			n++
		}
	}
	if n > 1 {
		return Options{}, fmt.Errorf("-quick, -paper and -tiny are exclusive")
	}
	// Paper size runs PaperSeeds independent seeds unless -repeat says.
	if o.Preset == "paper" && !isSet(fs, "repeat") {
		o.Repeat = PaperSeeds
	}
	if o.Repeat < 1 {
		return Options{}, fmt.Errorf("-repeat = %d, want ≥ 1", o.Repeat)
	}
	if o.Out == "" {
		return Options{}, fmt.Errorf("-out is empty")
	}
	if _, ok := spec.Presets[o.Preset]; !ok {
		return Options{}, fmt.Errorf("preset %q not defined for %s", o.Preset, spec.System.Name)
	}
	switch *embedding {
	case "":
	case "smooth":
		e := diffusion.Smooth
		o.Embedding = &e
	case "fourier":
		e := diffusion.Fourier
		o.Embedding = &e
	default:
		return Options{}, fmt.Errorf("-embedding %q: want smooth or fourier", *embedding)
	}
	// An explicit -a 0 is refused, not read as "the preset's": the
	// diffusion prior requires a > 0 (see dspib train -exponent).
	if isSet(fs, "a") && !(*exponent > 0) || *exponent < 0 || math.IsNaN(*exponent) || math.IsInf(*exponent, 0) {
		return Options{}, fmt.Errorf("-a = %v: want finite > 0 (the diffusion prior requires a > 0; omit -a for the preset's)", *exponent)
	}
	o.Exponent = *exponent
	if !(*ema >= 0 && *ema < 1) {
		return Options{}, fmt.Errorf("-ema = %v: want in [0, 1) (0: no average)", *ema)
	}
	o.EMADecay = *ema
	if *latentScale < 0 || math.IsNaN(*latentScale) || math.IsInf(*latentScale, 0) {
		return Options{}, fmt.Errorf("-latent-scale = %v: want finite > 0 (0: none)", *latentScale)
	}
	if *minSteps < 0 {
		return Options{}, fmt.Errorf("-min-steps2 = %d: want ≥ 0", *minSteps)
	}
	if *polish < 0 {
		return Options{}, fmt.Errorf("-polish2 = %d: want ≥ 0", *polish)
	}
	o.LatentScale, o.MinSteps, o.PolishEpochs = *latentScale, *minSteps, *polish
	cp, err := diffusion.ParseCoupling(*coupling)
	if err != nil {
		return Options{}, fmt.Errorf("-coupling: %w", err)
	}
	o.Coupling = cp
	if *experts < 0 || *experts > 1 && cp == diffusion.CouplingEmbedded {
		return Options{}, fmt.Errorf("-experts = %d: want ≥ 1, and -coupling linear or embedded+linear for more than 1", *experts)
	}
	o.Experts = *experts
	if *corrector < 0 || *corrector == 0 && *correctorSNR != 0 || *correctorSNR < 0 || math.IsNaN(*correctorSNR) || math.IsInf(*correctorSNR, 0) {
		return Options{}, fmt.Errorf("-corrector = %d, -corrector-snr = %v: want corrector steps ≥ 0, and a finite r > 0 only with corrector steps", *corrector, *correctorSNR)
	}
	o.Corrector, o.CorrectorSNR = *corrector, *correctorSNR
	if *inputFreqs < 0 || *inputFreqs == 0 && *inputFMax != 0 || *inputFMax < 0 || math.IsNaN(*inputFMax) || math.IsInf(*inputFMax, 0) {
		return Options{}, fmt.Errorf("-input-frequencies = %d, -input-fmax = %v: want frequencies ≥ 0, and a finite f_max > 0 only with frequencies", *inputFreqs, *inputFMax)
	}
	if *inputGated && *inputFreqs == 0 {
		return Options{}, fmt.Errorf("-input-gated: needs -input-frequencies")
	}
	o.InputFrequencies, o.InputMaxFrequency, o.InputGated = *inputFreqs, *inputFMax, *inputGated
	if o.StepSampling, err = diffusion.ParseStepSampling(*stepSampling); err != nil {
		return Options{}, fmt.Errorf("-step-sampling: %w", err)
	}
	return o, nil
}

// Command is a benchmark program's main function: it runs Main on
// os.Args[1:] with a context that Ctrl-C cancels (a restarted run reuses the
// finished stages), logging to os.Stderr, and on error prints
// "<System.Name>: <error>" and exits with status 1.
func Command(spec *Spec) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := Main(ctx, spec, os.Args[1:], os.Stderr)
	stop()
	if err != nil {
		name := "benchmark"
		if spec.System != nil {
			name = spec.System.Name
		}
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Main parses args and runs the whole benchmark, logging to stderr.
func Main(ctx context.Context, spec *Spec, args []string, stderr io.Writer) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	o, err := ParseFlags(spec, args, stderr)
	if err != nil {
		return err
	}
	return Run(ctx, spec, o, stderr)
}

// Run performs o.Repeat independent repetitions and writes the results folder.
func Run(ctx context.Context, spec *Spec, o Options, log io.Writer) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	sizes := spec.Presets[o.Preset]
	if o.Embedding != nil {
		sizes.Embedding = *o.Embedding
	}
	if o.Exponent > 0 {
		sizes.Exponent = o.Exponent
	}
	if o.Bootstrap != 0 {
		sizes.Bootstrap = o.Bootstrap
	}
	if err := sizes.Validate(); err != nil {
		return err
	}
	// One benchmark per results folder at a time (the runs inside lock
	// their own folders too).
	lk, err := folderlock.Exclusive(o.Out)
	if err != nil {
		return err
	}
	defer lk.Release()
	if o.CPUProfile != "" {
		stop, err := startCPUProfile(o.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	start := time.Now()
	if err := os.MkdirAll(filepath.Join(o.Out, "figures"), 0o755); err != nil {
		return err
	}
	fmt.Fprintf(log, "%s benchmark: preset %s, seeds %d..%d, results in %s (GOMAXPROCS %d)\n",
		spec.System.Name, o.Preset, o.Seed, o.Seed+uint64(o.Repeat)-1, o.Out, runtime.GOMAXPROCS(0))
	log = syncio.NewWriter(log)
	var seeds []*seedResult
	for rep := range o.Repeat {
		seed := o.Seed + uint64(rep)
		r := &seedRun{spec: spec, sys: spec.System, sizes: sizes, seed: seed, opts: o,
			dir: filepath.Join(o.Out, fmt.Sprintf("seed%d", seed)), log: log}
		res, err := r.run(ctx, rep == 0, filepath.Join(o.Out, "figures"))
		if err != nil {
			return fmt.Errorf("seed %d: %w", seed, err)
		}
		seeds = append(seeds, res)
	}
	if err := writeResults(o, spec, sizes, seeds, time.Since(start)); err != nil {
		return err
	}
	fmt.Fprintf(log, "done in %s: %s\n", time.Since(start).Round(time.Second), filepath.Join(o.Out, "report.md"))
	return nil
}

func (r *seedRun) run(ctx context.Context, figures bool, figDir string) (*seedResult, error) {
	if err := r.simulateAndLoad(ctx); err != nil {
		return nil, err
	}
	res := &seedResult{Seed: r.seed, Info: map[string]any{}, NEval: map[string]int{}, Stopped: map[string]string{}}
	// SPIB's training steps are single-threaded (one learn/ad tape), so the
	// experiments of a seed train concurrently, one goroutine each (D-SPIB's
	// phase 2 and the post-hoc prior shard their steps over all cores on
	// top of that); their stage timings therefore overlap in wall time.
	xs := make([]*expRun, len(r.spec.Experiments))
	errs := make([]error, len(xs))
	var wg sync.WaitGroup
	for i := range r.spec.Experiments {
		e := &r.spec.Experiments[i]
		xs[i] = &expRun{e: e, dir: filepath.Join(r.dir, e.Name), info: map[string]any{}}
		fmt.Fprintf(r.log, "[seed %d] experiment %s: %s\n", r.seed, e.Name, e.Title)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = r.buildMethods(ctx, xs[i])
		}(i)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, x := range xs {
		e := x.e
		if err := r.evaluate(x); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, x.rows...)
		res.Scan = append(res.Scan, x.res.Scan...)
		res.Info[e.Name] = x.info
		res.NEval[e.Name] = x.nEval
		res.Stopped[e.Name] = x.models.Stopped
		if figures {
			start := time.Now()
			files, err := writeFigures(figDir, x)
			if err != nil {
				return nil, fmt.Errorf("%s: figures: %w", e.Name, err)
			}
			res.Figures = append(res.Figures, files...)
			r.timed(e.Name+"/figures", false, start)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	res.Timings = r.timings
	return res, nil
}

// commandLine reconstructs the command for the report.
func commandLine(spec *Spec, o Options) string {
	return strings.TrimSpace("go run ./benchmarks/" + spec.System.Name + " " + strings.Join(o.Args, " "))
}

// startCPUProfile starts a pprof CPU profile written to path; stop ends it
// and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
