// Package integrators provides time integrators for package md, in reduced
// units (energies and kT in ε, lengths in σ, masses in m, time in
// τ = σ·sqrt(m/ε), friction γ in 1/τ):
//
//   - BAOAB: Langevin dynamics, Leimkuhler & Matthews, Appl. Math. Res.
//     Express 2013, 34–56 (2013). The default for sampling.
//   - Overdamped: Brownian dynamics by Euler–Maruyama, optionally
//     Metropolis-adjusted (MALA; Roberts & Tweedie, Bernoulli 2, 341 (1996)),
//     which samples exp(−U/kT) exactly at any time step.
//   - VelocityVerlet: constant-energy dynamics (Swope, Andersen, Berens &
//     Wilson, J. Chem. Phys. 76, 637 (1982)).
//
// Each integrator is a config struct that implements md.Integrator. Bind
// validates it (naming the bad field) and precomputes the per-coordinate
// constants; Advance loops over steps with no allocation, drawing noise only
// from State.Rand, and stops with an *md.NonFiniteError naming the step and
// particle when a position, force, velocity or the energy stops being
// finite. An integrator serves one state at a time; give each replica its
// own.
package integrators

import (
	"fmt"
	"math"

	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
)

// bound holds what every integrator keeps after Bind.
type bound struct {
	pot potentials.Potential
	dim int
	n   int // N·Dim
}

func (b *bound) bind(sys *md.System) error {
	if err := sys.Validate(); err != nil {
		return err
	}
	b.pot, b.dim, b.n = sys.Potential, sys.Dim, sys.Len()
	return nil
}

// check validates st and n before a call to Advance (O(1), no allocation).
func (b *bound) check(name string, st *md.State, n int, needRand bool) error {
	switch {
	case b.pot == nil:
		return fmt.Errorf("integrators: %s.Advance called before Bind", name)
	case st == nil:
		return fmt.Errorf("integrators: %s.Advance: State is nil", name)
	case n < 0:
		return fmt.Errorf("integrators: %s.Advance: n = %d steps, want ≥ 0", name, n)
	case len(st.X) != b.n || len(st.V) != b.n || len(st.F) != b.n:
		return fmt.Errorf("integrators: %s.Advance: len(X), len(V), len(F) = %d, %d, %d, want len(Masses)·Dim = %d",
			name, len(st.X), len(st.V), len(st.F), b.n)
	case needRand && st.Rand == nil:
		return fmt.Errorf("integrators: %s needs State.Rand (a *rand.Rand), got nil", name)
	}
	return nil
}

// positive reports whether v is a finite number > 0, else an error naming
// the field.
func positive(field string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return fmt.Errorf("integrators: %s = %v, want finite > 0", field, v)
	}
	return nil
}

// perCoord returns a slice of length N·Dim with f(m_i) for every coordinate
// of particle i.
func perCoord(sys *md.System, f func(m float64) float64) []float64 {
	out := make([]float64, sys.Len())
	for i, m := range sys.Masses {
		v := f(m)
		for k := 0; k < sys.Dim; k++ {
			out[i*sys.Dim+k] = v
		}
	}
	return out
}
