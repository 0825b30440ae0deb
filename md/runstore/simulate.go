package runstore

import (
	"context"
	"errors"
	"fmt"
	"github.com/dspib/dspib/internal/folderlock"
	"github.com/dspib/dspib/md/traj"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dspib/dspib/internal/syncio"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/systems"
)

// ErrFolder is wrapped by the errors of Simulate about its output folder
// (not empty, another run's settings, unreadable metadata).
var ErrFolder = errors.New("runstore: output folder")

// Simulate runs the replicas of cfg, writing into cfg.Dir (see the package
// doc for the files), with notes and progress to cfg.Log.
//
// Order of work: check the folder (reuse or refuse), write metadata.json with
// "complete": false, stream each unfinished replica to .part files (resuming
// it from its checkpoint if the folder holds one from the same settings),
// checkpointing it together with a flush of its files, rename the files of
// every replica that stored all its frames and delete its checkpoint, and
// finally rewrite metadata.json with "complete": true if every replica is
// done. Finished replicas are skipped; since replica i's stream depends
// only on (seed, i), the others are unaffected.
func Simulate(ctx context.Context, config Config) error {
	return simulate(ctx, config, wholeRun{})
}

// simulate is Simulate restricted to the replicas of scope sc: the others
// are neither run nor touched (their files, checkpoints, markers).
func simulate(ctx context.Context, config Config, sc scope) error {
	cfg, err := config.withDefaults()
	if err != nil {
		return err
	}
	if err := sc.check(cfg); err != nil {
		return err
	}
	// No second process may write the folder (or this shard of it) while
	// this one runs; the lock is taken before the folder is looked at.
	release, err := sc.lock(cfg)
	if err != nil {
		return fmt.Errorf("runstore: %w", err)
	}
	defer release()
	var logw io.Writer = io.Discard
	if cfg.Log != nil {
		logw = syncio.NewWriter(cfg.Log)
	}
	prefix := ""
	if cfg.Label != "" {
		prefix = cfg.Label + " "
	}
	note := func(format string, args ...any) {
		format = prefix + format
		if cfg.Log != nil {
			fmt.Fprintf(logw, format+"\n", args...)
		}
	}
	meta, err := newMetadata(cfg)
	if err != nil {
		return err
	}
	done, reuse, err := sc.prepare(cfg, meta, note)
	if err != nil {
		return err
	}
	// Replicas outside the scope count as done: they are skipped.
	for i := range done {
		done[i] = done[i] || !sc.in(i)
	}
	// Checkpoints are trusted only in a folder of the same settings, and
	// only for replicas still to run.
	for i, kT := range cfg.Temperatures {
		if !sc.in(i) {
			continue
		}
		if done[i] || !reuse {
			if err := os.Remove(outPath(cfg.Dir, checkpointName(kT))); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("runstore: %w", err)
			}
		}
	}
	todo := 0
	for _, d := range done {
		if !d {
			todo++
		}
	}
	// Acceptance rates of replicas finished by an earlier run stay recorded.
	acceptance := previousAcceptance(cfg, sc.metadataName(cfg), done)
	if len(acceptance) > 0 {
		meta.Extra[ExtraAcceptance] = acceptance
	}
	if todo == 0 {
		note("%s already complete in %s (same settings); nothing to run", sc.describe(cfg), cfg.Dir)
		return sc.writeMetadata(cfg, meta, true)
	}
	if err := sc.writeMetadata(cfg, meta, false); err != nil {
		return err
	}

	spec := cfg.System
	sys := spec.MD()
	writers := make([]*replicaWriter, len(cfg.Temperatures))
	resumed := make([]*md.State, len(cfg.Temperatures))
	abortAll := func() {
		for _, w := range writers {
			if w != nil {
				w.abort()
			}
		}
	}
	for i, kT := range cfg.Temperatures {
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
	note("simulating %s of %s at kT = %s: %d steps (%d frames, stride %d), %s dt = %g, gamma = %g, seeds %v, into %s",
		sc.describe(cfg), spec.Name, systems.FormatTemps(cfg.Temperatures), cfg.Steps(), cfg.Frames, cfg.Stride, meta.Integrator.Name, cfg.Dt, cfg.Gamma, meta.Seeds, cfg.Dir)
	reps := md.Replicas{
		System:       sys,
		Temperatures: cfg.Temperatures,
		NewIntegrator: func(kT float64) md.Integrator {
			in, _ := NewIntegrator(cfg.Integrator, kT, cfg.Dt, cfg.Gamma) // validated in withDefaults
			return in
		},
		X0:    spec.Start(),
		Steps: cfg.Steps(),
		Skip:  func(i int) bool { return done[i] },
	}
	// Replica i starts from its stream PCG(seed(i), streamIndex(i)): with
	// one Seed, md.RunReplicas's own rule PCG(Seed, i); with Seeds, the
	// stream PCG(Seeds[i], 0) of a run of that temperature alone.
	reps.Resume = func(i int) (*md.State, error) {
		if resumed[i] != nil {
			return resumed[i], nil
		}
		// What md.Replicas.NewReplicaState does, with this stream.
		st, err := md.NewState(sys, reps.X0, nil, nil)
		if err != nil {
			return nil, err
		}
		st.SetSource(md.ReplicaSource(cfg.seed(i), cfg.streamIndex(i)))
		return st, md.SampleVelocities(sys, st, cfg.Temperatures[i])
	}

	// The sanity check runs before the writer, so that an absurd state
	// stops the run before it is stored; its energy reference is the
	// catalogue's start configuration, a minimum for the built-in systems.
	uMin := spec.Potential.Force(make([]float64, spec.Len()), spec.Start())
	sanity := make([]*md.Sanity, len(cfg.Temperatures))
	var warnw io.Writer
	if cfg.Log != nil {
		warnw = logw
	}
	reps.Observers = func(i int, kT float64) []md.Observer {
		sanity[i] = &md.Sanity{KT: kT, UMin: uMin, Kinetic: cfg.kinetic(), Stride: cfg.Stride, Warn: warnw, Label: prefix + traj.TempTag(kT)}
		obs := []md.Observer{sanity[i], writers[i]}
		if cfg.testObserver != nil {
			obs = append(obs, cfg.testObserver(i))
		}
		// Run fires the checkpoint after the writer, so the frame of the
		// checkpoint's own step is flushed with it.
		obs = append(obs, &md.Checkpoint{
			Path:     outPath(cfg.Dir, checkpointName(kT)),
			Stride:   progressStride(cfg.Steps()),
			Interval: cfg.Checkpoint,
			Sync:     writers[i].sync,
		})
		if cfg.Log != nil {
			obs = append(obs, &md.Progress{W: logw, Label: prefix + traj.TempTag(kT), Stride: progressStride(cfg.Steps()), Interval: cfg.ProgressInterval})
		}
		return obs
	}
	_, runErr := md.RunReplicas(ctx, reps)
	for i, sn := range sanity {
		if sn == nil {
			continue
		}
		if a, n := sn.Acceptance(); n > 0 {
			acceptance[traj.TempTag(cfg.Temperatures[i])] = AcceptanceInfo{Accepted: a, Proposed: n, Rate: float64(a) / float64(n)}
		}
	}
	if len(acceptance) > 0 {
		meta.Extra[ExtraAcceptance] = acceptance
	}

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
		if err := os.Remove(outPath(cfg.Dir, checkpointName(cfg.Temperatures[i]))); err != nil && !errors.Is(err, os.ErrNotExist) {
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
				partial = append(partial, traj.TempTag(cfg.Temperatures[i]))
			}
		}
		var insane *md.SanityError
		switch {
		case len(partial) > 0 && errors.As(runErr, &insane):
			runErr = fmt.Errorf("%w\nunfinished temperatures %s left as .part files in %s; re-running the same settings fails the same way: change them (with -force to replace this run)",
				runErr, strings.Join(partial, ", "), cfg.Dir)
		case len(partial) > 0:
			runErr = fmt.Errorf("%w\nunfinished temperatures %s left as .part files with checkpoints in %s; re-run the same command to continue them",
				runErr, strings.Join(partial, ", "), cfg.Dir)
		}
		return errors.Join(append([]error{runErr}, errs...)...)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if !allDone {
		return fmt.Errorf("runstore: a replica stopped before storing %d frames without an error (internal error)", cfg.Frames)
	}
	if err := sc.writeMetadata(cfg, meta, true); err != nil {
		return err
	}
	note("wrote %d temperatures to %s (%s lists the files)", todo, cfg.Dir, sc.metadataName(cfg))
	return nil
}

