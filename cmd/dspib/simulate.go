package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/internal/syncio"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
)

func init() {
	register(command{name: "simulate", summary: "run Langevin MD at several temperatures; write trajectories, features, metadata.json", run: runSimulate})
}

// simConfig holds the settings of one simulate run after defaults are
// applied. Units are reduced: kT in ε, Dt in τ, Gamma in 1/τ.
type simConfig struct {
	System     *systemSpec
	Temps      []float64
	Frames     int64 // frames stored per temperature
	Stride     int64 // MD steps between frames
	Dt         float64
	Gamma      float64
	Integrator string // "baoab", "overdamped" or "mala"
	Seed       uint64
	Out        string
	XYZ        bool
	Quiet      bool
	Force      bool
	// Checkpoint is the minimum wall time between two checkpoints of a
	// replica; 0 checkpoints at every check (1 % of the run).
	Checkpoint time.Duration

	// testObserver, if set (tests only), adds an observer to replica i,
	// fired before its checkpoint, e.g. to cancel the run at a given step.
	testObserver func(i int) md.Observer
}

// Steps returns the MD steps per temperature, Frames·Stride.
func (c *simConfig) Steps() int64 { return c.Frames * c.Stride }

// simFlags are the raw flag values; a zero value means "the system's
// default" for the numeric ones, but only when the flag is not given at all:
// an explicit -dt 0 is an error.
type simFlags struct {
	system, temps, integrator, out string
	frames, steps, stride          int64
	dt, gamma                      float64
	seed                           uint64
	xyz, quiet, force              bool
	checkpoint                     time.Duration
}

