package integrators_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/internal/testdata"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
)

// all returns one integrator of each kind with valid settings.
func all() map[string]func() md.Integrator {
	return map[string]func() md.Integrator{
		"BAOAB":          func() md.Integrator { return &integrators.BAOAB{KT: 0.5, Dt: 0.005, Gamma: 1} },
		"Overdamped":     func() md.Integrator { return &integrators.Overdamped{KT: 0.5, Dt: 0.0005, Gamma: 1} },
		"MALA":           func() md.Integrator { return &integrators.Overdamped{KT: 0.5, Dt: 0.0005, Gamma: 1, Metropolis: true} },
		"VelocityVerlet": func() md.Integrator { return &integrators.VelocityVerlet{Dt: 0.005} },
	}
}

// lj7Run advances LJ7 from the hexagon, velocities at kT = 0.5, for n steps
// with the given seed and returns the final state.
func lj7Run(t *testing.T, integ md.Integrator, seed uint64, n int) *md.State {
	t.Helper()
	sys := lj7System()
	st := mustState(t, sys, potentials.LJ7Hexagon(), nil, newRand(seed))
	if err := md.SampleVelocities(sys, st, 0.5); err != nil {
		t.Fatal(err)
	}
	if err := integ.Bind(sys); err != nil {
		t.Fatal(err)
	}
	// Two calls, to check that chunking does not change the trajectory.
	if err := integ.Advance(st, n/3); err != nil {
		t.Fatal(err)
	}
	if err := integ.Advance(st, n-n/3); err != nil {
		t.Fatal(err)
	}
	if st.Step != int64(n) {
		t.Fatalf("Step = %d after %d steps", st.Step, n)
	}
	return st
}

