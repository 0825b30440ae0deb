// Package runstore is the one on-disk format of simulated trajectories: a
// folder written by Simulate (dspib simulate, the benchmarks) and read back
// by Open (dspib train, evaluation, the benchmarks, numpy).
//
// A folder holds, per temperature kT (tag <T> = traj.TempTag(kT), e.g. kT0.600):
//
//	traj_<T>.npy      frames × N·Dim positions [σ] (float64, row-major)
//	energy_<T>.npy    frames × 1 potential energy U [ε] of every stored frame
//	features_<T>.npy  with a featuriser: frames × D model features
//	<label>_<T>.npy   with a featuriser: frames × L k-means label features
//	                  (LJ7: moments_<T>.npy, (μ2, μ3))
//	traj_<T>.xyz      optional extended XYZ
//	metadata.json     traj.Metadata: system, the potential with its full
//	                  parameters, temperatures, integrator and its settings,
//	                  seeds, stride, steps, frames, files, version, and in
//	                  Extra the start configuration, the label features,
//	                  whether the run is complete and, for MALA, the
//	                  acceptance per temperature (ExtraAcceptance)
//	shard_<T>.json    instead of metadata.json, in a run simulated as shards
//	                  (SimulateShard, one process per temperature): the same
//	                  metadata plus the shard's index and completion (see
//	                  Sharded runs below)
//
// Every replica runs under md.Sanity, checked at every frame: a run that
// evaporates, blows up or (MALA) stops accepting moves ends with an error
// naming the replica, step and what was seen, and writes no final files.
//
// Files are written as NAME.part and renamed when complete; each unfinished
// temperature keeps checkpoint_<T>.bin (md.Checkpoint: positions,
// velocities, random stream) at the last frame flushed to disk. Simulate
// with the same Config reuses finished temperatures and resumes the others
// from their checkpoints; the result is byte-identical to an uninterrupted
// run.
//
// # Sharded runs
//
// A run can be split into shards, one per temperature, each simulated by
// its own process (e.g. one task of a Slurm job array) into the same folder:
// SimulateShard(ctx, cfg, i) runs only replica i of cfg. Replica i draws
// from the PCG stream (Seed, i), or (Seeds[i], 0) with per-temperature seeds:
// it depends only on i and the Config, never on which other replicas run in
// the process, so its files are byte-identical to those of a one-process
// Simulate.
//
// No file is written by two shards. Shard i writes only its own files: the
// data files of its temperature (as .part, renamed when complete), its
// checkpoint, and its marker shard_<T>.json: the run's metadata (identical in
// every shard apart from the creation time) with extra.shard = i and
// extra.complete saying whether this shard is done, written atomically at
// the start (false) and at the end (true). Shards never write metadata.json.
//
// Why markers instead of a shared, merged metadata.json: a merge needs a lock
// (flock), and advisory locks are unreliable or disabled on some cluster file
// systems (NFS without lockd, Lustre mounted without -o flock), while
// write-to-temporary-and-rename within one folder is atomic on all of them.
// With one marker per shard nothing can be lost by two concurrent writers,
// and a reader sees either the old marker or the new one, never a mixture.
//
// Readers (Open, Complete, a later Simulate) take metadata.json when it
// exists; otherwise they assemble the run's metadata from the markers, which
// must agree on every setting. The run is complete when every temperature
// has a complete marker; Open names the missing shards otherwise. A plain
// Simulate of the same Config on an assembled folder reuses every
// temperature and writes metadata.json, for readers other than this
// package (numpy users).
package runstore

import (
	"fmt"
	"github.com/dspib/dspib/md/traj"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/systems"
)

