package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dspib/dspib/md/runstore"
	"github.com/dspib/dspib/pipeline"
	"github.com/dspib/dspib/systems"
)

func init() {
	register(command{name: "simulate", summary: "run Langevin MD at several temperatures; write trajectories, features, metadata.json", run: runSimulate})
}

// simFlags are the raw flag values; a zero value means "the system's
// default" for the numeric ones, but only when the flag is not given at all:
// an explicit -dt 0 is an error.
type simFlags struct {
	system, temps, integrator, out string
	seedTag, shard                 string
	frames, steps, stride          int64
	dt, gamma                      float64
	seed                           uint64
	xyz, quiet, force              bool
	checkpoint                     time.Duration
}

func newSimFlagSet(f *simFlags, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.system, "system", "", "model system: "+strings.Join(systems.Names(), ", ")+" (required)")
	fs.StringVar(&f.temps, "temps", "", "comma-separated temperatures kT [ε], e.g. 0.6,0.8,1.0 (default: the system's list)")
	fs.Int64Var(&f.frames, "frames", 0, "frames stored per temperature (default: the system's; or give -steps)")
	fs.Int64Var(&f.steps, "steps", 0, "MD steps per temperature, a multiple of -stride (alternative to -frames)")
	fs.Int64Var(&f.stride, "stride", 0, "MD steps between stored frames (default: the system's)")
	fs.Float64Var(&f.dt, "dt", 0, "time step [τ] (default: the system's)")
	fs.Float64Var(&f.gamma, "gamma", 0, "friction γ [1/τ] (default: the system's)")
	fs.StringVar(&f.integrator, "integrator", "baoab", runstore.IntegratorHelp())
	fs.Uint64Var(&f.seed, "seed", 1, "random seed; replica i uses the PCG stream (seed, i)")
	fs.StringVar(&f.seedTag, "seed-tag", "", "if set, temperature kT uses the stream named (seed, TAG, kT) (internal/stream), independent of the other temperatures; the benchmarks' runs are \"md/train\" and \"md/ref\"")
	fs.StringVar(&f.out, "out", "", "output folder (required; created if missing)")
	fs.BoolVar(&f.xyz, "xyz", false, "also write each trajectory as extended XYZ (traj_kT….xyz), for LJ7 viewers")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress or notes on stderr")
	fs.BoolVar(&f.force, "force", false, "overwrite a folder that holds a run with different settings")
	fs.StringVar(&f.shard, "shard", "", "run only shard I (0-based): the I-th temperature of -temps, into the shared -out folder; \"all\": the whole run\n(default: $"+arrayTaskEnv+" when set, as in a Slurm job array task, else all)")
	fs.DurationVar(&f.checkpoint, "checkpoint", time.Minute, "minimum wall time between checkpoints of each temperature (0: every 1% of the run)")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, `Usage: dspib simulate -system NAME -out DIR [flags]

Runs Langevin dynamics of a model system at every temperature of -temps in
parallel (one PCG random stream per replica, so the output depends only on
the flags) and writes to DIR:

  traj_kT<T>.npy      frames × N·D positions [σ] (float64, row-major)
  energy_kT<T>.npy    frames × 1 potential energy [ε] of every stored frame
  features_kT<T>.npy  LJ7 only: frames × 7 sorted coordination numbers
  moments_kT<T>.npy   LJ7 only: frames × 2 moments (μ2, μ3)
  traj_kT<T>.xyz      with -xyz: extended XYZ frames
  metadata.json       system, potential with its parameters, temperatures,
                      integrator and its settings, seeds and streams, stride, files

<T> is kT with three decimals, more only if needed (kT 0.6 → kT0.600). Files are written as
NAME.part and renamed when complete, so an interrupted run (Ctrl-C) leaves
only .part files, plus checkpoint_kT<T>.bin: the exact state (positions,
velocities, random stream) at the last frame flushed to disk, saved every
-checkpoint and when the run is interrupted. Re-running the same command
reuses finished temperatures and continues the others from their
checkpoints; the result is byte-identical to an uninterrupted run.

Shards (clusters): -shard I runs only temperature I (0-based, in the order of
-temps) of the run the other flags describe, so that one job per temperature
(e.g. the tasks of a Slurm job array; see 'dspib help slurm') can write into
one shared folder. Without -shard, $SLURM_ARRAY_TASK_ID selects the shard
when it is set; -shard all runs every temperature even then. A shard writes
only its own files and shard_kT<T>.json (the run's metadata with its shard
index and whether it is complete), never metadata.json, so concurrent shards
never write the same file. A shard's files are byte-identical to those of the
same temperature in a one-process run (replica i uses the PCG stream (seed,
i) wherever it runs). train, evaluate and encode read the assembled folder and
name any missing shard; running the same command without -shard (and
SLURM_ARRAY_TASK_ID unset) afterwards runs nothing and writes metadata.json.
-force cannot be combined with a shard.

Defaults per system (reduced units):
`)
		for _, s := range systems.All() {
			fmt.Fprintf(w, "  %s\n", s.String())
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

// parseSimulate parses and validates the simulate flags into a run store
// configuration (zero fields: the system's defaults) and the shard to run
// (-1: all), and returns a *usageError naming the flag on bad input. getenv
// reads SLURM_ARRAY_TASK_ID.
func parseSimulate(args []string, stderr io.Writer, getenv func(string) string) (*runstore.Config, int, error) {
	var f simFlags
	fs := newSimFlagSet(&f, stderr)
	set, err := parseFlags(fs, args)
	if err != nil {
		return nil, 0, err
	}
	cfg, err := f.config(set, stderr)
	if err != nil {
		return nil, 0, err
	}
	shard, err := f.shardIndex(set, getenv)
	return cfg, shard, err
}

// arrayTaskEnv is the variable in which Slurm gives a job array task its
// index.
const arrayTaskEnv = "SLURM_ARRAY_TASK_ID"

// shardIndex returns the shard -shard selects (-1: the whole run): the flag
// if given, else $SLURM_ARRAY_TASK_ID if set, else -1.
func (f *simFlags) shardIndex(set map[string]bool, getenv func(string) string) (int, error) {
	v, from := f.shard, "-shard"
	if !set["shard"] {
		v, from = getenv(arrayTaskEnv), arrayTaskEnv
		if v == "" {
			return -1, nil
		}
	}
	if v == "all" && from == "-shard" {
		return -1, nil
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || i < 0 {
		return 0, usagef("%s: %q is not a shard index (an integer ≥ 0, or \"all\" for -shard)", from, v)
	}
	return i, nil
}

// config validates the flags in one place. set holds the flags given on the
// command line; an explicit zero (-dt 0) is an error, not the default.
func (f *simFlags) config(set map[string]bool, stderr io.Writer) (*runstore.Config, error) {
	names := strings.Join(systems.Names(), ", ")
	if f.system == "" {
		return nil, usagef("-system: required (%s)", names)
	}
	sys, ok := systems.Lookup(f.system)
	if !ok {
		return nil, usagef("-system: unknown system %q, want %s", f.system, names)
	}
	c := &runstore.Config{System: sys, Seed: f.seed, XYZ: f.xyz, Force: f.force, Integrator: f.integrator}
	if !f.quiet {
		c.Log = stderr
	}
	if set["temps"] {
		temps, err := parseTemps(f.temps)
		if err != nil {
			return nil, err
		}
		c.Temperatures = temps
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
	stride := sys.Stride
	if set["stride"] {
		if f.stride <= 0 {
			return nil, usagef("-stride: must be ≥ 1 step, got %d", f.stride)
		}
		c.Stride, stride = f.stride, f.stride
	}
	if set["frames"] && f.frames <= 0 {
		return nil, usagef("-frames: must be ≥ 1, got %d", f.frames)
	}
	if set["steps"] && f.steps <= 0 {
		return nil, usagef("-steps: must be ≥ 1, got %d", f.steps)
	}
	switch {
	case set["steps"]:
		if f.steps%stride != 0 {
			return nil, usagef("-steps: %d is not a multiple of the stride %d (frames are stored every stride steps)", f.steps, stride)
		}
		if set["frames"] && f.frames != f.steps/stride {
			return nil, usagef("-frames %d and -steps %d disagree: with stride %d they give %d frames; give only one", f.frames, f.steps, stride, f.steps/stride)
		}
		c.Frames = f.steps / stride
	case set["frames"]:
		c.Frames = f.frames
	}
	if c.Frames > math.MaxInt64/stride {
		return nil, usagef("-frames: %d frames × stride %d overflows the step counter", c.Frames, stride)
	}
	if _, err := runstore.NewIntegrator(f.integrator, 1, 1, 1); err != nil {
		return nil, usagef("-integrator: %v", err)
	}
	if f.checkpoint < 0 {
		return nil, usagef("-checkpoint: must be ≥ 0, got %v", f.checkpoint)
	}
	c.Checkpoint = f.checkpoint
	if f.seedTag != "" {
		temps := c.Temperatures
		if temps == nil {
			temps = sys.Temperatures
		}
		c.Seeds = pipeline.MDSeeds(f.seed, f.seedTag, temps)
	}
	if f.out == "" {
		return nil, usagef("-out: required (the folder for the output files)")
	}
	c.Dir = f.out
	return c, nil
}

// runSimulate implements "dspib simulate": flags, then runstore.Simulate.
func runSimulate(ctx context.Context, args []string, _, stderr io.Writer) error {
	cfg, shard, err := parseSimulate(args, stderr, os.Getenv)
	if err != nil {
		return err
	}
	// The integrator and the potential check themselves (naming their own
	// fields) before any file is touched.
	if err := cfg.Validate(); err != nil {
		return usagef("-system %s -integrator %s: %v", cfg.System.Name, cfg.Integrator, err)
	}
	if shard >= 0 {
		all := cfg.Temperatures
		if all == nil {
			all = cfg.System.Temperatures
		}
		if shard >= len(all) {
			return usagef("-shard %d: the run has %d temperatures (%s), so shards 0 to %d", shard, len(all), systems.FormatTemps(all), len(all)-1)
		}
		if cfg.Force {
			return usagef("-force cannot be used with a shard (it would delete files other shards are writing); empty %s first", cfg.Dir)
		}
		err = runstore.SimulateShard(ctx, *cfg, shard)
	} else {
		err = runstore.Simulate(ctx, *cfg)
	}
	if errors.Is(err, runstore.ErrFolder) {
		return usagef("-out: %v", err)
	}
	return err
}
