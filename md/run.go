package md

import (
	"context"
	"encoding"
	"errors"
	"fmt"
)

// Integrator advances a State in time. Implementations live in package
// integrators (BAOAB, Overdamped, VelocityVerlet).
//
// An integrator value is a small config struct plus the constants derived
// from it at Bind (friction factors, noise scales per mass); like an OpenMM
// Integrator it serves one run at a time. It never owns the potential's
// caches and never uses a global random source: noise comes from State.Rand.
type Integrator interface {
	// Bind validates the settings against sys, naming any bad field, and
	// precomputes everything the step needs. Run calls it once per run.
	Bind(sys *System) error
	// Advance performs n steps on st (n ≥ 0), updating X, V, F, U, Step
	// and Time. It loops internally, with no allocation. If a step makes a
	// position, velocity, force or the energy non-finite, Advance stops and
	// returns a *NonFiniteError naming that step and particle; st.Step then
	// counts the completed finite steps, and st holds the failed values,
	// which no observer sees.
	Advance(st *State, n int) error
}

// Observer is called by Run after every step whose number is a multiple of
// Every(). Observers must not modify the state.
type Observer interface {
	// Every returns the stride in steps; ≤ 0 means never (the observer
	// then sees only Start and Flush if it has them).
	Every() int64
	// Observe records or reports the state after step st.Step.
	Observe(st *State) error
}

// Starter is implemented by observers that need the system or the run
// length before the first step (for example to size buffers or estimate an
// ETA). Run calls Start once, before stepping.
type Starter interface {
	Start(sys *System, st *State, nsteps int64) error
}

// Flusher is implemented by observers that buffer output. Run calls Flush
// once when the run ends, also after an error or cancellation.
type Flusher interface {
	Flush() error
}

// Finisher is implemented by observers that need to know how a run ended:
// Run calls Finish once at the end, before any Flush, with the state and the
// error Run is about to return (nil for a complete run; ctx.Err() after a
// cancellation). Checkpoint uses it to save the state of an interrupted run;
// Progress to say that the run was interrupted.
type Finisher interface {
	Finish(st *State, runErr error) error
}

// integratorUser is implemented by observers that need the run's
// integrator (Checkpoint saves its state); Run hands it over before Start.
type integratorUser interface {
	useIntegrator(Integrator)
}

// maxChunk bounds the steps between context checks when no observer is due.
const maxChunk = 4096

// Run advances st by nsteps steps of integ on sys, calling each observer
// after every step whose number st.Step is a multiple of its Every(). The
// integrator runs uninterrupted between observer firings.
//
// Checkpoint observers fire after every other observer due at the same step,
// so that a checkpoint at step s includes the frame recorded at step s. If
// st came from LoadCheckpoint with integrator state, Run restores that state
// into integ after Bind (integ must implement encoding.BinaryUnmarshaler).
//
// If ctx is cancelled, Run stops at the next chunk boundary (at most 4096
// steps later) and returns ctx.Err(); st is then a valid state at st.Step.
// Errors from the integrator or an observer stop the run and are returned
// with the step number; Flush errors are joined to the result.
func Run(ctx context.Context, sys *System, integ Integrator, st *State, nsteps int64, obs ...Observer) (err error) {
	if err := sys.Validate(); err != nil {
		return err
	}
	if err := st.Check(sys); err != nil {
		return err
	}
	if integ == nil {
		return errors.New("md: Run: Integrator is nil")
	}
	if nsteps < 0 {
		return fmt.Errorf("md: Run: nsteps = %d, want ≥ 0", nsteps)
	}
	for i, o := range obs {
		if o == nil {
			return fmt.Errorf("md: Run: observer %d is nil", i)
		}
	}
	if err := integ.Bind(sys); err != nil {
		return err
	}
	if st.integState != nil {
		u, ok := integ.(encoding.BinaryUnmarshaler)
		if !ok {
			return fmt.Errorf("md: Run: the checkpointed state carries %d bytes of integrator state but %T cannot restore it (no UnmarshalBinary method): a different integrator?", len(st.integState), integ)
		}
		if err := u.UnmarshalBinary(st.integState); err != nil {
			return fmt.Errorf("md: Run: restoring the checkpointed state of %T: %w", integ, err)
		}
		st.integState = nil
	}
	// Observers fire in the order given, except that checkpoints come last.
	order := make([]int, 0, len(obs))
	for pass := range 2 {
		for i, o := range obs {
			if _, ck := o.(*Checkpoint); ck == (pass == 1) {
				order = append(order, i)
			}
		}
	}
	for _, o := range obs {
		if u, ok := o.(integratorUser); ok {
			u.useIntegrator(integ)
		}
	}
	defer func() {
		for _, o := range obs {
			if f, ok := o.(Finisher); ok {
				if ferr := f.Finish(st, err); ferr != nil {
					err = errors.Join(err, ferr)
				}
			}
		}
		for _, o := range obs {
			if f, ok := o.(Flusher); ok {
				if ferr := f.Flush(); ferr != nil {
					err = errors.Join(err, ferr)
				}
			}
		}
	}()
	for _, o := range obs {
		if s, ok := o.(Starter); ok {
			if err := s.Start(sys, st, nsteps); err != nil {
				return err
			}
		}
	}
	strides := make([]int64, len(obs))
	for i, o := range obs {
		strides[i] = o.Every()
	}
	end := st.Step + nsteps
	for st.Step < end {
		if err := ctx.Err(); err != nil {
			return err
		}
		next := min(end, st.Step+maxChunk)
		for _, e := range strides {
			if e > 0 {
				next = min(next, (st.Step/e+1)*e)
			}
		}
		if err := integ.Advance(st, int(next-st.Step)); err != nil {
			return err
		}
		for _, i := range order {
			if e := strides[i]; e > 0 && st.Step%e == 0 {
				if err := obs[i].Observe(st); err != nil {
					return fmt.Errorf("md: step %d: observer %d: %w", st.Step, i, err)
				}
			}
		}
	}
	return nil
}