// Config is one simulation run. A zero numeric field means the system's
// default (systems.System); Validate names the first bad field.
type Config struct {
	// System is a catalogue entry (or a user's own systems.System).
	System *systems.System
	// Temperatures lists kT [ε]; nil means System.Temperatures.
	Temperatures []float64
	// Frames stored per temperature and MD steps between two frames.
	Frames, Stride int64
	// Dt [τ] and Gamma [1/τ] of the integrator.
	Dt, Gamma float64
	// Integrator names the scheme (IntegratorNames); "" means "baoab".
	Integrator string
	// Seed selects the random streams: replica i (position in
	// Temperatures) uses md.ReplicaSource(Seed, i). Seeds, if not nil, gives
	// one seed per temperature instead: replica i then uses
	// md.ReplicaSource(Seeds[i], 0), the stream of a run of that temperature
	// alone, so that it does not depend on the other temperatures or their
	// order; e.g. seeds derived from (seed, kind, kT), so that two folders at
	// the same kT draw independent streams.
	Seed  uint64
	Seeds []uint64
	// Dir is the output folder, created if missing.
	Dir string
	// XYZ also writes every trajectory as extended XYZ.
	XYZ bool
	// Force overwrites a folder that holds a run with other settings (only
	// the files its metadata lists are removed).
	Force bool
	// Checkpoint is the minimum wall time between two checkpoints of a
	// replica; 0 checkpoints at every check (1 % of the run).
	Checkpoint time.Duration
	// Log, if not nil, receives notes and per-replica progress lines, each
	// prefixed with Label (if any) and a space.
	Log   io.Writer
	Label string
	// ProgressInterval is the minimum wall time between two progress lines
	// of a replica (0: md.Progress's default).
	ProgressInterval time.Duration
	// Extra is recorded in the metadata's Extra and is part of the
	// settings a reused folder must match (e.g. {"kind": "train"}).
	Extra map[string]any

	// testObserver, if set (tests only), adds an observer to replica i,
	// fired before its checkpoint, e.g. to cancel the run at a given step.
	testObserver func(i int) md.Observer
}

// Steps returns the MD steps per temperature, Frames·Stride.
func (c *Config) Steps() int64 { return c.Frames * c.Stride }

// seed returns the seed of replica i.
func (c *Config) seed(i int) uint64 {
	if c.Seeds != nil {
		return c.Seeds[i]
	}
	return c.Seed
}

// streamIndex returns the PCG stream index of replica i: i with one Seed,
// 0 with per-temperature Seeds.
func (c *Config) streamIndex(i int) int {
	if c.Seeds != nil {
		return 0
	}
	return i
}

// Validate reports the first problem of c (after applying the defaults),
// naming the field; Simulate checks the same before touching any file.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// withDefaults returns a copy of c with the system's defaults applied,
// validated: the error names the Config field.
func (c Config) withDefaults() (*Config, error) {
	s := c.System
	if s == nil {
		return nil, fmt.Errorf("runstore: Config.System is nil")
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("runstore: Config.System: %w", err)
	}
	if c.Temperatures == nil {
		c.Temperatures = s.Temperatures
	}
	c.Temperatures = slices.Clone(c.Temperatures)
	if c.Frames == 0 {
		c.Frames = s.Frames
	}
	if c.Stride == 0 {
		c.Stride = s.Stride
	}
	if c.Integrator == "" {
		c.Integrator = "baoab"
	}
	if c.Dt == 0 {
		c.Dt = s.DefaultDt(!c.kinetic())
	}
	if c.Gamma == 0 {
		c.Gamma = s.Gamma
	}
	switch {
	case len(c.Temperatures) == 0:
		return nil, fmt.Errorf("runstore: Config.Temperatures is empty")
	case c.Frames < 1:
		return nil, fmt.Errorf("runstore: Config.Frames = %d, want ≥ 1", c.Frames)
	case c.Stride < 1:
		return nil, fmt.Errorf("runstore: Config.Stride = %d, want ≥ 1", c.Stride)
	case c.Frames > math.MaxInt64/c.Stride:
		return nil, fmt.Errorf("runstore: Config.Frames = %d × Stride %d overflows the step counter", c.Frames, c.Stride)
	case !(c.Dt > 0) || math.IsInf(c.Dt, 0):
		return nil, fmt.Errorf("runstore: Config.Dt = %v, want finite > 0", c.Dt)
	case !(c.Gamma > 0) || math.IsInf(c.Gamma, 0):
		return nil, fmt.Errorf("runstore: Config.Gamma = %v, want finite > 0", c.Gamma)
	case c.Seeds != nil && len(c.Seeds) != len(c.Temperatures):
		return nil, fmt.Errorf("runstore: Config.Seeds has %d values for %d temperatures", len(c.Seeds), len(c.Temperatures))
	case c.Checkpoint < 0:
		return nil, fmt.Errorf("runstore: Config.Checkpoint = %v, want ≥ 0", c.Checkpoint)
	case c.Dir == "":
		return nil, fmt.Errorf("runstore: Config.Dir is empty")
	}
	seen := map[string]float64{}
	for i, kT := range c.Temperatures {
		if !(kT > 0) || math.IsInf(kT, 0) {
			return nil, fmt.Errorf("runstore: Config.Temperatures[%d] = %v, want finite > 0", i, kT)
		}
		// Tags are injective by construction (TempTag); this guards that
		// promise, since every file name depends on it.
		tag := traj.TempTag(kT)
		if prev, dup := seen[tag]; dup {
			return nil, fmt.Errorf("runstore: Config.Temperatures: kT %v and %v share the file name tag %s", prev, kT, tag)
		}
		seen[tag] = kT
	}
	for _, kT := range c.Temperatures {
		in, err := NewIntegrator(c.Integrator, kT, c.Dt, c.Gamma)
		if err != nil {
			return nil, fmt.Errorf("runstore: Config.Integrator: %w", err)
		}
		if v, ok := in.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				return nil, fmt.Errorf("runstore: Config.Integrator %s: %w", c.Integrator, err)
			}
		}
	}
	return &c, nil
}

