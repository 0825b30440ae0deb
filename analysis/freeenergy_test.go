package analysis

import (
	"math"
	"testing"
)

func TestFreeEnergyGaussian(t *testing.T) {
	// p ∝ exp(−x²/2σ²) on a grid through 0: F = x²/2σ² exactly (min 0 at x=0).
	const sigma = 0.7
	x := make([]float64, 61)
	p := make([]float64, len(x))
	for i := range x {
		x[i] = -3 + 0.1*float64(i)
		p[i] = normalPDF(x[i], sigma)
	}
	f := make([]float64, len(p))
	if err := FreeEnergy(f, p, EmptyPolicy{}); err != nil {
		t.Fatal(err)
	}
	for i := range x {
		assertClose(t, "F", f[i], x[i]*x[i]/(2*sigma*sigma), 1e-12)
	}
}

func TestFreeEnergyEmptyPolicies(t *testing.T) {
	p := []float64{0.5, 0, 0.25, 0.25}
	f := make([]float64, 4)
	if err := FreeEnergy(f, p, EmptyPolicy{}); err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(f[1], 1) {
		t.Errorf("empty bin default: F = %v, want +Inf", f[1])
	}
	assertClose(t, "F[2]", f[2], math.Ln2, 1e-15)
	_ = FreeEnergy(f, p, EmptyPolicy{NaN: true})
	if !math.IsNaN(f[1]) {
		t.Errorf("empty bin NaN policy: F = %v, want NaN", f[1])
	}
	_ = FreeEnergy(f, p, EmptyPolicy{Floor: 0.5e-3})
	assertClose(t, "floored F", f[1], math.Log(0.5/0.5e-3), 1e-12)
	// A floor above the maximum flattens everything to 0.
	_ = FreeEnergy(f, p, EmptyPolicy{Floor: 1})
	for _, v := range f {
		assertClose(t, "flat F", v, 0, 0)
	}
	assertErr(t, "all empty", FreeEnergy(f, make([]float64, 4), EmptyPolicy{}))
	assertErr(t, "negative p", FreeEnergy(f, []float64{1, -1, 0, 0}, EmptyPolicy{}))
	assertErr(t, "negative floor", FreeEnergy(f, p, EmptyPolicy{Floor: -1}))
}

func TestFreeEnergyRMSE(t *testing.T) {
	ref := []float64{0, 1, 2, 2.9, 3, 5, math.Inf(1), math.NaN()}
	r, used, err := FreeEnergyRMSE(ref, ref, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r != 0 || used != 4 {
		t.Errorf("identical profiles: RMSE = %v over %d points, want 0 over 4 (F < 3 kT)", r, used)
	}
	// A constant offset is not an error.
	gen := make([]float64, len(ref))
	for i, v := range ref {
		gen[i] = v + 7.5
	}
	r, _, _ = FreeEnergyRMSE(gen, ref, 0)
	assertClose(t, "shifted RMSE", r, 0, 1e-15)
	// Alternating ±a on the region, arbitrary elsewhere: RMSE = a, as the
	// mean difference is 0. The reference need not start at 0: it is shifted.
	ref2 := []float64{1, 2, 3, 3.5, 10}
	gen2 := []float64{1.2, 1.8, 3.2, 3.3, -50}
	r, used, _ = FreeEnergyRMSE(gen2, ref2, 2.6)
	assertClose(t, "alternating RMSE", r, 0.2, 1e-15)
	if used != 4 {
		t.Errorf("used = %d, want 4", used)
	}
	// A generated profile empty inside the region gives +Inf.
	gen2[1] = math.Inf(1)
	r, _, _ = FreeEnergyRMSE(gen2, ref2, 2.6)
	if !math.IsInf(r, 1) {
		t.Errorf("empty generated bin: RMSE = %v, want +Inf", r)
	}
	_, _, err = FreeEnergyRMSE(gen2, ref2[:2], 0)
	assertErr(t, "length mismatch", err)
	_, _, err = FreeEnergyRMSE(gen2, ref2, -1)
	assertErr(t, "negative cap", err)
	_, _, err = FreeEnergyRMSE([]float64{1}, []float64{math.NaN()}, 0)
	assertErr(t, "no finite reference", err)
}

func TestPopulations(t *testing.T) {
	pop := make([]float64, 3)
	if err := Populations(pop, []int{0, 2, 2, 1, 2}, nil); err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{0.2, 0.2, 0.6} {
		assertClose(t, "population", pop[i], want, 1e-15)
	}
	if err := Populations(pop, []int{0, 2, 2}, []float64{2, 1, 1}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{0.5, 0, 0.5} {
		assertClose(t, "weighted population", pop[i], want, 1e-15)
	}
	assertErr(t, "label out of range", Populations(pop, []int{3}, nil))
	assertErr(t, "negative label", Populations(pop, []int{-1}, nil))
	assertErr(t, "no frames", Populations(pop, nil, nil))
}
