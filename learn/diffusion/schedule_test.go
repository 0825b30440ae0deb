package diffusion

import (
	"math"
	"testing"
)

func TestLinearScheduleReference(t *testing.T) {
	s, err := NewLinear(DefaultSteps, DefaultBetaMin, DefaultBetaMax)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 100 || s.Beta(0) != 1e-4 || math.Abs(s.Beta(99)-0.2) > 1e-15 {
		t.Fatalf("N = %d, β_0 = %g, β_99 = %g; want 100, 1e-4, 0.2", s.Len(), s.Beta(0), s.Beta(99))
	}
	// Independent check: ln ᾱ_i = Σ_{j≤i} ln(1 − β_j) with β_j from the closed form.
	logab := 0.0
	for i := range s.Len() {
		b := 1e-4 + (0.2-1e-4)*float64(i)/99
		if math.Abs(s.Beta(i)-b) > 1e-15 {
			t.Errorf("β_%d = %.17g, want %.17g", i, s.Beta(i), b)
		}
		logab += math.Log1p(-b)
		if got := s.AlphaBar(i); math.Abs(got-math.Exp(logab)) > 1e-12*math.Exp(logab) {
			t.Errorf("ᾱ_%d = %.17g, want %.17g", i, got, math.Exp(logab))
		}
		if i > 0 && !(s.AlphaBar(i) < s.AlphaBar(i-1)) {
			t.Errorf("ᾱ not decreasing at %d", i)
		}
	}
	// The chain nearly forgets z_0: ln ᾱ_99 = Σ ln(1−β_j) ≈ −Σβ_j − ½Σβ_j² ≈
	// −10.0 − 0.67, so √ᾱ_99 ≈ 4.6e−3 of the signal is left and starting the
	// sampler from N(0, σ_T²) is accurate to that order.
	if ab := s.AlphaBar(99); !(ab > 1e-5 && ab < 4e-5) {
		t.Errorf("ᾱ_99 = %g, want ≈ 2.1e-5", ab)
	}
	if err := checkSchedule(s); err != nil {
		t.Error(err)
	}
}

func TestLinearScheduleErrors(t *testing.T) {
	for _, c := range []struct {
		n      int
		b0, b1 float64
	}{{0, 1e-4, 0.2}, {10, 0, 0.2}, {10, 1e-4, 1}, {10, 0.3, 0.2}, {10, math.NaN(), 0.2}} {
		if _, err := NewLinear(c.n, c.b0, c.b1); err == nil {
			t.Errorf("NewLinear(%d, %g, %g): no error", c.n, c.b0, c.b1)
		}
	}
}

func TestVPSDESchedule(t *testing.T) {
	v, err := NewVPSDE(DefaultSteps, DefaultVPBetaMin, DefaultVPBetaMax)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSchedule(v); err != nil {
		t.Fatal(err)
	}
	for i := range v.Len() {
		s := float64(i+1) / 100
		// ∫_0^s (0.1 + 19.9 u) du = 0.1 s + 9.95 s²
		want := math.Exp(-(0.1*s + 9.95*s*s))
		if got := v.AlphaBar(i); math.Abs(got-want) > 1e-12*want {
			t.Errorf("ᾱ(%g) = %.15g, want %.15g", s, got, want)
		}
	}
	// β_i ≈ β(s)·Δs for small Δs: the SDE with N = 100 is close to the
	// linear DDPM schedule with β from 1e−3 to 0.2.
	if b := v.Beta(99); math.Abs(b-(1-math.Exp(-0.01*(0.1+19.9*0.995)))) > 1e-12 {
		t.Errorf("β_99 = %g", b)
	}
	if _, err := NewVPSDE(1, 0.1, 2000); err == nil {
		t.Error("VP-SDE with 1 step and β_max = 2000 (β_0 = 1 in floating point): no error")
	}
	if _, err := NewVPSDE(10, 0, 20); err == nil {
		t.Error("VP-SDE with β_min = 0: no error")
	}
}
