package md_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
)

func TestSystemValidate(t *testing.T) {
	cases := []struct {
		sys  *md.System
		want string
	}{
		{nil, "nil"},
		{&md.System{Masses: []float64{1}, Dim: 2}, "Potential"},
		{&md.System{Potential: spring{1}, Masses: []float64{1}, Dim: 0}, "Dim"},
		{&md.System{Potential: spring{1}, Dim: 2}, "Masses"},
		{&md.System{Potential: spring{1}, Masses: []float64{1, 0}, Dim: 2}, "Masses[1]"},
		{&md.System{Potential: spring{1}, Masses: []float64{1, 1, math.NaN()}, Dim: 2}, "Masses[2]"},
	}
	for _, c := range cases {
		assert.ErrorContains(t, c.sys.Validate(), c.want, "Validate(%+v)", c.sys)
	}
	assert.NoError(t, springSystem(3, 2).Validate(), "valid system")
}

func TestNewState(t *testing.T) {
	sys := springSystem(3, 2)
	x := []float64{1, 2, 3, 4, 5, 6}
	st := mustState(t, sys, x, nil, nil)
	x[0] = 99
	assert.Equal(t, 1.0, st.X[0], "NewState did not copy x")
	assert.Equal(t, 0.5*(1+4+9+16+25+36), st.U, "NewState: U")
	assert.Equal(t, -6.0, st.F[5], "NewState: F[5] = −x[5]")
	assert.Zero(t, st.V[3], "NewState: V[3]")
	for _, c := range []struct {
		x, v []float64
		want string
	}{
		{[]float64{1, 2, 3, 4, 5}, nil, "len(x) = 5"},
		{[]float64{1, 2, 3, 4, 5, 6}, []float64{1}, "len(v) = 1"},
		{[]float64{1, 2, 3, math.NaN(), 5, 6}, nil, "initial position[3] (particle 1, coordinate 1)"},
		{[]float64{1, 2, 3, 4, 5, 6}, []float64{0, 0, 0, 0, math.Inf(1), 0}, "initial velocity[4] (particle 2"},
	} {
		_, err := md.NewState(sys, c.x, c.v, nil)
		assert.ErrorContains(t, err, c.want, "NewState(%v, %v)", c.x, c.v)
	}
	// The potential's own checks and a non-finite initial force.
	twoParticles := &md.System{Potential: potentials.ThreeHole{}, Masses: []float64{1, 1}, Dim: 2}
	_, err := md.NewState(twoParticles, make([]float64, 4), nil, nil)
	assert.ErrorContains(t, err, "ThreeHole", "ThreeHole with two particles")
	lj := &md.System{Potential: potentials.LennardJones{Dim: 2}, Masses: []float64{1, 1}, Dim: 2}
	_, err = md.NewState(lj, []float64{0, 0, 0, 0}, nil, nil)
	assert.ErrorContains(t, err, "initial positions", "two LJ particles on top of each other")
}

// TestKinetic: K = ½Σ m v² by hand, and the Maxwell–Boltzmann sampler's
// ⟨m v²⟩ = kT. The draws are independent, m·v²/kT ~ χ²₁ with variance 2,
// so with n = 3·10⁴ coordinates the mean has SE = kT·sqrt(2/n); the test
// allows 4 SE.
func TestKinetic(t *testing.T) {
	sys := springSystem(2, 2) // masses 1, 2
	v := []float64{1, 2, 3, -1}
	assert.Equal(t, 0.5*(1*5+2*10), md.KineticEnergy(sys, v), "KineticEnergy")
	assert.Equal(t, 2*12.5/4, md.KineticTemperature(sys, v), "KineticTemperature")
	const kT, n = 0.7, 10_000
	big := springSystem(n, 3)
	st := mustState(t, big, make([]float64, 3*n), nil, newRand(1))
	require.NoError(t, md.SampleVelocities(big, st, kT))
	se := kT * math.Sqrt(2.0/(3*n))
	assert.InDelta(t, kT, md.KineticTemperature(big, st.V), 4*se, "Maxwell–Boltzmann kT_kin (4 SE)")
	assert.ErrorContains(t, md.SampleVelocities(big, st, -1), "kT", "SampleVelocities(kT = −1)")
	st.Rand = nil
	assert.ErrorContains(t, md.SampleVelocities(big, st, 1), "Rand", "SampleVelocities without Rand")
}
