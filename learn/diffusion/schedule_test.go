package diffusion

import (
	"math"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLinearScheduleReference(t *testing.T) {
	s, err := NewLinear(DefaultSteps, DefaultBetaMin, DefaultBetaMax)
	require.NoError(t, err)
	require.Equal(t, 100, s.Len(), "N")
	require.Equal(t, 1e-4, s.Beta(0), "β_0")
	require.True(t, testutil.InDelta(t, 0.2, s.Beta(99), 1e-15, "β_99"))
	// Independent check: ln ᾱ_i = Σ_{j≤i} ln(1 − β_j) with β_j from the closed form.
	logab := 0.0
	for i := range s.Len() {
		b := 1e-4 + (0.2-1e-4)*float64(i)/99
		testutil.InDelta(t, b, s.Beta(i), 1e-15, "β_%d", i)
		logab += math.Log1p(-b)
		testutil.InDelta(t, math.Exp(logab), s.AlphaBar(i), 1e-12*math.Exp(logab), "ᾱ_%d", i)
		if i > 0 {
			assert.Less(t, s.AlphaBar(i), s.AlphaBar(i-1), "ᾱ not decreasing at %d", i)
		}
	}
	// The chain nearly forgets z_0: ln ᾱ_99 = Σ ln(1−β_j) ≈ −Σβ_j − ½Σβ_j² ≈
	// −10.0 − 0.67, so √ᾱ_99 ≈ 4.6e−3 of the signal is left and starting the
	// sampler from N(0, σ_T²) is accurate to that order.
	ab := s.AlphaBar(99)
	assert.True(t, ab > 1e-5 && ab < 4e-5, "ᾱ_99 = %g, want ≈ 2.1e-5", ab)
	assert.NoError(t, checkSchedule(s))
}

func TestLinearScheduleErrors(t *testing.T) {
	for _, c := range []struct {
		n      int
		b0, b1 float64
	}{{0, 1e-4, 0.2}, {10, 0, 0.2}, {10, 1e-4, 1}, {10, 0.3, 0.2}, {10, math.NaN(), 0.2}} {
		_, err := NewLinear(c.n, c.b0, c.b1)
		assert.Error(t, err, "NewLinear(%d, %g, %g)", c.n, c.b0, c.b1)
	}
}

func TestVPSDESchedule(t *testing.T) {
	v, err := NewVPSDE(DefaultSteps, DefaultVPBetaMin, DefaultVPBetaMax)
	require.NoError(t, err)
	require.NoError(t, checkSchedule(v))
	for i := range v.Len() {
		s := float64(i+1) / 100
		// ∫_0^s (0.1 + 19.9 u) du = 0.1 s + 9.95 s²
		want := math.Exp(-(0.1*s + 9.95*s*s))
		testutil.InDelta(t, want, v.AlphaBar(i), 1e-12*want, "ᾱ(%g)", s)
	}
	// β_i ≈ β(s)·Δs for small Δs: the SDE with N = 100 is close to the
	// linear DDPM schedule with β from 1e−3 to 0.2.
	testutil.InDelta(t, 1-math.Exp(-0.01*(0.1+19.9*0.995)), v.Beta(99), 1e-12, "β_99")
	_, err = NewVPSDE(1, 0.1, 2000)
	assert.Error(t, err, "VP-SDE with 1 step and β_max = 2000 (β_0 = 1 in floating point)")
	_, err = NewVPSDE(10, 0, 20)
	assert.Error(t, err, "VP-SDE with β_min = 0")
}
