package md_test

import (
	"math"
	"strings"
	"testing"

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
		if err := c.sys.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want an error naming %q", c.sys, err, c.want)
		}
	}
	if err := springSystem(3, 2).Validate(); err != nil {
		t.Errorf("valid system: %v", err)
	}
}

func TestNewState(t *testing.T) {
	sys := springSystem(3, 2)
	x := []float64{1, 2, 3, 4, 5, 6}
	st := mustState(t, sys, x, nil, nil)
	x[0] = 99
	if st.X[0] != 1 {
		t.Error("NewState did not copy x")
	}
	if st.U != 0.5*(1+4+9+16+25+36) || st.F[5] != -6 || st.V[3] != 0 {
		t.Errorf("NewState: U = %v, F = %v, V = %v; want U = 45.5, F = −x, V = 0", st.U, st.F, st.V)
	}
	for _, c := range []struct {
		x, v []float64
		want string
	}{
		{[]float64{1, 2, 3, 4, 5}, nil, "len(x) = 5"},
		{[]float64{1, 2, 3, 4, 5, 6}, []float64{1}, "len(v) = 1"},
		{[]float64{1, 2, 3, math.NaN(), 5, 6}, nil, "initial position[3] (particle 1, coordinate 1)"},
		{[]float64{1, 2, 3, 4, 5, 6}, []float64{0, 0, 0, 0, math.Inf(1), 0}, "initial velocity[4] (particle 2"},
	} {
		if _, err := md.NewState(sys, c.x, c.v, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewState(%v, %v) error = %v, want one containing %q", c.x, c.v, err, c.want)
		}
	}
	// The potential's own checks and a non-finite initial force.
	twoParticles := &md.System{Potential: potentials.ThreeHole{}, Masses: []float64{1, 1}, Dim: 2}
	if _, err := md.NewState(twoParticles, make([]float64, 4), nil, nil); err == nil || !strings.Contains(err.Error(), "ThreeHole") {
		t.Errorf("ThreeHole with two particles: error = %v", err)
	}
	lj := &md.System{Potential: potentials.LennardJones{Dim: 2}, Masses: []float64{1, 1}, Dim: 2}
	if _, err := md.NewState(lj, []float64{0, 0, 0, 0}, nil, nil); err == nil || !strings.Contains(err.Error(), "initial positions") {
		t.Errorf("two LJ particles on top of each other: error = %v", err)
	}
}

// TestKinetic: K = ½Σ m v² by hand, and the Maxwell–Boltzmann sampler's
// ⟨m v²⟩ = kT. The draws are independent, m·v²/kT ~ χ²₁ with variance 2,
// so with n = 3·10⁴ coordinates the mean has SE = kT·sqrt(2/n); the test
// allows 4 SE.
func TestKinetic(t *testing.T) {
	sys := springSystem(2, 2) // masses 1, 2
	v := []float64{1, 2, 3, -1}
	if k := md.KineticEnergy(sys, v); k != 0.5*(1*5+2*10) {
		t.Errorf("KineticEnergy = %v, want 12.5", k)
	}
	if kt := md.KineticTemperature(sys, v); kt != 2*12.5/4 {
		t.Errorf("KineticTemperature = %v, want 6.25", kt)
	}
	const kT, n = 0.7, 10_000
	big := springSystem(n, 3)
	st := mustState(t, big, make([]float64, 3*n), nil, newRand(1))
	if err := md.SampleVelocities(big, st, kT); err != nil {
		t.Fatal(err)
	}
	got := md.KineticTemperature(big, st.V)
	if se := kT * math.Sqrt(2.0/(3*n)); math.Abs(got-kT) > 4*se {
		t.Errorf("Maxwell–Boltzmann kT_kin = %.4f, want %.4f ± %.4f", got, kT, 4*se)
	}
	if err := md.SampleVelocities(big, st, -1); err == nil || !strings.Contains(err.Error(), "kT") {
		t.Errorf("SampleVelocities(kT = −1) error = %v", err)
	}
	st.Rand = nil
	if err := md.SampleVelocities(big, st, 1); err == nil || !strings.Contains(err.Error(), "Rand") {
		t.Errorf("SampleVelocities without Rand: error = %v", err)
	}
}
