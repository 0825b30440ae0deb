package integrators

import (
	"math"

	"github.com/dspib/dspib/md"
)

// BAOAB integrates Langevin dynamics
//
//	dx = v dt,  m dv = F(x) dt − γ m v dt + sqrt(2 γ m kT) dW
//
// with the BAOAB splitting of Leimkuhler & Matthews (Appl. Math. Res.
// Express 2013, 34–56): per step of length dt,
//
//	B: v ← v + (dt/2)·F/m          A: x ← x + (dt/2)·v
//	O: v ← c·v + sqrt((1−c²)·kT/m)·ξ,  c = exp(−γ·dt), ξ ~ N(0,1)
//	A: x ← x + (dt/2)·v            (force evaluation)   B: v ← v + (dt/2)·F/m
//
// The O step is the exact Ornstein–Uhlenbeck solution, so any γ·dt is
// stable in it; configurational averages have O(dt²) error with a small
// constant (exact for a harmonic potential), one force evaluation per step.
// The Gaussian variates ξ come from State.Rand through a two-per-draw
// ziggurat (see normal.go).
type BAOAB struct {
	KT    float64 // temperature kT [ε], > 0
	Dt    float64 // time step [τ], > 0
	Gamma float64 // friction γ [1/τ], > 0

	bound
	c     float64   // exp(−γ·dt)
	hInvM []float64 // (dt/2)/m per coordinate
	sigma []float64 // sqrt((1−c²)·kT/m) per coordinate
	xi    []float64 // scratch: this step's N(0,1) draws
}

// Validate reports the first bad setting, naming the field.
func (b *BAOAB) Validate() error {
	if err := positive("BAOAB.KT", b.KT); err != nil {
		return err
	}
	if err := positive("BAOAB.Dt", b.Dt); err != nil {
		return err
	}
	return positive("BAOAB.Gamma", b.Gamma)
}

// Bind implements md.Integrator.
func (b *BAOAB) Bind(sys *md.System) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if err := b.bind(sys); err != nil {
		return err
	}
	b.c = math.Exp(-b.Gamma * b.Dt)
	oneMinusC2 := -math.Expm1(-2 * b.Gamma * b.Dt) // 1−c², accurate for small γ·dt
	b.hInvM = perCoord(sys, func(m float64) float64 { return 0.5 * b.Dt / m })
	b.sigma = perCoord(sys, func(m float64) float64 { return math.Sqrt(oneMinusC2 * b.KT / m) })
	b.xi = make([]float64, sys.Len())
	return nil
}

// Advance implements md.Integrator.
func (b *BAOAB) Advance(st *md.State, n int) error {
	if err := b.check("BAOAB", st, n, true); err != nil {
		return err
	}
	x, v, f := st.X, st.V, st.F
	hInvM, sigma, xi := b.hInvM[:len(x)], b.sigma[:len(x)], b.xi[:len(x)]
	v, f = v[:len(x)], f[:len(x)]
	h, c, dt := 0.5*b.Dt, b.c, b.Dt
	rng, pot := st.Rand, b.pot
	step, t := st.Step, st.Time
	for range n {
		// Draw the noise first: a call inside the update loop would force
		// every live slice out of registers on each coordinate.
		normals(rng, xi)
		for j := range x {
			vj := v[j] + hInvM[j]*f[j] // B
			xj := x[j] + h*vj          // A
			vj = c*vj + sigma[j]*xi[j] // O
			x[j] = xj + h*vj           // A
			v[j] = vj
		}
		u := pot.Force(f, x)
		// z−z is NaN exactly when z is NaN or ±Inf; a never-taken branch
		// costs less than a floating-point accumulation chain.
		bad := u-u != 0
		for j := range x {
			vj := v[j] + hInvM[j]*f[j] // B
			v[j] = vj
			if x[j]-x[j] != 0 || vj-vj != 0 { // a non-finite force makes vj non-finite
				bad = true
			}
		}
		st.U = u
		if bad {
			st.Step, st.Time = step, t
			return md.FindNonFinite(st, b.dim, step+1)
		}
		step++
		t += dt
	}
	st.Step, st.Time = step, t
	return nil
}
