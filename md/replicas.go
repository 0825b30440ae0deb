package md

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Replicas describes a set of independent runs of one System, one per
// temperature, for RunReplicas.
type Replicas struct {
	// System is shared, read-only, by every replica.
	System *System
	// Temperatures holds kT [ε] for each replica; replica i runs at
	// Temperatures[i].
	Temperatures []float64
	// NewIntegrator returns a fresh integrator for temperature kT, e.g.
	//   func(kT float64) md.Integrator { return &integrators.BAOAB{KT: kT, Dt: 0.01, Gamma: 1} }
	NewIntegrator func(kT float64) Integrator
	// X0 holds the initial positions [σ], N×Dim row-major, copied into
	// every replica.
	X0 []float64
	// V0 holds the initial velocities [σ/τ]; nil means each replica draws
	// Maxwell–Boltzmann velocities at its kT from its own stream.
	V0 []float64
	// Seed selects the random streams: replica i uses ReplicaRand(Seed, i).
	Seed uint64
	// Steps is the number of steps per replica: every replica runs until
	// its State.Step reaches Steps (a fresh one for Steps steps, a resumed
	// one for the rest).
	Steps int64
	// Resume, if non-nil, returns the state replica i continues from,
	// typically LoadCheckpoint of its checkpoint file, or (nil, nil) to start
	// afresh from NewReplicaState(i). A resumed replica whose stream and
	// integrator state were checkpointed continues bit for bit as if never
	// interrupted.
	Resume func(i int) (*State, error)
	// Skip, if non-nil, reports replicas not to run at all (for example
	// because their output is already complete); their entry in the
	// returned states is nil. Streams depend only on (Seed, i), so
	// skipping replica i changes nothing for the others.
	Skip func(i int) bool
	// Observers, if non-nil, returns the observers of replica i.
	Observers func(i int, kT float64) []Observer
	// Workers bounds the number of replicas run at once; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
}

// ReplicaSource returns the source of replica i's random stream: a PCG
// generator (O'Neill 2014, DXSM output as in math/rand/v2) seeded with
// (seed, i). It depends only on seed and i, so a replica can be run, skipped
// or resumed on its own.
func ReplicaSource(seed uint64, i int) *rand.PCG { return rand.NewPCG(seed, uint64(i)) }

// ReplicaRand returns the random stream of replica i,
// rand.New(ReplicaSource(seed, i)). Distinct replicas get distinct streams.
func ReplicaRand(seed uint64, i int) *rand.Rand {
	return rand.New(ReplicaSource(seed, i))
}

// NewReplicaState returns the initial state RunReplicas gives replica i:
// positions r.X0, the stream ReplicaRand(r.Seed, i) (with State.Src set, so
// it can be checkpointed), and velocities r.V0 or, if nil, Maxwell–Boltzmann
// at r.Temperatures[i] drawn from that stream. Running it serially with Run
// reproduces the replica bit for bit.
func (r *Replicas) NewReplicaState(i int) (*State, error) {
	if i < 0 || i >= len(r.Temperatures) {
		return nil, fmt.Errorf("md: replica index %d out of range [0, %d)", i, len(r.Temperatures))
	}
	st, err := NewState(r.System, r.X0, r.V0, nil)
	if err != nil {
		return nil, err
	}
	st.SetSource(ReplicaSource(r.Seed, i))
	if r.V0 == nil {
		if err := SampleVelocities(r.System, st, r.Temperatures[i]); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (r *Replicas) validate() error {
	if err := r.System.Validate(); err != nil {
		return err
	}
	switch {
	case len(r.Temperatures) == 0:
		return errors.New("md: Replicas.Temperatures is empty")
	case r.NewIntegrator == nil:
		return errors.New("md: Replicas.NewIntegrator is nil")
	case r.Steps < 0:
		return fmt.Errorf("md: Replicas.Steps = %d, want ≥ 0", r.Steps)
	case r.Workers < 0:
		return fmt.Errorf("md: Replicas.Workers = %d, want ≥ 0", r.Workers)
	}
	for i, kT := range r.Temperatures {
		if !(kT > 0) || math.IsInf(kT, 0) {
			return fmt.Errorf("md: Replicas.Temperatures[%d] = %v, want finite > 0", i, kT)
		}
	}
	return nil
}

// RunReplicas runs replica i at r.Temperatures[i] until step r.Steps, for
// every i not skipped by r.Skip, on at most r.Workers goroutines, and returns
// the final states in temperature order. Replica i is exactly what Run gives
// from r.NewReplicaState(i) (or the state r.Resume(i) returns) with
// integrator r.NewIntegrator(kT) and observers r.Observers(i, kT), so results
// do not depend on GOMAXPROCS or scheduling.
//
// The first failing replica cancels the others; its error, naming the
// replica and temperature, is returned together with the states reached
// (nil for replicas never started). Cancelling ctx stops all replicas and
// returns ctx.Err().
func RunReplicas(ctx context.Context, r Replicas) ([]*State, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	workers := r.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(r.Temperatures))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	states := make([]*State, len(r.Temperatures))
	var (
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	jobs := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				if r.Skip != nil && r.Skip(i) {
					continue
				}
				if err := r.runOne(ctx, i, states); err != nil {
					once.Do(func() {
						firstErr = err
						cancel()
					})
				}
			}
		})
	}
feed:
	for i := range r.Temperatures {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return states, firstErr
	}
	return states, ctx.Err()
}

func (r *Replicas) runOne(ctx context.Context, i int, states []*State) error {
	kT := r.Temperatures[i]
	if err := ctx.Err(); err != nil {
		return err
	}
	var st *State
	var err error
	if r.Resume != nil {
		if st, err = r.Resume(i); err != nil {
			return fmt.Errorf("md: replica %d (kT=%g): resume: %w", i, kT, err)
		}
	}
	if st == nil {
		if st, err = r.NewReplicaState(i); err != nil {
			return fmt.Errorf("md: replica %d (kT=%g): %w", i, kT, err)
		}
	}
	if st.Step > r.Steps {
		return fmt.Errorf("md: replica %d (kT=%g): resumed State.Step = %d is past Replicas.Steps = %d", i, kT, st.Step, r.Steps)
	}
	states[i] = st
	var obs []Observer
	if r.Observers != nil {
		obs = r.Observers(i, kT)
	}
	if err := Run(ctx, r.System, r.NewIntegrator(kT), st, r.Steps-st.Step, obs...); err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return err
		}
		return fmt.Errorf("md: replica %d (kT=%g): %w", i, kT, err)
	}
	return nil
}