func newSimFlagSet(f *simFlags, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.system, "system", "", "model system: threehole, lj7 or muellerbrown (required)")
	fs.StringVar(&f.temps, "temps", "", "comma-separated temperatures kT [ε], e.g. 0.6,0.8,1.0 (default: the system's list)")
	fs.Int64Var(&f.frames, "frames", 0, "frames stored per temperature (default: the system's; or give -steps)")
	fs.Int64Var(&f.steps, "steps", 0, "MD steps per temperature, a multiple of -stride (alternative to -frames)")
	fs.Int64Var(&f.stride, "stride", 0, "MD steps between stored frames (default: the system's)")
	fs.Float64Var(&f.dt, "dt", 0, "time step [τ] (default: the system's)")
	fs.Float64Var(&f.gamma, "gamma", 0, "friction γ [1/τ] (default: the system's)")
	fs.StringVar(&f.integrator, "integrator", "baoab", "baoab (Langevin), overdamped (Euler–Maruyama) or mala (Metropolis-adjusted overdamped)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed; replica i uses the PCG stream (seed, i)")
	fs.StringVar(&f.out, "out", "", "output folder (required; created if missing)")
	fs.BoolVar(&f.xyz, "xyz", false, "also write each trajectory as extended XYZ (traj_kT….xyz), for LJ7 viewers")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress or notes on stderr")
	fs.BoolVar(&f.force, "force", false, "overwrite a folder that holds a run with different settings")
	fs.DurationVar(&f.checkpoint, "checkpoint", time.Minute, "minimum wall time between checkpoints of each temperature (0: every 1% of the run)")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, `Usage: dspib simulate -system NAME -out DIR [flags]

Runs Langevin dynamics of a model system at every temperature of -temps in
parallel (one PCG random stream per replica, so the output depends only on
the flags) and writes to DIR:

  traj_kT<T>.npy      frames × N·D positions [σ] (float64, row-major)
  features_kT<T>.npy  LJ7 only: frames × 7 sorted coordination numbers
  moments_kT<T>.npy   LJ7 only: frames × 2 moments (μ2, μ3)
  traj_kT<T>.xyz      with -xyz: extended XYZ frames
  metadata.json       system, temperatures, integrator, seeds, stride, files

<T> is kT with three decimals, more only if needed (kT 0.6 → kT0.600). Files are written as
NAME.part and renamed when complete, so an interrupted run (Ctrl-C) leaves
only .part files, plus checkpoint_kT<T>.bin: the exact state (positions,
velocities, random stream) at the last frame flushed to disk, saved every
-checkpoint and when the run is interrupted. Re-running the same command
reuses finished temperatures and continues the others from their
checkpoints; the result is byte-identical to an uninterrupted run.

Defaults per system (reduced units):
`)
		for i := range systems {
			fmt.Fprintf(w, "  %s\n", systems[i].String())
		}
		fmt.Fprintf(w, "\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(w, `
Example:
  dspib simulate -system threehole -temps 0.6,1.0 -frames 100000 -out runs/threehole
`)
	}
	return fs
}

// parseSimulate parses and validates the simulate flags, applying the
// system defaults, and returns a *usageError naming the flag on bad input.
func parseSimulate(args []string, stderr io.Writer) (*simConfig, error) {
	var f simFlags
	fs := newSimFlagSet(&f, stderr)
	set, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	return f.config(set)
}

// config validates the flags in one place and applies defaults. set holds
// the flags given on the command line.
func (f *simFlags) config(set map[string]bool) (*simConfig, error) {
	if f.system == "" {
		return nil, usagef("-system: required (threehole, lj7 or muellerbrown)")
	}
	spec, ok := lookupSystem(f.system)
	if !ok {
		return nil, usagef("-system: unknown system %q, want threehole, lj7 or muellerbrown", f.system)
	}
	c := &simConfig{
		System: spec, Temps: spec.temps, Frames: spec.frames, Stride: spec.stride,
		Dt: spec.dt, Gamma: spec.gamma, Seed: f.seed,
		XYZ: f.xyz, Quiet: f.quiet, Force: f.force,
	}
	if set["temps"] {
		temps, err := parseTemps(f.temps)
		if err != nil {
			return nil, err
		}
		c.Temps = temps
	}
	if set["dt"] {
		if !(f.dt > 0) || math.IsInf(f.dt, 0) {
			return nil, usagef("-dt: time step must be finite and > 0, got %v", f.dt)
		}
		c.Dt = f.dt
	}
	if set["gamma"] {
		if !(f.gamma > 0) || math.IsInf(f.gamma, 0) {
			return nil, usagef("-gamma: friction must be finite and > 0, got %v", f.gamma)
		}
		c.Gamma = f.gamma
	}
	if set["stride"] {
		if f.stride <= 0 {
			return nil, usagef("-stride: must be ≥ 1 step, got %d", f.stride)
		}
		c.Stride = f.stride
	}
	if set["frames"] && f.frames <= 0 {
		return nil, usagef("-frames: must be ≥ 1, got %d", f.frames)
	}
	if set["steps"] && f.steps <= 0 {
		return nil, usagef("-steps: must be ≥ 1, got %d", f.steps)
	}
	switch {
	case set["steps"]:
		if f.steps%c.Stride != 0 {
			return nil, usagef("-steps: %d is not a multiple of the stride %d (frames are stored every stride steps)", f.steps, c.Stride)
		}
		if set["frames"] && f.frames != f.steps/c.Stride {
			return nil, usagef("-frames %d and -steps %d disagree: with stride %d they give %d frames; give only one", f.frames, f.steps, c.Stride, f.steps/c.Stride)
		}
		c.Frames = f.steps / c.Stride
	case set["frames"]:
		c.Frames = f.frames
	}
	if c.Frames > math.MaxInt64/c.Stride {
		return nil, usagef("-frames: %d frames × stride %d overflows the step counter", c.Frames, c.Stride)
	}
	switch f.integrator {
	case "baoab", "overdamped", "mala":
		c.Integrator = f.integrator
	default:
		return nil, usagef("-integrator: unknown integrator %q, want baoab, overdamped or mala", f.integrator)
	}
	if f.checkpoint < 0 {
		return nil, usagef("-checkpoint: must be ≥ 0, got %v", f.checkpoint)
	}
	c.Checkpoint = f.checkpoint
	if f.out == "" {
		return nil, usagef("-out: required (the folder for the output files)")
	}
	c.Out = f.out
	// Tags are injective by construction (tempTag); this guards that promise,
	// since every file name depends on it.
	seen := map[string]float64{}
	for _, kT := range c.Temps {
		tag := tempTag(kT)
		if prev, dup := seen[tag]; dup {
			return nil, usagef("-temps: kT %v and %v would share the file name tag %s", prev, kT, tag)
		}
		seen[tag] = kT
	}
	// The integrator and the potential check themselves (naming their own
	// fields); check them here once so a bad combination fails before any
	// file is touched.
	for _, kT := range c.Temps {
		if err := validateIntegrator(c.newIntegrator(kT)); err != nil {
			return nil, usagef("-integrator %s: %v", c.Integrator, err)
		}
	}
	if err := potentials.Validate(spec.newPotential(), spec.x0()); err != nil {
		return nil, fmt.Errorf("-system %s: start configuration: %w", spec.flagName, err)
	}
	return c, nil
}

func validateIntegrator(in md.Integrator) error {
	if v, ok := in.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

// newIntegrator returns a fresh integrator for temperature kT [ε].
func (c *simConfig) newIntegrator(kT float64) md.Integrator {
	switch c.Integrator {
	case "overdamped":
		return &integrators.Overdamped{KT: kT, Dt: c.Dt, Gamma: c.Gamma}
	case "mala":
		return &integrators.Overdamped{KT: kT, Dt: c.Dt, Gamma: c.Gamma, Metropolis: true}
	default:
		return &integrators.BAOAB{KT: kT, Dt: c.Dt, Gamma: c.Gamma}
	}
}

// integratorName is the scheme name recorded in the metadata.
func (c *simConfig) integratorName() string {
	switch c.Integrator {
	case "overdamped":
		return "overdamped"
	case "mala":
		return "MALA"
	default:
		return "BAOAB"
	}
}

// runSimulate implements "dspib simulate".
func runSimulate(ctx context.Context, args []string, _, stderr io.Writer) error {
	cfg, err := parseSimulate(args, stderr)
	if err != nil {
		return err
	}
	return simulate(ctx, cfg, stderr)
}

// simulate runs the replicas of cfg, writing into cfg.Out.
//
// Order of work: check the folder (reuse or refuse), write metadata.json with
// "complete": false, stream each unfinished replica to .part files (resuming
// it from its checkpoint if the folder holds one from the same settings),
// checkpointing it together with a flush of its files, rename the files of
// every replica that stored all its frames and delete its checkpoint, and
// finally rewrite metadata.json with "complete": true if every replica is
// done. Finished replicas are skipped; since replica i's stream depends
// only on (seed, i), the others are unaffected.
func simulate(ctx context.Context, cfg *simConfig, stderr io.Writer) error {
	logw := syncio.NewWriter(stderr)
	note := func(format string, args ...any) {
		if !cfg.Quiet {
			fmt.Fprintf(logw, format+"\n", args...)
		}
	}
	meta, err := newSimMetadata(cfg)
	if err != nil {
		return err
	}
	done, reuse, err := prepareFolder(cfg, meta, note)
	if err != nil {
		return err
	}
	// Checkpoints are trusted only in a folder of the same settings, and
	// only for replicas still to run.
	for i, kT := range cfg.Temps {
		if done[i] || !reuse {
			if err := os.Remove(outPath(cfg.Out, checkpointName(kT))); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("-out: %w", err)
			}
		}
	}
	todo := 0
	for _, d := range done {
		if !d {
			todo++
		}
	}
	if todo == 0 {
		note("all %d temperatures already complete in %s (same settings); nothing to run", len(cfg.Temps), cfg.Out)
		return writeSimMetadata(cfg.Out, meta, true)
	}
	if err := writeSimMetadata(cfg.Out, meta, false); err != nil {
		return err
	}

	spec := cfg.System
	sys := &md.System{Potential: spec.newPotential(), Masses: ones(spec.n), Dim: spec.dim}
	writers := make([]*replicaWriter, len(cfg.Temps))
	resumed := make([]*md.State, len(cfg.Temps))
	abortAll := func() {
		for _, w := range writers {
			if w != nil {
				w.abort()
			}
		}
	}
	for i, kT := range cfg.Temps {
		if done[i] {
			continue
		}
		w, st, err := startReplica(cfg, sys, kT, note)
		if err != nil {
			abortAll()
			return err
		}
		writers[i], resumed[i] = w, st
	}
	note("simulating %s at kT = %s: %d steps (%d frames, stride %d), %s dt = %g, gamma = %g, seed %d, into %s",
		spec.metaName, formatTemps(cfg.Temps), cfg.Steps(), cfg.Frames, cfg.Stride, cfg.integratorName(), cfg.Dt, cfg.Gamma, cfg.Seed, cfg.Out)

	_, runErr := md.RunReplicas(ctx, md.Replicas{
		System:        sys,
		Temperatures:  cfg.Temps,
		NewIntegrator: cfg.newIntegrator,
		X0:            spec.x0(),
		Seed:          cfg.Seed,
		Steps:         cfg.Steps(),
		Skip:          func(i int) bool { return done[i] },
		Resume:        func(i int) (*md.State, error) { return resumed[i], nil },
		Observers: func(i int, kT float64) []md.Observer {
			obs := []md.Observer{writers[i]}
			if cfg.testObserver != nil {
				obs = append(obs, cfg.testObserver(i))
			}
			// Run fires the checkpoint after the writer, so the frame of the
			// checkpoint's own step is flushed with it.
			obs = append(obs, &md.Checkpoint{
				Path:     outPath(cfg.Out, checkpointName(kT)),
				Stride:   progressStride(cfg.Steps()),
				Interval: cfg.Checkpoint,
				Sync:     writers[i].sync,
			})
			if !cfg.Quiet {
				obs = append(obs, &md.Progress{W: logw, Label: tempTag(kT), Stride: progressStride(cfg.Steps())})
			}
			return obs
		},
	})

	// Commit every replica that stored all its frames, even if another one
	// failed or the run was interrupted after it finished: a re-run then
	// reuses it. The others keep their .part files.
	var errs []error
	allDone := true
	for i, w := range writers {
		if w == nil {
			continue
		}
		if w.frames != cfg.Frames || w.err != nil {
			allDone = false
			continue
		}
		if err := w.commit(); err != nil {
			errs = append(errs, err)
			allDone = false
			continue
		}
		done[i] = true
		if err := os.Remove(outPath(cfg.Out, checkpointName(cfg.Temps[i]))); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			runErr = fmt.Errorf("interrupted: %w", runErr)
		}
		var partial []string
		for i, w := range writers {
			if w != nil && !done[i] {
				partial = append(partial, tempTag(cfg.Temps[i]))
			}
		}
		if len(partial) > 0 {
			runErr = fmt.Errorf("%w\nunfinished temperatures %s left as .part files with checkpoints in %s; re-run the same command to continue them",
				runErr, strings.Join(partial, ", "), cfg.Out)
		}
		return errors.Join(append([]error{runErr}, errs...)...)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if !allDone {
		return fmt.Errorf("simulate: a replica stopped before storing %d frames without an error (internal error)", cfg.Frames)
	}
	if err := writeSimMetadata(cfg.Out, meta, true); err != nil {
		return err
	}
	note("wrote %d temperatures to %s (metadata.json lists the files)", todo, cfg.Out)
	return nil
}

// startReplica prepares the unfinished replica at kT: it resumes it from its
// checkpoint if there is one (returning the restored state), and otherwise,
// or if resuming fails (noted, then the checkpoint is removed), creates fresh
// .part files and returns a nil state (RunReplicas then starts the replica
// from the beginning).
func startReplica(cfg *simConfig, sys *md.System, kT float64, note func(string, ...any)) (*replicaWriter, *md.State, error) {
	ck := outPath(cfg.Out, checkpointName(kT))
	if _, err := os.Stat(ck); err == nil {
		w, st, err := resumeReplica(cfg, sys, kT, ck)
		if err == nil {
			note("%s: resuming from its checkpoint at step %d of %d (%d frames kept)", tempTag(kT), st.Step, cfg.Steps(), w.frames)
			return w, st, nil
		}
		note("%s: cannot resume from %s (%v); starting over", tempTag(kT), checkpointName(kT), err)
		if err := os.Remove(ck); err != nil {
			return nil, nil, fmt.Errorf("-out: %w", err)
		}
	}
	w, err := newReplicaWriter(cfg, kT)
	return w, nil, err
}

// progressStride is how often (in steps) Progress looks at the clock: about
// every 10⁴ steps, but at least 100 times per run so short runs report too.
func progressStride(steps int64) int64 {
	return max(1, min(10_000, steps/100))
}

func ones(n int) []float64 {
	m := make([]float64, n)
	for i := range m {
		m[i] = 1
	}
	return m
}

// outPath returns the path of a file named name in the output folder.
func outPath(dir, name string) string { return filepath.Join(dir, name) }

// dirEntries returns the names in dir, or nil if dir does not exist.
func dirEntries(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("-out: %w", err)
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}