// integrator is one entry of the integrator table: the name a user gives,
// the name recorded in metadata and a constructor.
type integrator struct {
	name, meta, doc string
	new             func(kT, dt, gamma float64) md.Integrator
	// kinetic: the scheme thermostats Maxwell–Boltzmann velocities, so
	// md.Sanity checks the kinetic energy.
	kinetic bool
}

// kinetic reports whether cfg's integrator thermostats velocities.
func (c *Config) kinetic() bool {
	in, err := lookupIntegrator(c.Integrator)
	return err == nil && in.kinetic
}

// integratorTable is the one place an integrator is built from its name.
var integratorTable = []integrator{
	{"baoab", "BAOAB", "Langevin BAOAB (Leimkuhler & Matthews 2013)",
		func(kT, dt, gamma float64) md.Integrator { return &integrators.BAOAB{KT: kT, Dt: dt, Gamma: gamma} }, true},
	{"overdamped", "overdamped", "overdamped Euler–Maruyama",
		func(kT, dt, gamma float64) md.Integrator {
			return &integrators.Overdamped{KT: kT, Dt: dt, Gamma: gamma}
		}, false},
	{"mala", "MALA", "Metropolis-adjusted overdamped Langevin",
		func(kT, dt, gamma float64) md.Integrator {
			return &integrators.Overdamped{KT: kT, Dt: dt, Gamma: gamma, Metropolis: true}
		}, false},
}

func lookupIntegrator(name string) (*integrator, error) {
	for i := range integratorTable {
		if integratorTable[i].name == name {
			return &integratorTable[i], nil
		}
	}
	return nil, fmt.Errorf("unknown integrator %q, want %s", name, strings.Join(IntegratorNames(), ", "))
}

// IntegratorNames lists the integrator names NewIntegrator accepts.
func IntegratorNames() []string {
	var out []string
	for _, in := range integratorTable {
		out = append(out, in.name)
	}
	return out
}

// IntegratorHelp describes every integrator name, for help texts.
func IntegratorHelp() string {
	var parts []string
	for _, in := range integratorTable {
		parts = append(parts, in.name+" ("+in.doc+")")
	}
	return strings.Join(parts, ", ")
}

// NewIntegrator returns a fresh integrator of the scheme name at kT [ε] with
// time step dt [τ] and friction gamma [1/τ].
func NewIntegrator(name string, kT, dt, gamma float64) (md.Integrator, error) {
	in, err := lookupIntegrator(name)
	if err != nil {
		return nil, err
	}
	return in.new(kT, dt, gamma), nil
}
