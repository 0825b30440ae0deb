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

// TestStepSamplingELBO checks the steps Loss draws with StepsELBO against
// the variational bound's weights w_i = β_i/((1−β_i)(1−ᾱ_i)) on the
// reference schedule: every step's frequency in 200,000 draws within 5
// binomial standard errors of w_i/Σw (a misplaced weight, or the uniform
// draw, is off by tens of SE at the low-noise steps), and the default still
// draws uniformly through rng.IntN (the same stream as before the option).
func TestStepSamplingELBO(t *testing.T) {
	p, err := New(Config{KTRef: 1, StepSampling: StepsELBO}, newRNG(1))
	require.NoError(t, err)
	s := p.Schedule()
	N := s.Len()
	w := make([]float64, N)
	sum := 0.0
	for i := range N {
		b := s.Beta(i)
		w[i] = b / ((1 - b) * (1 - s.AlphaBar(i)))
		sum += w[i]
	}
	const n = 200000
	count := make([]float64, N)
	rng := newRNG(7)
	for range n {
		count[p.drawStep(rng)]++
	}
	for i := range N {
		q := w[i] / sum
		se := math.Sqrt(q * (1 - q) / n)
		testutil.InDelta(t, q, count[i]/n, 5*se, "step %d: frequency against the bound's weight", i)
	}
	t.Logf("ELBO step probabilities: i=0 %.3f, i=5 %.3f, i=20 %.3f, i=99 %.3f; Σ_{i<10} %.2f", w[0]/sum, w[5]/sum, w[20]/sum, w[99]/sum, p.stepCDF[9])

	u, err := New(Config{KTRef: 1}, newRNG(1))
	require.NoError(t, err)
	a, b := newRNG(3), newRNG(3)
	for range 100 {
		require.Equal(t, b.IntN(N), u.drawStep(a), "the uniform draw is rng.IntN(N)")
	}
	for _, name := range []string{"uniform", "elbo"} {
		v, err := ParseStepSampling(name)
		require.NoError(t, err)
		assert.Equal(t, name, v.String())
	}
	_, err = ParseStepSampling("snr")
	assert.ErrorContains(t, err, "snr")
}
