package md

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dspib/dspib/potentials"
)

// System is the static description of a simulated system. It is never
// modified by a run and may be shared between replicas and goroutines.
type System struct {
	// Potential gives the energy U [ε] and force −∇U [ε/σ] of a
	// configuration; it must be safe for concurrent use.
	Potential potentials.Potential
	// Masses holds one mass per particle [m]; N = len(Masses).
	Masses []float64
	// Dim is the number of spatial dimensions (≥ 1).
	Dim int
}

// N returns the number of particles, len(s.Masses).
func (s *System) N() int { return len(s.Masses) }

// Len returns the length N·Dim of a coordinate, velocity or force slice.
func (s *System) Len() int { return len(s.Masses) * s.Dim }

// Validate reports the first problem with the description, naming the field.
func (s *System) Validate() error {
	switch {
	case s == nil:
		return errors.New("md: System is nil")
	case s.Potential == nil:
		return errors.New("md: System.Potential is nil")
	case s.Dim < 1:
		return fmt.Errorf("md: System.Dim = %d, want ≥ 1", s.Dim)
	case len(s.Masses) == 0:
		return errors.New("md: System.Masses is empty, want one mass per particle")
	}
	for i, m := range s.Masses {
		if !(m > 0) || math.IsInf(m, 0) {
			return fmt.Errorf("md: System.Masses[%d] = %v, want a finite mass > 0", i, m)
		}
	}
	return nil
}

// State is the mutable state of one trajectory: the record an integrator
// advances. Slice fields are N particles × Dim coordinates, row-major.
//
// A State belongs to one goroutine at a time.
type State struct {
	// X holds the positions [σ], N×Dim row-major.
	X []float64
	// V holds the velocities [σ/τ], N×Dim row-major. Overdamped dynamics
	// leaves V untouched.
	V []float64
	// F holds the forces −∇U(X) [ε/σ], N×Dim row-major; it always
	// matches X.
	F []float64
	// U is the potential energy U(X) [ε].
	U float64
	// Step counts the completed integration steps.
	Step int64
	// Time is the simulated time [τ].
	Time float64
	// Rand is this trajectory's random stream (math/rand/v2, PCG
	// recommended). Stochastic integrators draw from it and nothing else;
	// deterministic ones (VelocityVerlet) allow it to be nil.
	Rand *rand.Rand
	// Src is the source behind Rand, kept so that a checkpoint can save
	// the stream's exact position (a *rand.Rand holds no state besides its
	// source, but does not expose it). NewReplicaState, LoadCheckpoint and
	// SetSource set it; a checkpoint of a state with Rand ≠ nil and
	// Src = nil is refused.
	Src Source

	// integState is integrator state read by LoadCheckpoint, restored by
	// Run after Bind and then cleared.
	integState []byte
}

