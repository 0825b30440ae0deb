package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dspib/dspib/evaluate"
	"github.com/dspib/dspib/learn"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/md/traj"
	"github.com/dspib/dspib/pipeline"
	"github.com/dspib/dspib/systems"
)

func init() {
	register(command{name: "evaluate", summary: "judge a trained model's generated latents against MD at any temperatures; write report.md, metrics.json, figures", run: runEvaluate})
}

type evaluateFlags struct {
	model, md, mdTemps, temps, trainTemps, out string
	indep, indepTemps, name                    string
	floor, floorTemps, valTemps, scanTemps     string
	denoise                                    string
	n, klBins, surfaceBins, burnIn, bootstrap  int
	exactN                                     int
	bandwidth                                  float64
	seed                                       uint64
	quiet, validation                          bool
}

func newEvaluateFlagSet(f *evaluateFlags, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.model, "model", "", "model folder written by dspib train (required)")
	fs.StringVar(&f.md, "md", "", "MD: a run folder written by dspib simulate, or comma-separated .npy files of frames × D features (required)")
	fs.StringVar(&f.mdTemps, "md-temps", "", "with .npy files for -md: their kT [ε], one per file")
	fs.StringVar(&f.indep, "independent", "", "MD independent of -md (folder or .npy files) for the nearest-training-kT baseline (default: the second half of every -md trajectory)")
	fs.StringVar(&f.indepTemps, "independent-temps", "", "with .npy files for -independent: their kT [ε], one per file")
	fs.StringVar(&f.floor, "floor", "", "a second MD run independent of -md (folder or .npy files) at every evaluated kT: the noise floor (default: the second half of every -md trajectory when -independent is not given, else none)")
	fs.StringVar(&f.floorTemps, "floor-temps", "", "with .npy files for -floor: their kT [ε], one per file")
	fs.StringVar(&f.denoise, "denoise-from", "", "diagnostic, D-SPIB models: comma-separated diffusion steps L; for each, a row of the independent MD's latents noised to step L and carried back by the prior's steps L…0 (a perfect prior gives the noise floor from every L: where the error grows with L, those noise levels lose structure)")
	fs.StringVar(&f.valTemps, "validation-temps", "", "comma-separated kT [ε] evaluated and reported apart, for choosing settings (docs/evaluation.md §6); -temps are then the test temperatures")
	fs.IntVar(&f.exactN, "exact-n", 0, "for MD of a system with an exact density (a catalogue entry with a quadrature box: threehole): also compare with it at this many latents per method and kT, on ⌊√(N/10)⌋ bins per axis (0: none)")
	fs.StringVar(&f.scanTemps, "scan-temps", "", "with -exact-n: comma-separated kT [ε] of an overlap scan against the exact density alone (no MD needed there): where reweighting the training MD beats the generator and where it stops")
	fs.IntVar(&f.bootstrap, "bootstrap", evaluate.DefaultBootstrap, "bootstrap replicates of the 95 % intervals (negative: none)")
	fs.StringVar(&f.name, "name", "eval", "name of the comparison: figure-file prefix, and part of every generator's seed")
	fs.StringVar(&f.temps, "temps", "", "comma-separated kT [ε] to evaluate at (default: every temperature of the MD run)")
	fs.StringVar(&f.trainTemps, "train-temps", "", "the model's training kT (default: from the model's summary.json)")
	fs.IntVar(&f.n, "n", 10000, "latents compared per side and temperature (capped by the MD frames)")
	fs.IntVar(&f.klBins, "kl-bins", 100, "histogram bins per axis of the KL")
	fs.IntVar(&f.surfaceBins, "surface-bins", 60, "histogram bins per axis of the surface figures")
	fs.IntVar(&f.burnIn, "burn-in", 0, "frames dropped at the start of every temperature of a run folder (-md, -independent)")
	fs.BoolVar(&f.validation, "validation", false, "at the model's training kT, the reference is the validation frames the model folder records (held out from training) instead of -md")
	fs.Float64Var(&f.bandwidth, "bandwidth", 0.1, "KDE bandwidth of the 1-D free-energy profiles [latent units]")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed of the generators")
	fs.StringVar(&f.out, "out", "", "output folder (required; created if missing)")
	fs.BoolVar(&f.quiet, "quiet", false, "no notes on stderr")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, `Usage: dspib evaluate -model MODELDIR -md (RUNFOLDER | a.npy,b.npy -md-temps kT1,kT2) -out DIR [flags]

Compares the latents a trained model generates at every temperature with the
MD frames (run folder or feature files) encoded by the same model (docs/evaluation.md), for a D-SPIB
model (its diffusion prior, and SPIB's VampPrior from its phase1/ folder) or
a SPIB model (VampPrior). Each temperature's MD frames are split in halves:
the first half is the reference, the second an independent run (or, with
-independent, all of -md is the reference and -independent the independent
run). The baseline "MD at nearest training kT" is the independent run at the
training temperature nearest to kT: at a training temperature it is the sampling-noise floor, and
a temperature-aware model that does not beat it elsewhere has not learned how
the distribution changes with temperature. When the independent run is a
run folder with potential energies (dspib simulate records them), two more
baselines reweight its frames at the training temperatures to every kT by
Boltzmann weights exp(−U(1/kT − 1/kT_train)): from the nearest training kT,
and from all of them combined by MBAR, with their effective sample size
(ESS). A second independent run at every kT (-floor, or the second halves
without -independent) is the noise floor. Every metric gets a 95 % bootstrap
interval (-bootstrap replicates; MD resampled in blocks of 5 integrated
autocorrelation times), and a method beats another only when the interval of
their paired difference excludes 0 (docs/evaluation.md). -validation-temps
are reported apart, for choosing settings. Writes to DIR:

  report.md      settings, the metrics table per temperature, what they mean
  metrics.json   every metric of every method and temperature
  figures/       free-energy surfaces and profiles, state populations (PNG)
  latents/       the compared latent sets (.npy)

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(w, `
Example:
  dspib evaluate -model models/lj7 -md runs/lj7-ref -temps 0.2,0.3,0.4,0.5,0.6 -out eval/lj7