func sameBits(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

// TestSeeds: the same seed repeats the trajectory bit for bit, also when
// split differently into Advance calls; another seed gives another one
// (except for deterministic VelocityVerlet, where the seed only enters the
// initial velocities).
func TestSeeds(t *testing.T) {
	const n = 3000
	for name, mk := range all() {
		a := lj7Run(t, mk(), 1, n)
		b := lj7Run(t, mk(), 1, n)
		c := lj7Run(t, mk(), 2, n)
		if !sameBits(a.X, b.X) || !sameBits(a.V, b.V) || math.Float64bits(a.U) != math.Float64bits(b.U) {
			t.Errorf("%s: same seed, different trajectories", name)
		}
		if sameBits(a.X, c.X) {
			t.Errorf("%s: seeds 1 and 2 gave identical positions", name)
		}
		dt := 0.005
		if o, ok := mk().(*integrators.Overdamped); ok {
			dt = o.Dt
		}
		if math.Abs(a.Time-n*dt) > 1e-9 {
			t.Errorf("%s: Time = %v after %d steps of %g", name, a.Time, n, dt)
		}
	}
}

// TestMALASmallStepAcceptsAll: at a tiny step nearly every MALA
// proposal is accepted (the acceptance ratio → 1 as dt → 0, error O(dt^1.5)).
func TestMALASmallStepAcceptsAll(t *testing.T) {
	o := &integrators.Overdamped{KT: 0.5, Dt: 1e-6, Gamma: 1, Metropolis: true}
	lj7Run(t, o, 3, 2000)
	acc, prop := o.Acceptance()
	if prop != 2000 || acc < 1990 {
		t.Errorf("MALA at dt=1e-6 accepted %d of %d, want ≥ 1990 of 2000", acc, prop)
	}
}

// TestMALAStateRoundTrip: the counters survive MarshalBinary →
// UnmarshalBinary, and a corrupt or inconsistent state is an error naming
// the problem.
func TestMALAStateRoundTrip(t *testing.T) {
	o := &integrators.Overdamped{KT: 0.5, Dt: 1e-3, Gamma: 1, Metropolis: true}
	lj7Run(t, o, 3, 500)
	b, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var r integrators.Overdamped
	if err := r.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	a1, p1 := o.Acceptance()
	a2, p2 := r.Acceptance()
	if a1 != a2 || p1 != p2 || p1 != 500 {
		t.Errorf("restored %d/%d, saved %d/%d (want 500 proposals)", a2, p2, a1, p1)
	}
	testdata.WantErr(t, r.UnmarshalBinary(b[:10]), "Overdamped state", "10 bytes")
	swapped := append([]byte("OVD1"), b[12:20]...)
	swapped = append(swapped, b[4:12]...)
	if a1 < p1 {
		testdata.WantErr(t, r.UnmarshalBinary(swapped), "accepted ≤ proposed")
	}
}

func TestBadSettings(t *testing.T) {
	sys := lj7System()
	bad := []float64{0, -1, math.NaN(), math.Inf(1)}
	for _, v := range bad {
		cases := []struct {
			integ md.Integrator
			field string
		}{
			{&integrators.BAOAB{KT: v, Dt: 0.01, Gamma: 1}, "BAOAB.KT"},
			{&integrators.BAOAB{KT: 1, Dt: v, Gamma: 1}, "BAOAB.Dt"},
			{&integrators.BAOAB{KT: 1, Dt: 0.01, Gamma: v}, "BAOAB.Gamma"},
			{&integrators.Overdamped{KT: v, Dt: 0.01, Gamma: 1}, "Overdamped.KT"},
			{&integrators.Overdamped{KT: 1, Dt: v, Gamma: 1, Metropolis: true}, "Overdamped.Dt"},
			{&integrators.Overdamped{KT: 1, Dt: 0.01, Gamma: v}, "Overdamped.Gamma"},
			{&integrators.VelocityVerlet{Dt: v}, "VelocityVerlet.Dt"},
		}
		for _, c := range cases {
			err := c.integ.Bind(sys)
			if err == nil || !strings.Contains(err.Error(), c.field) {
				t.Errorf("%s = %v: Bind error %v, want one naming %s", c.field, v, err, c.field)
			}
		}
	}
}

func TestBadState(t *testing.T) {
	sys := lj7System()
	good := mustState(t, sys, potentials.LJ7Hexagon(), nil, newRand(1))
	for name, mk := range all() {
		integ := mk()
		if err := integ.Advance(good, 1); err == nil || !strings.Contains(err.Error(), "before Bind") {
			t.Errorf("%s: Advance before Bind: err = %v", name, err)
		}
		if err := integ.Bind(sys); err != nil {
			t.Fatal(err)
		}
		short := &md.State{X: make([]float64, 12), V: make([]float64, 12), F: make([]float64, 12), Rand: newRand(1)}
		if err := integ.Advance(short, 1); err == nil || !strings.Contains(err.Error(), "len(X)") {
			t.Errorf("%s: 6-particle state on a 7-particle system: err = %v", name, err)
		}
		if err := integ.Advance(good, -1); err == nil || !strings.Contains(err.Error(), "n = -1") {
			t.Errorf("%s: n = -1: err = %v", name, err)
		}
		noRand := mustState(t, sys, potentials.LJ7Hexagon(), nil, nil)
		err := integ.Advance(noRand, 1)
		if name == "VelocityVerlet" {
			if err != nil {
				t.Errorf("VelocityVerlet needs no random stream, got %v", err)
			}
		} else if err == nil || !strings.Contains(err.Error(), "State.Rand") {
			t.Errorf("%s: nil State.Rand: err = %v", name, err)
		}
	}
	if err := (&integrators.BAOAB{KT: 1, Dt: 0.01, Gamma: 1}).Bind(&md.System{Potential: potentials.LJ7(), Dim: 2}); err == nil || !strings.Contains(err.Error(), "Masses") {
		t.Errorf("Bind on a system without masses: err = %v", err)
	}
}

// TestBlowUp: a time step 200× too large makes LJ7 explode (the restraint
// alone has ω ≈ 10/τ, so ω·dt ≈ 10 ≫ 2 is unstable and the amplitude grows
// geometrically until it overflows). Each integrator must stop with a
// *md.NonFiniteError naming the step and a particle, with the step counter
// at the last finite step. MALA rejects non-finite proposals instead.
func TestBlowUp(t *testing.T) {
	sys := lj7System()
	for name, integ := range map[string]md.Integrator{
		"BAOAB":          &integrators.BAOAB{KT: 0.6, Dt: 1, Gamma: 1},
		"Overdamped":     &integrators.Overdamped{KT: 0.6, Dt: 1, Gamma: 1},
		"VelocityVerlet": &integrators.VelocityVerlet{Dt: 1},
	} {
		st := mustState(t, sys, potentials.LJ7Hexagon(), nil, newRand(5))
		if err := md.SampleVelocities(sys, st, 0.6); err != nil {
			t.Fatal(err)
		}
		if err := integ.Bind(sys); err != nil {
			t.Fatal(err)
		}
		err := integ.Advance(st, 100_000)
		var nf *md.NonFiniteError
		if !errors.As(err, &nf) {
			t.Errorf("%s at dt=1: err = %v, want *md.NonFiniteError", name, err)
			continue
		}
		t.Logf("%s: %v", name, err)
		if nf.Step != st.Step+1 || nf.Step < 1 || nf.Particle < 0 || nf.Particle >= 7 {
			t.Errorf("%s: error at step %d particle %d with State.Step = %d; want step = State.Step+1 and a particle in [0,7)",
				name, nf.Step, nf.Particle, st.Step)
		}
		if msg := err.Error(); !strings.Contains(msg, "step") || !strings.Contains(msg, "particle") {
			t.Errorf("%s: message %q should name the step and the particle", name, msg)
		}
	}
	o := &integrators.Overdamped{KT: 0.6, Dt: 1, Gamma: 1, Metropolis: true}
	st := lj7Run(t, o, 5, 1000)
	if err := md.FindNonFinite(st, 2, st.Step); err != nil {
		t.Errorf("MALA at dt=1 left a non-finite state: %v", err)
	}
}