// Source is a random source whose complete state can be saved and restored
// bit for bit: *rand.PCG and *rand.ChaCha8 of math/rand/v2 qualify.
type Source interface {
	rand.Source
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// SetSource makes src the state's random stream: Rand = rand.New(src) and
// Src = src.
func (st *State) SetSource(src Source) {
	st.Src = src
	st.Rand = rand.New(src)
}

// NewState returns a state at positions x [σ] and velocities v [σ/τ] (nil
// means zero), both N×Dim row-major, with forces and energy evaluated. It
// copies x and v. It returns an error naming the problem if the system is
// invalid, a length does not match len(sys.Masses)·sys.Dim, or a position,
// velocity, force or the energy is not finite.
func NewState(sys *System, x, v []float64, rng *rand.Rand) (*State, error) {
	if err := sys.Validate(); err != nil {
		return nil, err
	}
	n := sys.Len()
	if len(x) != n {
		return nil, fmt.Errorf("md: len(x) = %d, want len(Masses)·Dim = %d·%d = %d", len(x), sys.N(), sys.Dim, n)
	}
	if v != nil && len(v) != n {
		return nil, fmt.Errorf("md: len(v) = %d, want len(Masses)·Dim = %d·%d = %d", len(v), sys.N(), sys.Dim, n)
	}
	st := &State{
		X:    append([]float64(nil), x...),
		V:    make([]float64, n),
		F:    make([]float64, n),
		Rand: rng,
	}
	if v != nil {
		copy(st.V, v)
	}
	if err := nonFinite(st.X, sys.Dim, "initial position"); err != nil {
		return nil, err
	}
	if err := nonFinite(st.V, sys.Dim, "initial velocity"); err != nil {
		return nil, err
	}
	// Length, finiteness of U and F, and the potential's own checks.
	if err := potentials.Validate(sys.Potential, st.X); err != nil {
		return nil, fmt.Errorf("md: initial positions: %w", err)
	}
	st.U = sys.Potential.Force(st.F, st.X)
	return st, nil
}

// Check reports whether the state's slices fit sys, naming the field.
func (st *State) Check(sys *System) error {
	if st == nil {
		return errors.New("md: State is nil")
	}
	n := sys.Len()
	switch {
	case len(st.X) != n:
		return fmt.Errorf("md: len(State.X) = %d, want len(Masses)·Dim = %d", len(st.X), n)
	case len(st.V) != n:
		return fmt.Errorf("md: len(State.V) = %d, want len(Masses)·Dim = %d", len(st.V), n)
	case len(st.F) != n:
		return fmt.Errorf("md: len(State.F) = %d, want len(Masses)·Dim = %d", len(st.F), n)
	case st.Step < 0:
		return fmt.Errorf("md: State.Step = %d, want ≥ 0", st.Step)
	}
	return nil
}

// NonFiniteError reports a NaN or Inf produced by a step: a blow-up, usually
// from a time step too large for the potential.
type NonFiniteError struct {
	Step int64 // number of the step that produced the value (State.Step+1)
	// Particle is the first particle with a non-finite Quantity; for a
	// non-finite energy with finite vectors, the particle under the
	// largest force.
	Particle int
	Quantity string // "position", "force", "velocity" or "energy"
}

func (e *NonFiniteError) Error() string {
	if e.Quantity == "energy" {
		return fmt.Sprintf("md: step %d: non-finite energy (largest force on particle %d)", e.Step, e.Particle)
	}
	return fmt.Sprintf("md: step %d: non-finite %s of particle %d", e.Step, e.Quantity, e.Particle)
}

// FindNonFinite returns a *NonFiniteError for the first non-finite position,
// force, velocity (in that order: the likely cause first) or energy in st, blamed on step, or nil if
// everything is finite. Integrators call it on their slow path, after a cheap
// in-loop test has seen a NaN or Inf.
func FindNonFinite(st *State, dim int, step int64) error {
	for _, q := range []struct {
		name string
		s    []float64
	}{{"position", st.X}, {"force", st.F}, {"velocity", st.V}} {
		for j, v := range q.s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return &NonFiniteError{Step: step, Particle: j / dim, Quantity: q.name}
			}
		}
	}
	if math.IsNaN(st.U) || math.IsInf(st.U, 0) {
		// Finite vectors with an infinite energy: blame the particle under
		// the largest force, usually the one flying off.
		worst, fmax := 0, -1.0
		for j, f := range st.F {
			if a := math.Abs(f); a > fmax {
				worst, fmax = j/dim, a
			}
		}
		return &NonFiniteError{Step: step, Particle: worst, Quantity: "energy"}
	}
	return nil
}

func nonFinite(s []float64, dim int, what string) error {
	for j, v := range s {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("md: %s[%d] (particle %d, coordinate %d) = %v is not finite", what, j, j/dim, j%dim, v)
		}
	}
	return nil
}

// KineticEnergy returns K = ½ Σ m_i |v_i|² [ε] for velocities v (N×Dim
// row-major, [σ/τ]).
func KineticEnergy(sys *System, v []float64) float64 {
	d := sys.Dim
	k := 0.0
	for i, m := range sys.Masses {
		s := 0.0
		for _, vi := range v[i*d : i*d+d] {
			s += vi * vi
		}
		k += m * s
	}
	return 0.5 * k
}

// KineticTemperature returns the instantaneous kinetic temperature
// kT_kin = 2K/(N·Dim) [ε], whose Boltzmann average is kT. All N·Dim degrees
// of freedom count: a Langevin thermostat does not conserve momentum. (For
// NVE runs with zero total momentum the average is kT·(N·Dim−Dim)/(N·Dim).)
func KineticTemperature(sys *System, v []float64) float64 {
	return 2 * KineticEnergy(sys, v) / float64(sys.Len())
}

// SampleVelocities draws st.V from the Maxwell–Boltzmann distribution at
// temperature kT [ε], v_ik ~ N(0, kT/m_i), using st.Rand.
func SampleVelocities(sys *System, st *State, kT float64) error {
	if !(kT >= 0) || math.IsInf(kT, 0) {
		return fmt.Errorf("md: SampleVelocities: kT = %v, want finite ≥ 0", kT)
	}
	if st.Rand == nil {
		return errors.New("md: SampleVelocities: State.Rand is nil")
	}
	if err := st.Check(sys); err != nil {
		return err
	}
	d := sys.Dim
	for i, m := range sys.Masses {
		s := math.Sqrt(kT / m)
		for k := 0; k < d; k++ {
			st.V[i*d+k] = s * st.Rand.NormFloat64()
		}
	}
	return nil
}
