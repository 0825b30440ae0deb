package integrators

import "github.com/dspib/dspib/md"

// VelocityVerlet integrates Newton's equations m·dv/dt = F(x) at constant
// energy with the velocity Verlet scheme (Swope, Andersen, Berens & Wilson,
// J. Chem. Phys. 76, 637 (1982)):
//
//	v ← v + (dt/2)·F/m,  x ← x + dt·v,  (force evaluation),  v ← v + (dt/2)·F/m.
//
// It is symplectic and time-reversible: for a smooth potential and a stable
// dt the total energy fluctuates by O(dt²) without drift. It draws no random
// numbers (State.Rand may be nil).
type VelocityVerlet struct {
	Dt float64 // time step [τ], > 0

	bound
	hInvM []float64 // (dt/2)/m per coordinate
}

// Validate reports a bad setting, naming the field.
func (vv *VelocityVerlet) Validate() error { return positive("VelocityVerlet.Dt", vv.Dt) }

// Bind implements md.Integrator.
func (vv *VelocityVerlet) Bind(sys *md.System) error {
	if err := vv.Validate(); err != nil {
		return err
	}
	if err := vv.bind(sys); err != nil {
		return err
	}
	vv.hInvM = perCoord(sys, func(m float64) float64 { return 0.5 * vv.Dt / m })
	return nil
}

// Advance implements md.Integrator.
func (vv *VelocityVerlet) Advance(st *md.State, n int) error {
	if err := vv.check("VelocityVerlet", st, n, false); err != nil {
		return err
	}
	x, v, f := st.X, st.V, st.F
	hInvM := vv.hInvM[:len(x)]
	v, f = v[:len(x)], f[:len(x)]
	dt, pot := vv.Dt, vv.pot
	step, t := st.Step, st.Time
	for range n {
		for j := range x {
			vj := v[j] + hInvM[j]*f[j]
			x[j] += dt * vj
			v[j] = vj
		}
		u := pot.Force(f, x)
		bad := u-u != 0 // true iff u is NaN or ±Inf
		for j := range x {
			vj := v[j] + hInvM[j]*f[j]
			v[j] = vj
			if x[j]-x[j] != 0 || vj-vj != 0 {
				bad = true
			}
		}
		st.U = u
		if bad {
			st.Step, st.Time = step, t
			return md.FindNonFinite(st, vv.dim, step+1)
		}
		step++
		t += dt
	}
	st.Step, st.Time = step, t
	return nil
}