`)
	}
	return fs
}

func runEvaluate(_ context.Context, args []string, _, stderr io.Writer) error {
	var f evaluateFlags
	fs := newEvaluateFlagSet(&f, stderr)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case f.model == "":
		return usagef("-model: required (a folder written by dspib train)")
	case f.md == "":
		return usagef("-md: required (a folder written by dspib simulate)")
	case f.out == "":
		return usagef("-out: required")
	case f.n < 2:
		return usagef("-n: must be ≥ 2, got %d", f.n)
	case f.surfaceBins < 1:
		return usagef("-surface-bins: must be ≥ 1, got %d", f.surfaceBins)
	case f.burnIn < 0:
		return usagef("-burn-in: must be ≥ 0, got %d", f.burnIn)
	case f.bootstrap == 0:
		return usagef("-bootstrap: must not be 0 (negative: no intervals)")
	case f.klBins < 1:
		return usagef("-kl-bins: must be ≥ 1, got %d", f.klBins)
	case !(f.bandwidth > 0):
		return usagef("-bandwidth: must be > 0, got %v", f.bandwidth)
	case f.exactN < 0:
		return usagef("-exact-n: must be ≥ 0, got %d", f.exactN)
	case f.scanTemps != "" && f.exactN == 0:
		return usagef("-scan-temps: needs -exact-n (the latents per prediction)")
	case f.denoise != "" && f.exactN > 0:
		return usagef("-denoise-from: not with -exact-n (the diagnostic denoises MD latents, which the exact comparison's 10⁵ latents per method would outnumber)")
	case f.name == "" || strings.ContainsAny(f.name, "/\\ "):
		return usagef("-name: %q, want a non-empty name without slashes or spaces", f.name)
	}
	start := time.Now()
	if err := verifyModel(f.model); err != nil {
		return err
	}
	trained, err := pipeline.Load(f.model)
	if err != nil {
		return err
	}
	methods := pipeline.Methods(trained)
	train, err := trainingTemps(f.model, f.trainTemps)
	if err != nil {
		return err
	}
	md, mdU, sys, err := loadMD(f.md, f.mdTemps, "-md-temps", f.burnIn)
	if err != nil {
		return err
	}
	eval := slices.Sorted(maps.Keys(md))
	if f.temps != "" {
		if eval, err = parseTemps(f.temps); err != nil {
			return err
		}
	}
	exact := pipeline.Exact(sys)
	if f.exactN > 0 && exact == nil {
		return fmt.Errorf("-exact-n: the MD %s is not of a system with an exact density (a run folder of a system with a quadrature box, such as threehole)", f.md)
	}
	var scan []float64
	if f.scanTemps != "" {
		if scan, err = parseTemps(f.scanTemps); err != nil {
			return err
		}
	}
	var val []float64
	if f.valTemps != "" {
		if val, err = parseTemps(f.valTemps); err != nil {
			return err
		}
	}
	for _, t := range slices.Concat(eval, val) {
		if _, ok := md[t]; !ok {
			return fmt.Errorf("%s: no MD at kT %v (it has kT %v)", f.md, t, slices.Sorted(maps.Keys(md)))
		}
	}
	for _, t := range train {
		if !slices.Contains(eval, t) {
			eval = append(eval, t)
		}
	}
	slices.Sort(eval)
	d := methods[0].Enc.FeatureDim()
	ref, indep, indepU := map[float64][]float64{}, map[float64][]float64{}, map[float64][]float64{}
	for t, x := range md {
		if len(x)%d != 0 {
			return fmt.Errorf("%s: kT %v: %d feature values is not a multiple of the model's %d features", f.md, t, len(x), d)
		}
		half := len(x) / d / 2 * d
		ref[t], indep[t] = x[:half], x[half:]
		if u := mdU[t]; u != nil {
			indepU[t] = u[half/d:]
		}
	}
	indepDesc := "the second half of the frames"
	indepSrc := f.md
	floor, floorDesc := indep, "the second half of the frames at that kT"
	if f.indep != "" {
		floor, floorDesc = nil, ""
		if indep, indepU, _, err = loadMD(f.indep, f.indepTemps, "-independent-temps", f.burnIn); err != nil {
			return err
		}
		indepSrc = f.indep
		ref = md
		indepDesc = "the independent run " + f.indep
	} else if f.indepTemps != "" {
		return usagef("-independent-temps: only with -independent")
	}
	if f.floor != "" {
		if floor, _, _, err = loadMD(f.floor, f.floorTemps, "-floor-temps", f.burnIn); err != nil {
			return err
		}
		floorDesc = "the run " + f.floor
	} else if f.floorTemps != "" {
		return usagef("-floor-temps: only with -floor")
	}
	if floor != nil {
		for _, t := range slices.Concat(eval, val) {
			if len(floor[t]) == 0 {
				return fmt.Errorf("no noise-floor MD at kT %v (have kT %v)", t, slices.Sorted(maps.Keys(floor)))
			}
		}
	}
	for _, t := range train {
		if _, ok := indep[t]; !ok {
			return fmt.Errorf("no independent MD at the training kT %v (have kT %v)", t, slices.Sorted(maps.Keys(indep)))
		}
	}
	if f.validation {
		val, err := pipeline.Validation(f.model, train)
		if err != nil {
			return fmt.Errorf("-validation: %w", err)
		}
		maps.Copy(ref, val)
		indepDesc += "; at a training temperature the reference is the model's validation frames"
	}
	if f.denoise != "" {
		if methods, err = denoiseMethods(methods, f.denoise, indep, slices.Concat(eval, val)); err != nil {
			return err
		}
	}
	release, err := lockOut("-out", f.out)
	if err != nil {
		return err
	}
	defer release()
	// The reweighting baselines reweight the independent frames at the
	// training temperatures: they need those frames' own energies.
	energies, rwNote := reweightEnergies(indepU, train, indepSrc)
	if !f.quiet && energies == nil {
		fmt.Fprintf(stderr, "dspib evaluate: %s\n", rwNote)
	}
	figDir := filepath.Join(f.out, "figures")
	if err := os.MkdirAll(figDir, 0o755); err != nil {
		return err
	}
	cfg := evaluate.Config{KLBins: f.klBins, KDEBandwidth: f.bandwidth, SurfaceBins: f.surfaceBins, Bootstrap: f.bootstrap}
	design := evaluate.Design{Name: f.name, Title: "model " + f.model + " against MD " + f.md, Train: train, Eval: eval, Validation: val, Scan: scan}
	res, err := evaluate.Run(&evaluate.Comparison{Design: design, Methods: methods, Ref: ref, Independent: indep, Floor: floor, Energies: energies,
		Exact: exact, ExactN: f.exactN, N: f.n, Seed: f.seed, LatentsDir: filepath.Join(f.out, "latents"), Config: cfg})
	if err != nil {
		return err
	}
	files, err := evaluate.WriteFigures(figDir, res)
	if err != nil {
		return err
	}
	wall := time.Since(start)
	cmd := "dspib evaluate " + strings.Join(args, " ")
	rep := &evaluate.Report{
		Title: "Evaluation: generated latents against molecular dynamics",
		Intro: fmt.Sprintf("Command: `%s`  \nModel: `%s`; MD: `%s`; seed %d; wall time %s.\n\n", cmd, f.model, f.md, f.seed, wall.Round(time.Millisecond)),
		Settings: [][2]string{
			{"model", f.model},
			{"MD run", f.md},
			{"training temperatures", fmt.Sprint(train)},
			{"comparison", fmt.Sprintf("%d latents per side (equal sizes), KL on %d×%d common bins + 1e-10, KDE bandwidth %g, F cap 3 kT", res.N, f.klBins, f.klBins, f.bandwidth)},
		},
		RefNote: refNote(f.indep != "", indepDesc) + floorNote(floorDesc),
		Designs: []evaluate.Design{design},
		Notes:   map[string][]string{design.Name: {rwNote}},
		Exact:   exact != nil,
		Seeds:   []*evaluate.SeedResult{{Seed: f.seed, Rows: res.Rows, Scan: res.Scan, NEval: map[string]int{design.Name: res.N}, Figures: files}},
		JSON:    map[string]any{"command": cmd, "model": f.model, "md": f.md, "design": design, "wall_seconds": wall.Seconds()},
		Footer:  "Every number above was computed in this run, with the seed written next to it; the latents compared are in `latents/`.\n",
	}
	if err := evaluate.WriteResults(f.out, rep); err != nil {
		return err
	}
	if !f.quiet {
		fmt.Fprintf(stderr, "dspib evaluate: %d methods at kT %v, %d latents per side → %s\n",
			len(res.Methods), eval, res.N, filepath.Join(f.out, "report.md"))
	}
	return nil
}

// denoiseMethods appends to methods one diagnostic row per step of the
// comma-separated list steps (-denoise-from): the D-SPIB method's prior
// denoising the independent MD's latents (learn.Denoised) at every kT of
// temps, in the D-SPIB encoder's latent space.
func denoiseMethods(methods []*evaluate.Method, steps string, indep map[float64][]float64, temps []float64) ([]*evaluate.Method, error) {
	var ds *evaluate.Method
	var p *diffusion.Prior
	for _, m := range methods {
		if g, ok := m.Gen.(learn.Diffusion); ok && m.Key == "dspib" {
			ds, p = m, g.P
		}
	}
	if ds == nil {
		return nil, usagef("-denoise-from: the model has no diffusion prior (a D-SPIB model is needed)")
	}
	n := p.Schedule().Len()
	z := map[float64][]float64{}
	for _, t := range temps {
		x, ok := indep[t]
		if !ok {
			return nil, fmt.Errorf("-denoise-from: no independent MD at kT %v to denoise (have kT %v)", t, slices.Sorted(maps.Keys(indep)))
		}
		zt, err := ds.Enc.Encode(x)
		if err != nil {
			return nil, fmt.Errorf("-denoise-from: encoding the independent MD at kT %v: %w", t, err)
		}
		z[t] = zt
	}
	for _, v := range strings.Split(steps, ",") {
		L, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || L < 0 || L >= n {
			return nil, usagef("-denoise-from: %q is not a diffusion step in [0, %d]", v, n-1)
		}
		methods = append(methods, &evaluate.Method{Name: fmt.Sprintf("D-SPIB from MD noised to step %d (diagnostic)", L),
			Key: fmt.Sprintf("denoise%d", L), EncKey: ds.EncKey, Enc: ds.Enc, Gen: learn.Denoised{P: p, From: L, Z: z}})
	}
	return methods, nil
}

// reweightEnergies returns the energies of the independent MD at every
// training temperature (nil if one is missing) and the report's line on
// the reweighting baselines.
func reweightEnergies(u map[float64][]float64, train []float64, src string) (map[float64][]float64, string) {
	for _, t := range train {
		if u[t] == nil {
			return nil, fmt.Sprintf("Reweighting baselines omitted: %s records no potential energies at the training kT %v (only run folders written by dspib simulate do).", src, t)
		}
	}
	return u, "Reweighting baselines: the independent MD at the training temperatures (" + src + ") with its recorded potential energies, " +
		"reweighted to each kT from the nearest training kT, and from all training kT combined by MBAR; ESS is Kish's effective sample size."
}

// refNote explains the reference and the baseline in the report.
func refNote(separate bool, indep string) string {
	if separate {
		return "Reference at every temperature: the MD frames of -md at that kT, encoded by each method's own encoder. " +
			"Baseline *MD at nearest training kT*: " + indep + " at the nearest training temperature (at a training temperature " +
			"an independent run at the same kT, i.e. the sampling-noise floor of every metric).\n\n"
	}
	return "Reference at every temperature: the first half of the MD frames at that kT, encoded by each method's own encoder. " +
		"Baseline *MD at nearest training kT*: the second half of the frames at the nearest training temperature (at a training " +
		"temperature that is the same run's other half, i.e. about the sampling-noise floor of every metric; halves of one " +
		"trajectory are nearly independent only if it is much longer than its correlation time).\n\n"
}

// floorNote says what the noise floor of the report is.
func floorNote(desc string) string {
	if desc == "" {
		return "No noise-floor run at the evaluated temperatures (give one with -floor); at a training temperature the nearest-kT baseline is an independent run at the same kT.\n\n"
	}
	return "*Noise floor* at every evaluated kT: " + desc + ", encoded and thinned like the reference: what a second MD run scores.\n\n"
}

// trainingTemps returns the -train-temps list, or the distinct kT of the
// inputs recorded in the model's summary.json.
func trainingTemps(model, flagValue string) ([]float64, error) {
	if flagValue != "" {
		return parseTrainTemps("-train-temps", flagValue)
	}
	b, err := os.ReadFile(filepath.Join(model, trainSummary))
	if err != nil {
		return nil, fmt.Errorf("%w (give the training temperatures with -train-temps)", err)
	}
	var sum struct {
		Inputs []struct {
			KT float64 `json:"kT"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(model, trainSummary), err)
	}
	var out []float64
	for _, in := range sum.Inputs {
		if !slices.Contains(out, in.KT) {
			out = append(out, in.KT)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no inputs (give the training temperatures with -train-temps)", filepath.Join(model, trainSummary))
	}
	slices.Sort(out)
	return out, nil
}

