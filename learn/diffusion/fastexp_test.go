package diffusion

import (
	"math"
	"testing"
)

// TestFastExp compares fastExp with math.Exp on a dense grid over the whole
// range used (and beyond, where it defers to math.Exp): relative error
// below 2e−15 (≈ 9 ulp; the method's bound is a few ulp).
func TestFastExp(t *testing.T) {
	worst := 0.0
	for x := -760.0; x <= 760; x += 0.0137 {
		want := math.Exp(x)
		got := fastExp(x)
		if want == 0 || math.IsInf(want, 1) {
			if got != want {
				t.Fatalf("fastExp(%g) = %g, want %g", x, got, want)
			}
			continue
		}
		worst = max(worst, math.Abs(got/want-1))
	}
	rng := newRNG(1)
	for range 100000 {
		x := 40 * rng.NormFloat64()
		worst = max(worst, math.Abs(fastExp(x)/math.Exp(x)-1))
	}
	t.Logf("worst relative error %.3g", worst)
	if worst > 2e-15 {
		t.Errorf("fastExp worst relative error %.3g, want < 2e-15", worst)
	}
	if !math.IsNaN(fastExp(math.NaN())) || fastExp(math.Inf(-1)) != 0 {
		t.Error("fastExp mishandles NaN or −Inf")
	}
}