// startReplica prepares the unfinished replica at kT: it resumes it from its
// checkpoint if there is one (returning the restored state), and otherwise,
// or if resuming fails (noted, then the checkpoint is removed), creates fresh
// .part files and returns a nil state (RunReplicas then starts the replica
// from the beginning).
func startReplica(cfg *Config, sys *md.System, kT float64, note func(string, ...any)) (*replicaWriter, *md.State, error) {
	ck := outPath(cfg.Dir, checkpointName(kT))
	if _, err := os.Stat(ck); err == nil {
		w, st, err := resumeReplica(cfg, sys, kT, ck)
		if err == nil {
			note("%s: resuming from its checkpoint at step %d of %d (%d frames kept)", traj.TempTag(kT), st.Step, cfg.Steps(), w.frames)
			return w, st, nil
		}
		note("%s: cannot resume from %s (%v); starting over", traj.TempTag(kT), checkpointName(kT), err)
		if err := os.Remove(ck); err != nil {
			return nil, nil, fmt.Errorf("runstore: %w", err)
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

// outPath returns the path of a file named name in the output folder.
func outPath(dir, name string) string { return filepath.Join(dir, name) }

// dirEntries returns the names in dir but its lock files, or nil if dir
// does not exist.
func dirEntries(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("runstore: %w", err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), folderlock.Name) { // the folder's locks are not content
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Complete reports whether cfg.Dir already holds the complete run of cfg
// (same settings, every file final with the right shape), so that Simulate
// would run nothing.
func Complete(config Config) bool {
	cfg, err := config.withDefaults()
	if err != nil {
		return false
	}
	meta, err := newMetadata(cfg)
	if err != nil {
		return false
	}
	old, _, err := readRunMetadata(cfg.Dir)
	if err != nil {
		return false
	}
	if c, _ := old.Extra[ExtraComplete].(bool); !c {
		return false
	}
	if diffs, err := metadataDiff(old, meta); err != nil || len(diffs) > 0 {
		return false
	}
	for _, kT := range cfg.Temperatures {
		if ok, _ := replicaComplete(cfg, kT); !ok {
			return false
		}
	}
	return true
}
