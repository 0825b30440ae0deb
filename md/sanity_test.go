package md_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/md"
)

// The bounds follow from the constants. For one degree-of-freedom pair
// (n = 2) K/kT ~ Gamma(1, 1) = Exp(1), whose tails are known in closed
// form: P(K/kT > x) = e^{−x}, so the upper bound is ln(10¹²)·kT and the
// lower one −ln(1 − 10⁻¹²)·kT ≈ 10⁻¹²·kT.
func TestSanityBounds(t *testing.T) {
	sys := springSystem(1, 2)
	st := mustState(t, sys, []float64{0, 0}, nil, nil)
	s := &md.Sanity{KT: 0.5, UMin: -1}
	require.NoError(t, s.Start(sys, st, 0))
	uMax, kLow, kHigh := s.Bounds()
	assert.Equal(t, -1+md.SanityEnergyFactor*2*0.5, uMax)
	assert.InEpsilon(t, 0.5*math.Log(1e12), kHigh, 1e-9)
	assert.InEpsilon(t, 0.5*1e-12, kLow, 1e-6)

	// The start energy lowers the reference when it is below UMin.
	s = &md.Sanity{KT: 0.5, UMin: 10}
	require.NoError(t, s.Start(sys, st, 0))
	uMax, _, _ = s.Bounds()
	assert.Equal(t, 0+md.SanityEnergyFactor*2*0.5, uMax)

	for _, bad := range []md.Sanity{{KT: 0}, {KT: math.Inf(1)}, {KT: 1, UMin: math.NaN()}} {
		assert.Error(t, bad.Start(sys, st, 0))
	}
}

// A state far up the spring (U = 60 > UMin + 50·2·kT = 50 at kT = 0.5)
// stops the run with a *SanityError naming the energy and the particle; a
// typical one passes, without allocating.
func TestSanityEnergy(t *testing.T) {
	sys := springSystem(2, 2)
	st := mustState(t, sys, []float64{0, 0, 0, 0}, nil, nil)
	s := &md.Sanity{KT: 0.25, UMin: 0, Kinetic: true}
	require.NoError(t, s.Start(sys, st, 0))
	st.V = []float64{0.5, -0.5, 0.3, 0.2} // K/kT = 1.17, inside the bounds
	require.NoError(t, s.Observe(st))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = s.Observe(st) }))

	st.X = []float64{11, 0, 0, 0} // centre of mass at x = 11/3
	st.U = 60.5
	err := s.Observe(st)
	var se *md.SanityError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, err.Error(), "U = 60.5 ε")
	assert.Contains(t, err.Error(), "particle 0 is 7.33 σ from the centre of mass")
	assert.Contains(t, err.Error(), "smaller time step")
}

// Velocities far hotter than kT (or frozen, with many degrees of freedom)
// stop a run with the kinetic check on, and pass with it off.
func TestSanityKinetic(t *testing.T) {
	sys := springSystem(7, 2)
	st := mustState(t, sys, make([]float64, 14), nil, nil)
	for _, kin := range []bool{true, false} {
		s := &md.Sanity{KT: 0.2, Kinetic: kin}
		require.NoError(t, s.Start(sys, st, 0))
		_, kLow, kHigh := s.Bounds()
		for _, k := range []float64{kHigh * 1.01, kLow * 0.99} {
			// All the kinetic energy in particle 0 (mass 1).
			clear(st.V)
			st.V[0] = math.Sqrt(2 * k)
			err := s.Observe(st)
			if kin {
				assert.ErrorContains(t, err, "kinetic temperature", "K = %v", k)
			} else {
				assert.NoError(t, err)
			}
		}
	}
}

// stuck is an Acceptor integrator that accepts acc of every prop proposals
// per step and moves nothing.
type stuck struct {
	acc, prop, nacc, nprop int64
}

func (s *stuck) Bind(*md.System) error { return nil }
func (s *stuck) Advance(st *md.State, n int) error {
	st.Step += int64(n)
	s.nacc += s.acc * int64(n)
	s.nprop += s.prop * int64(n)
	return nil
}
func (s *stuck) Acceptance() (int64, int64) { return s.nacc, s.nprop }

// Acceptance: none in 1000 proposals fails, naming the counts; 10 %
// warns once and completes; 50 % says nothing. Progress shows the rate.
func TestSanityAcceptance(t *testing.T) {
	sys := springSystem(1, 1)
	for _, c := range []struct {
		acc      int64
		fail     bool
		warnings int
	}{{0, true, 0}, {1, false, 1}, {5, false, 0}} {
		st := mustState(t, sys, []float64{0}, nil, nil)
		var warn, prog bytes.Buffer
		s := &md.Sanity{KT: 1, Stride: 10, Warn: &warn, Label: "kT1"}
		err := md.Run(context.Background(), sys, &stuck{acc: c.acc, prop: 10}, st, 1000, s,
			&md.Progress{W: &prog, Stride: 10})
		if c.fail {
			var se *md.SanityError
			require.ErrorAs(t, err, &se)
			// The first check with ≥ 1000 proposals is at step 100.
			assert.ErrorContains(t, err, "step 100:")
			assert.ErrorContains(t, err, "acceptance 0 of 1000 proposals")
			assert.ErrorContains(t, err, "smaller time step")
		} else {
			require.NoError(t, err)
		}
		assert.Equal(t, c.warnings, bytes.Count(warn.Bytes(), []byte("warning: Metropolis acceptance")), warn.String())
		a, n := s.Acceptance()
		assert.Equal(t, c.acc*st.Step, a)
		assert.Equal(t, 10*st.Step, n)
		assert.Contains(t, prog.String(), "acceptance ")
	}
}

// No false alarm: BAOAB at a stable step on a stiff spring system, many
// checks, from Maxwell–Boltzmann velocities; MALA at a moderate step
// records its acceptance.
func TestSanityQuietOnNormalRuns(t *testing.T) {
	sys := springSystem(7, 2)
	for _, in := range []md.Integrator{
		&integrators.BAOAB{KT: 0.2, Dt: 0.05, Gamma: 1},
		&integrators.Overdamped{KT: 0.2, Dt: 0.05, Gamma: 1, Metropolis: true},
	} {
		st := mustState(t, sys, make([]float64, 14), nil, newRand(3))
		require.NoError(t, md.SampleVelocities(sys, st, 0.2))
		_, isMALA := in.(*integrators.Overdamped)
		s := &md.Sanity{KT: 0.2, Kinetic: !isMALA, Stride: 1}
		require.NoError(t, md.Run(context.Background(), sys, in, st, 20_000, s))
		if a, n := s.Acceptance(); isMALA {
			assert.Equal(t, int64(20_000), n)
			assert.Greater(t, float64(a)/float64(n), md.SanityWarnAcceptance)
		} else {
			assert.Zero(t, n)
		}
	}
}

// Sanity's errors reach the caller of RunReplicas with replica and
// temperature.
func TestSanityReplicaError(t *testing.T) {
	sys := springSystem(1, 1)
	_, err := md.RunReplicas(context.Background(), md.Replicas{
		System: sys, Temperatures: []float64{0.5}, X0: []float64{0}, Steps: 2000,
		NewIntegrator: func(float64) md.Integrator { return &stuck{prop: 1} },
		Observers:     func(_ int, kT float64) []md.Observer { return []md.Observer{&md.Sanity{KT: kT}} },
	})
	var se *md.SanityError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.ErrorContains(t, err, "replica 0 (kT=0.5)")
	assert.ErrorContains(t, err, "step 1000")
}
