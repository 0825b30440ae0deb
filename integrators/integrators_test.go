package integrators_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/internal/testutil"
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
	require.NoError(t, md.SampleVelocities(sys, st, 0.5))
	require.NoError(t, integ.Bind(sys))
	// Two calls, to check that chunking does not change the trajectory.
	require.NoError(t, integ.Advance(st, n/3))
	require.NoError(t, integ.Advance(st, n-n/3))
	require.Equal(t, int64(n), st.Step, "State.Step after %d steps", n)
	return st
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
		testutil.SameBits(t, name+", same seed: X", a.X, b.X)
		testutil.SameBits(t, name+", same seed: V", a.V, b.V)
		testutil.SameBits(t, name+", same seed: U", []float64{a.U}, []float64{b.U})
		assert.GreaterOrEqual(t, testutil.FirstBitDiff(a.X, c.X), 0, "%s: seeds 1 and 2 gave bit-identical positions", name)
		dt := 0.005
		if o, ok := mk().(*integrators.Overdamped); ok {
			dt = o.Dt
		}
		assert.InDelta(t, n*dt, a.Time, 1e-9, "%s: Time after %d steps of %g", name, n, dt)
	}
}

// TestMALASmallStepAcceptsAll: at a tiny step nearly every MALA
// proposal is accepted (the acceptance ratio → 1 as dt → 0, error O(dt^1.5)).
func TestMALASmallStepAcceptsAll(t *testing.T) {
	o := &integrators.Overdamped{KT: 0.5, Dt: 1e-6, Gamma: 1, Metropolis: true}
	lj7Run(t, o, 3, 2000)
	acc, prop := o.Acceptance()
	assert.Equal(t, int64(2000), prop, "MALA at dt=1e-6: proposals")
	assert.GreaterOrEqual(t, acc, int64(1990), "MALA at dt=1e-6: accepted of 2000")
}

// TestMALAStateRoundTrip: the counters survive MarshalBinary →
// UnmarshalBinary, and a corrupt or inconsistent state is an error naming
// the problem.
func TestMALAStateRoundTrip(t *testing.T) {
	o := &integrators.Overdamped{KT: 0.5, Dt: 1e-3, Gamma: 1, Metropolis: true}
	lj7Run(t, o, 3, 500)
	b, err := o.MarshalBinary()
	require.NoError(t, err)
	var r integrators.Overdamped
	require.NoError(t, r.UnmarshalBinary(b))
	a1, p1 := o.Acceptance()
	a2, p2 := r.Acceptance()
	assert.Equal(t, int64(500), p1, "saved proposals")
	assert.Equal(t, [2]int64{a1, p1}, [2]int64{a2, p2}, "restored accepted/proposed against saved")
	testutil.WantErr(t, r.UnmarshalBinary(b[:10]), "Overdamped state", "10 bytes")
	swapped := append([]byte("OVD1"), b[12:20]...)
	swapped = append(swapped, b[4:12]...)
	if a1 < p1 {
		assert.ErrorContains(t, r.UnmarshalBinary(swapped), "accepted ≤ proposed")
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
			assert.ErrorContains(t, c.integ.Bind(sys), c.field, "%s = %v: Bind", c.field, v)
		}
	}
}

func TestBadState(t *testing.T) {
	sys := lj7System()
	good := mustState(t, sys, potentials.LJ7Hexagon(), nil, newRand(1))
	for name, mk := range all() {
		integ := mk()
		assert.ErrorContains(t, integ.Advance(good, 1), "before Bind", "%s: Advance before Bind", name)
		require.NoError(t, integ.Bind(sys))
		short := &md.State{X: make([]float64, 12), V: make([]float64, 12), F: make([]float64, 12), Rand: newRand(1)}
		assert.ErrorContains(t, integ.Advance(short, 1), "len(X)", "%s: 6-particle state on a 7-particle system", name)
		assert.ErrorContains(t, integ.Advance(good, -1), "n = -1", "%s: n = -1", name)
		noRand := mustState(t, sys, potentials.LJ7Hexagon(), nil, nil)
		err := integ.Advance(noRand, 1)
		if name == "VelocityVerlet" {
			assert.NoError(t, err, "VelocityVerlet needs no random stream")
		} else {
			assert.ErrorContains(t, err, "State.Rand", "%s: nil State.Rand", name)
		}
	}
	assert.ErrorContains(t, (&integrators.BAOAB{KT: 1, Dt: 0.01, Gamma: 1}).Bind(&md.System{Potential: potentials.LJ7(), Dim: 2}), "Masses",
		"Bind on a system without masses")
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
		require.NoError(t, md.SampleVelocities(sys, st, 0.6))
		require.NoError(t, integ.Bind(sys))
		err := integ.Advance(st, 100_000)
		var nf *md.NonFiniteError
		if !assert.ErrorAs(t, err, &nf, "%s at dt=1", name) {
			continue
		}
		t.Logf("%s: %v", name, err)
		assert.Equal(t, st.Step+1, nf.Step, "%s: error's step against State.Step+1", name)
		assert.GreaterOrEqual(t, nf.Step, int64(1), "%s: error's step", name)
		assert.True(t, nf.Particle >= 0 && nf.Particle < 7, "%s: error's particle %d, want one in [0,7)", name, nf.Particle)
		for _, part := range []string{"step", "particle"} {
			assert.ErrorContains(t, err, part, "%s: the message should name the step and the particle", name)
		}
	}
	o := &integrators.Overdamped{KT: 0.6, Dt: 1, Gamma: 1, Metropolis: true}
	st := lj7Run(t, o, 5, 1000)
	assert.NoError(t, md.FindNonFinite(st, 2, st.Step), "MALA at dt=1 left a non-finite state")
}
