package analysis

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/testutil"
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
	require.NoError(t, FreeEnergy(f, p, EmptyPolicy{}))
	for i := range x {
		testutil.InDelta(t, x[i]*x[i]/(2*sigma*sigma), f[i], 1e-12, "F(%v)", x[i])
	}
}

func TestFreeEnergyEmptyPolicies(t *testing.T) {
	p := []float64{0.5, 0, 0.25, 0.25}
	f := make([]float64, 4)
	require.NoError(t, FreeEnergy(f, p, EmptyPolicy{}))
	assert.Equal(t, math.Inf(1), f[1], "empty bin, default policy: F")
	testutil.InDelta(t, math.Ln2, f[2], 1e-15, "F[2]")
	_ = FreeEnergy(f, p, EmptyPolicy{NaN: true})
	assert.True(t, math.IsNaN(f[1]), "empty bin, NaN policy: F = %v, want NaN", f[1])
	_ = FreeEnergy(f, p, EmptyPolicy{Floor: 0.5e-3})
	testutil.InDelta(t, math.Log(0.5/0.5e-3), f[1], 1e-12, "floored F")
	// A floor above the maximum flattens everything to 0.
	_ = FreeEnergy(f, p, EmptyPolicy{Floor: 1})
	assert.Equal(t, []float64{0, 0, 0, 0}, f, "F with a floor above max p")
	assert.Error(t, FreeEnergy(f, make([]float64, 4), EmptyPolicy{}), "all empty")
	assert.Error(t, FreeEnergy(f, []float64{1, -1, 0, 0}, EmptyPolicy{}), "negative p")
	assert.Error(t, FreeEnergy(f, p, EmptyPolicy{Floor: -1}), "negative floor")
}

func TestFreeEnergyRMSE(t *testing.T) {
	ref := []float64{0, 1, 2, 2.9, 3, 5, math.Inf(1), math.NaN()}
	r, used, err := FreeEnergyRMSE(ref, ref, 0)
	require.NoError(t, err)
	assert.Zero(t, r, "identical profiles: RMSE")
	assert.Equal(t, 4, used, "identical profiles: points used (F < 3 kT)")
	// A constant offset is not an error.
	gen := make([]float64, len(ref))
	for i, v := range ref {
		gen[i] = v + 7.5
	}
	r, _, _ = FreeEnergyRMSE(gen, ref, 0)
	testutil.InDelta(t, 0, r, 1e-15, "shifted RMSE")
	// Alternating ±a on the region, arbitrary elsewhere: RMSE = a, as the
	// mean difference is 0. The reference need not start at 0: it is shifted.
	ref2 := []float64{1, 2, 3, 3.5, 10}
	gen2 := []float64{1.2, 1.8, 3.2, 3.3, -50}
	r, used, _ = FreeEnergyRMSE(gen2, ref2, 2.6)
	testutil.InDelta(t, 0.2, r, 1e-15, "alternating RMSE")
	assert.Equal(t, 4, used, "alternating: points used")
	// A generated profile empty inside the region gives +Inf.
	gen2[1] = math.Inf(1)
	r, _, _ = FreeEnergyRMSE(gen2, ref2, 2.6)
	assert.Equal(t, math.Inf(1), r, "empty generated bin: RMSE")
	_, _, err = FreeEnergyRMSE(gen2, ref2[:2], 0)
	assert.Error(t, err, "length mismatch")
	_, _, err = FreeEnergyRMSE(gen2, ref2, -1)
	assert.Error(t, err, "negative cap")
	_, _, err = FreeEnergyRMSE([]float64{1}, []float64{math.NaN()}, 0)
	assert.Error(t, err, "no finite reference")
}

func TestPopulations(t *testing.T) {
	pop := make([]float64, 3)
	require.NoError(t, Populations(pop, []int{0, 2, 2, 1, 2}, nil))
	for i, want := range []float64{0.2, 0.2, 0.6} {
		testutil.InDelta(t, want, pop[i], 1e-15, "population %d", i)
	}
	require.NoError(t, Populations(pop, []int{0, 2, 2}, []float64{2, 1, 1}))
	for i, want := range []float64{0.5, 0, 0.5} {
		testutil.InDelta(t, want, pop[i], 1e-15, "weighted population %d", i)
	}
	assert.Error(t, Populations(pop, []int{3}, nil), "label out of range")
	assert.Error(t, Populations(pop, []int{-1}, nil), "negative label")
	assert.Error(t, Populations(pop, nil, nil), "no frames")
}