// loadMDFeatures returns the model input features (frames × D, original
// units) of every temperature of MD given as a run folder, or as
// comma-separated .npy feature files with their temperatures (temps, one
// per file). It is the one place evaluate and encode read MD: a run folder
// through the simulate folder loader that train uses today.
func loadMDFeatures(md, temps, tempsFlag string) (map[float64][]float64, error) {
	x, _, _, err := loadMD(md, temps, tempsFlag, 0)
	return x, err
}

// loadMD is loadMDFeatures with the first burnIn frames of every
// temperature of a run folder dropped; it also returns the potential
// energies of a run folder's frames (burn-in dropped alike; none for .npy
// files or a temperature without them) and the run's catalogue system (nil
// for .npy files or an unknown system).
func loadMD(md, temps, tempsFlag string, burnIn int) (map[float64][]float64, map[float64][]float64, *systems.System, error) {
	out := map[float64][]float64{}
	if strings.HasSuffix(md, ".npy") {
		files := strings.Split(md, ",")
		if temps == "" {
			return nil, nil, nil, usagef("%s: required with .npy files (one kT per file)", tempsFlag)
		}
		ts, err := parseTrainTemps(tempsFlag, temps)
		if err != nil {
			return nil, nil, nil, err
		}
		if len(ts) != len(files) {
			return nil, nil, nil, usagef("%s: %d values for %d files", tempsFlag, len(ts), len(files))
		}
		for i, name := range files {
			x, _, _, err := traj.ReadNPY(strings.TrimSpace(name))
			if err != nil {
				return nil, nil, nil, err
			}
			out[ts[i]] = append(out[ts[i]], x...)
		}
		return out, nil, nil, nil
	}
	if temps != "" {
		return nil, nil, nil, usagef("%s: only with .npy files (a run folder knows its temperatures)", tempsFlag)
	}
	ins, run, err := pipeline.LoadRun(md, burnIn)
	if err != nil {
		return nil, nil, nil, err
	}
	energies := map[float64][]float64{}
	for _, in := range ins {
		out[in.KT] = in.Features
		if in.Energies != nil {
			energies[in.KT] = in.Energies
		}
	}
	sys, _ := run.System()
	return out, energies, sys, nil
}
