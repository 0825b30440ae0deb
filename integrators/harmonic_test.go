package integrators_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/md"
)

// harmonicSystem: 3 particles in 2-D with unequal masses and stiffnesses,
// angular frequencies ω_j = sqrt(k_j/m_i) from 0.5 to 4.24 /τ.
func harmonicSystem() (*md.System, harmonic) {
	h := harmonic{
		k: []float64{1, 4, 2, 0.5, 9, 1},
		c: []float64{0.5, -1, 0, 2, 1, 0},
	}
	return &md.System{Potential: h, Masses: []float64{1, 2, 0.5}, Dim: 2}, h
}

// TestBAOABHarmonicMoments checks the exact stationary moments of BAOAB on
// a harmonic oscillator. Solving the stationary Lyapunov equation
// Σ = MΣMᵀ + bbᵀ of the linear BAOAB map (done independently, numerically)
// gives, for any γ and stable dt,
//
//	⟨(x−c)²⟩ = kT/k exactly,  ⟨v²⟩ = (kT/m)·(1 − (ω·dt/2)²)  (end of step),
//
// consistent with Leimkuhler & Matthews (2013): BAOAB's configurational
// sampling is exact for harmonic potentials. At ω·dt = 0.42 the velocity
// factor is 0.955, a 4.5 % effect that the test resolves (it would fail
// against the naive kT/m). Tolerance: 4 standard errors from the ESS.
func TestBAOABHarmonicMoments(t *testing.T) {
	sys, h := harmonicSystem()
	const kT, dt, stride, frames = 0.7, 0.1, 4, 100_000
	integ := &integrators.BAOAB{KT: kT, Dt: dt, Gamma: 1}
	st := mustState(t, sys, h.c, nil, newRand(1))
	n := sys.Len()
	x2 := make([][]float64, n)
	v2 := make([][]float64, n)
	sample(t, sys, integ, st, stride, frames, func(st *md.State) {
		for j := range n {
			d := st.X[j] - h.c[j]
			x2[j] = append(x2[j], d*d)
			v2[j] = append(v2[j], st.V[j]*st.V[j])
		}
	})
	for j := range n {
		m := sys.Masses[j/sys.Dim]
		w2dt2 := h.k[j] / m * dt * dt
		checkMean(t, "⟨x²⟩", estimateOf(x2[j]), kT/h.k[j], 0)
		checkMean(t, "⟨v²⟩", estimateOf(v2[j]), kT/m*(1-w2dt2/4), 0)
	}
}

// TestOverdampedHarmonic checks Euler–Maruyama and MALA on the harmonic
// system at a large step. Euler–Maruyama is the linear AR(1) map
// x' = (1−a·k)x + s·ξ with a = dt/(γm), s² = 2kT·a, whose stationary
// variance is s²/(1−(1−ak)²) = (kT/k)/(1 − ak/2): at ak up to 0.45 this is
// up to 29 % above kT/k. MALA at the same dt must give kT/k exactly, and
// the test checks both, so each would fail with the other's formula.
func TestOverdampedHarmonic(t *testing.T) {
	sys, h := harmonicSystem()
	const kT, dt, gamma, steps = 0.7, 0.025, 1.0, 200_000
	for _, metropolis := range []bool{false, true} {
		integ := &integrators.Overdamped{KT: kT, Dt: dt, Gamma: gamma, Metropolis: metropolis}
		st := mustState(t, sys, h.c, nil, newRand(2))
		n := sys.Len()
		x2 := make([][]float64, n)
		sample(t, sys, integ, st, 1, steps, func(st *md.State) {
			for j := range n {
				d := st.X[j] - h.c[j]
				x2[j] = append(x2[j], d*d)
			}
		})
		for j := range n {
			ak := dt / (gamma * sys.Masses[j/sys.Dim]) * h.k[j]
			want := kT / h.k[j]
			if !metropolis {
				want /= 1 - ak/2
			}
			checkMean(t, "⟨x²⟩", estimateOf(x2[j]), want, 0)
		}
		acc, prop := integ.Acceptance()
		if metropolis {
			rate := float64(acc) / float64(prop)
			t.Logf("MALA acceptance %.3f", rate)
			assert.Equal(t, int64(steps), prop, "MALA proposals")
			assert.Greater(t, rate, 0.2, "MALA acceptance rate at this dt, want in (0.2, 0.999)")
			assert.Less(t, rate, 0.999, "MALA acceptance rate at this dt, want in (0.2, 0.999)")
		} else {
			assert.Equal(t, [2]int64{0, 0}, [2]int64{acc, prop}, "Euler–Maruyama's counted MALA moves (accepted, proposed)")
		}
	}
}
