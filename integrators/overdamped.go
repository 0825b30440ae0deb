package integrators

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/dspib/dspib/md"
)

// Overdamped integrates Brownian (overdamped Langevin) dynamics
//
//	γ m dx = F(x) dt + sqrt(2 γ m kT) dW
//
// with the Euler–Maruyama step, per coordinate of a particle of mass m,
//
//	x' = x + (dt/(γm))·F(x) + sqrt(2·kT·dt/(γm))·ξ,  ξ ~ N(0,1),
//
// whose stationary density differs from exp(−U/kT) by O(dt). With
// Metropolis set, x' is a proposal accepted with probability
//
//	min(1, exp(−(U(x')−U(x))/kT) · q(x|x') / q(x'|x))
//
// (the Metropolis-adjusted Langevin algorithm, MALA; Roberts & Tweedie,
// Bernoulli 2, 341 (1996); Rossky, Doll & Friedman, J. Chem. Phys. 69, 4628
// (1978)), which samples exp(−U/kT) exactly at any dt. Proposals with a
// non-finite energy or force are rejected (their Boltzmann weight is 0),
// so MALA never leaves a finite state. Velocities are neither used nor
// changed. The diffusion coefficient of a free particle is kT/(γm).
type Overdamped struct {
	KT         float64 // temperature kT [ε], > 0
	Dt         float64 // time step [τ], > 0
	Gamma      float64 // friction γ [1/τ], > 0
	Metropolis bool    // accept/reject each step (MALA)

	bound
	drift    []float64 // dt/(γm) per coordinate
	noise    []float64 // sqrt(2·kT·dt/(γm)) per coordinate
	inv2s2   []float64 // 1/(2·noise²) per coordinate
	xi       []float64 // scratch: this step's N(0,1) draws
	xp, fp   []float64 // MALA proposal buffers
	accepted int64
	proposed int64
}

// Validate reports the first bad setting, naming the field.
func (o *Overdamped) Validate() error {
	if err := positive("Overdamped.KT", o.KT); err != nil {
		return err
	}
	if err := positive("Overdamped.Dt", o.Dt); err != nil {
		return err
	}
	return positive("Overdamped.Gamma", o.Gamma)
}

// Bind implements md.Integrator. It resets the acceptance counters.
func (o *Overdamped) Bind(sys *md.System) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if err := o.bind(sys); err != nil {
		return err
	}
	o.drift = perCoord(sys, func(m float64) float64 { return o.Dt / (o.Gamma * m) })
	o.noise = perCoord(sys, func(m float64) float64 { return math.Sqrt(2 * o.KT * o.Dt / (o.Gamma * m)) })
	o.inv2s2 = perCoord(sys, func(m float64) float64 { return o.Gamma * m / (4 * o.KT * o.Dt) })
	o.xi = make([]float64, sys.Len())
	if o.Metropolis {
		o.xp = make([]float64, sys.Len())
		o.fp = make([]float64, sys.Len())
	}
	o.accepted, o.proposed = 0, 0
	return nil
}

// Acceptance returns the numbers of accepted and proposed MALA moves since
// Bind (both 0 without Metropolis), counting the moves before a checkpoint
// when the run was resumed from one.
func (o *Overdamped) Acceptance() (accepted, proposed int64) { return o.accepted, o.proposed }

// overdampedStateTag starts the checkpointed state of an Overdamped.
const overdampedStateTag = "OVD1"

// MarshalBinary implements encoding.BinaryMarshaler for md checkpoints: the
// integrator's only state across steps is its pair of MALA counters, saved
// as the tag "OVD1" and two little-endian int64 (accepted, proposed).
func (o *Overdamped) MarshalBinary() ([]byte, error) {
	b := append([]byte(nil), overdampedStateTag...)
	b = binary.LittleEndian.AppendUint64(b, uint64(o.accepted))
	return binary.LittleEndian.AppendUint64(b, uint64(o.proposed)), nil
}

// UnmarshalBinary restores the MALA counters saved by MarshalBinary (md.Run
// calls it after Bind when it resumes from a checkpoint).
func (o *Overdamped) UnmarshalBinary(b []byte) error {
	if len(b) != len(overdampedStateTag)+16 || string(b[:4]) != overdampedStateTag {
		return fmt.Errorf("integrators: Overdamped state: %d bytes, want the tag %q and two counters (20 bytes)", len(b), overdampedStateTag)
	}
	acc := int64(binary.LittleEndian.Uint64(b[4:]))
	prop := int64(binary.LittleEndian.Uint64(b[12:]))
	if acc < 0 || prop < acc {
		return fmt.Errorf("integrators: Overdamped state: accepted = %d, proposed = %d, want 0 ≤ accepted ≤ proposed", acc, prop)
	}
	o.accepted, o.proposed = acc, prop
	return nil
}

// Advance implements md.Integrator.
func (o *Overdamped) Advance(st *md.State, n int) error {
	if err := o.check("Overdamped", st, n, true); err != nil {
		return err
	}
	if o.Metropolis {
		return o.advanceMALA(st, n)
	}
	x, f := st.X, st.F[:len(st.X)]
	drift, noise, xi := o.drift[:len(x)], o.noise[:len(x)], o.xi[:len(x)]
	rng, pot, dt := st.Rand, o.pot, o.Dt
	step, t := st.Step, st.Time
	for range n {
		normals(rng, xi) // see BAOAB.Advance: no call in the update loop
		for j := range x {
			x[j] += drift[j]*f[j] + noise[j]*xi[j]
		}
		u := pot.Force(f, x)
		bad := u-u != 0 // true iff u is NaN or ±Inf
		for j := range x {
			if x[j]-x[j] != 0 || f[j]-f[j] != 0 {
				bad = true
			}
		}
		st.U = u
		if bad {
			st.Step, st.Time = step, t
			return md.FindNonFinite(st, o.dim, step+1)
		}
		step++
		t += dt
	}
	st.Step, st.Time = step, t
	return nil
}

func (o *Overdamped) advanceMALA(st *md.State, n int) error {
	x, f := st.X, st.F[:len(st.X)]
	xp, fp := o.xp[:len(x)], o.fp[:len(x)]
	drift, noise, inv2s2 := o.drift[:len(x)], o.noise[:len(x)], o.inv2s2[:len(x)]
	xi := o.xi[:len(x)]
	rng, pot, dt, beta := st.Rand, o.pot, o.Dt, 1/o.KT
	u := st.U
	for range n {
		// Proposal x' = x + a·F(x) + s·ξ; log q(x'|x) = −Σ ξ²/2 + const.
		normals(rng, xi)
		logQFwd := 0.0
		for j := range x {
			xp[j] = x[j] + drift[j]*f[j] + noise[j]*xi[j]
			logQFwd -= 0.5 * xi[j] * xi[j]
		}
		up := pot.Force(fp, xp)
		// log q(x|x') = −Σ (x − x' − a·F(x'))²/(2s²) + const.
		logQRev := 0.0
		bad := up-up != 0 // true iff up is NaN or ±Inf
		for j := range x {
			d := x[j] - xp[j] - drift[j]*fp[j]
			logQRev -= d * d * inv2s2[j]
			if xp[j]-xp[j] != 0 || fp[j]-fp[j] != 0 {
				bad = true
			}
		}
		o.proposed++
		if !bad {
			logA := -beta*(up-u) + logQRev - logQFwd
			if logA >= 0 || rng.Float64() < math.Exp(logA) {
				copy(x, xp)
				copy(f, fp)
				u = up
				o.accepted++
			}
		}
		st.Step++
		st.Time += dt
	}
	st.U = u
	return nil
}
