package integrators_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
)

func lj7System() *md.System {
	return &md.System{Potential: potentials.LJ7(), Masses: []float64{1, 1, 1, 1, 1, 1, 1}, Dim: 2}
}

// maxCOMDist returns max_i |r_i − r_com| for equal masses in 2-D.
func maxCOMDist(x []float64) float64 {
	n := len(x) / 2
	var cx, cy float64
	for i := range n {
		cx += x[2*i]
		cy += x[2*i+1]
	}
	cx /= float64(n)
	cy /= float64(n)
	r := 0.0
	for i := range n {
		r = max(r, math.Hypot(x[2*i]-cx, x[2*i+1]-cy))
	}
	return r
}

// TestBAOABLJ7KineticTemperature runs LJ7 at kT = 0.6 with a small step
// (dt = 0.00125; docs/systems.md: the kinetic-temperature bias, ~2 % at
// dt = 0.005, shrinks as dt² to ~0.1 %, below the tolerance) and checks:
//
//   - ⟨2K/(N·D)⟩ = kT within 4 SE. Per sample the variance is 2kT²/14
//     (14 Gaussian momenta) and the velocity memory is ~1/γ, so 2 walkers ×
//     1.6·10⁶ steps give ESS ≈ 4000 and SE ≈ 0.004 (0.7 %).
//   - Every particle stays within 2.3 σ of the centre of mass. Beyond the
//     restraint radius 2 σ a particle pays ½κ(r² − 4) = 64.5 ε at r = 2.3;
//     the LJ energy can fall by at most 12.5 ε (the global minimum, from
//     ≈ 0), so such a configuration has Boltzmann weight below
//     exp(−52/0.6) ≈ 10⁻³⁷ relative to a compact one: never in a test. The
//     test also requires the cluster to have moved (max r > 1.3 σ, the
//     hexagon has 1.12 σ), so the bound is not met by standing still.
func TestBAOABLJ7KineticTemperature(t *testing.T) {
	const kT, dt, stride, frames, nw = 0.6, 0.00125, 10, 160_000, 2
	sys := lj7System()
	temps := make([][]float64, nw)
	maxR := make([]float64, nw)
	walkers(nw, func(w int) {
		st := mustState(t, sys, potentials.LJ7Hexagon(), nil, newRand(uint64(200+w)))
		if !assert.NoError(t, md.SampleVelocities(sys, st, kT)) {
			return
		}
		series := make([]float64, 0, frames)
		sample(t, sys, &integrators.BAOAB{KT: kT, Dt: dt, Gamma: 1}, st, stride, frames, func(st *md.State) {
			series = append(series, md.KineticTemperature(sys, st.V))
			maxR[w] = max(maxR[w], maxCOMDist(st.X))
		})
		temps[w] = series
	})
	checkMean(t, "LJ7 kT_kin", pool(temps), kT, 0)
	for w, r := range maxR {
		t.Logf("walker %d: max |r_i − r_com| = %.3f σ", w, r)
		assert.Greater(t, r, 1.3, "walker %d: max |r_i − r_com| [σ] must show the cluster moved", w)
		assert.Less(t, r, 2.3, "walker %d: max |r_i − r_com| [σ] beyond the Boltzmann bound", w)
	}
}

// vvEnergy runs velocity Verlet on LJ7 from the hexagon with velocities
// drawn at kT = 0.2 and returns the total energy every 10 steps over a
// fixed simulated time T = 400 τ, plus the largest distance to the COM.
func vvEnergy(t *testing.T, dt float64) (e []float64, maxR float64) {
	sys := lj7System()
	st := mustState(t, sys, potentials.LJ7Hexagon(), nil, newRand(300))
	require.NoError(t, md.SampleVelocities(sys, st, 0.2))
	steps := int(math.Round(400 / dt))
	sample(t, sys, &integrators.VelocityVerlet{Dt: dt}, st, 10, steps/10, func(st *md.State) {
		e = append(e, st.U+md.KineticEnergy(sys, st.V))
		maxR = max(maxR, maxCOMDist(st.X))
	})
	return e, maxR
}

// TestVelocityVerletLJ7Energy checks energy conservation of velocity
// Verlet on LJ7 (no thermostat) over 400 τ at kT ≈ 0.2 (hexagon basin).
// Velocity Verlet conserves a shadow energy within O(dt²) of E, so:
//
//   - the energy fluctuation max|E(t) − E(0)| at dt = 0.002 is below
//     5·10⁻⁴ ε (4·10⁻⁵ of |E|; measured 1.5·10⁻⁴, so a factor ~3 margin
//     for another seed or platform);
//   - halving dt divides the fluctuation by 4 (accepted: 2.5 to 6.5), the
//     signature of a second-order method;
//   - there is no drift: the mean energy of the last tenth of the run is
//     within 10⁻⁵ ε of the first tenth's, an order of magnitude under the
//     fluctuation itself (measured ~10⁻⁶ ε over 2·10⁵ steps).
//
// The restraint's force is discontinuous at |r_i − r_com| = 2 σ, which
// would spoil conservation; the test asserts no particle got there.
func TestVelocityVerletLJ7Energy(t *testing.T) {
	var fluct [2]float64
	for k, dt := range []float64{0.002, 0.001} {
		e, maxR := vvEnergy(t, dt)
		require.Less(t, maxR, 2.0, "dt=%g: a particle reached 2 σ from the COM, where the restraint force jumps", dt)
		for _, v := range e {
			fluct[k] = max(fluct[k], math.Abs(v-e[0]))
		}
		tenth := len(e) / 10
		first, last := 0.0, 0.0
		for i := range tenth {
			first += e[i]
			last += e[len(e)-tenth+i]
		}
		drift := (last - first) / float64(tenth)
		t.Logf("dt=%g: E0=%.6f max|ΔE|=%.3g drift=%.3g maxR=%.3f", dt, e[0], fluct[k], drift, maxR)
		assert.InDelta(t, 0, drift, 1e-5, "dt=%g: energy drift [ε] between the first and last tenth", dt)
	}
	assert.LessOrEqual(t, fluct[0], 5e-4, "dt=0.002: max|E−E0| [ε]")
	r := fluct[0] / fluct[1]
	assert.Greater(t, r, 2.5, "fluctuation ratio dt=0.002 vs 0.001, want ≈ 4 (2.5…6.5) for a second-order method")
	assert.Less(t, r, 6.5, "fluctuation ratio dt=0.002 vs 0.001, want ≈ 4 (2.5…6.5) for a second-order method")
}
