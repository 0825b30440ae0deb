package evaluate

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/learn"
)

// gaussExact is the exact density of boltzmannComparison's MD at kT (U =
// ½|x|², so x ~ N(0, kT I)) as a quadrature on 160 × 160 midpoint cells of
// [−6√kT, 6√kT]², in the identity encoder's latent space.
func gaussExact(_ learn.Encoder, kT float64) (*Weighted, error) {
	const nc = 160
	h := 12 * math.Sqrt(kT) / nc
	ex := &Weighted{Z: make([]float64, 0, 2*nc*nc), W: make([]float64, 0, nc*nc)}
	for i := range nc {
		for j := range nc {
			x, y := -6*math.Sqrt(kT)+(float64(i)+0.5)*h, -6*math.Sqrt(kT)+(float64(j)+0.5)*h
			ex.Z = append(ex.Z, x, y)
			ex.W = append(ex.W, math.Exp(-(x*x+y*y)/(2*kT)))
		}
	}
	return ex, nil
}

// The overlap scan compares every prediction with the exact density at
// temperatures without MD. Training on kT 1 and 2 of a harmonic well, with a
// generator that samples the exact N(0, kT I):
//   - at a training kT the nearest-kT reweighting keeps every frame (ESS 1)
//     and is the plain nearest-kT MD;
//   - at kT 1.5 reweighting fixes the width the nearest MD gets wrong;
//   - far out (kT 0.1 from 1, kT 8 from 2) the weights' ESS falls; cooling
//     to 0.1 stays inside the region the frames sampled and reweighting
//     still beats the plain MD tenfold, but heating to 8 needs tails the
//     kT-2 frames never visited and it loses to the exact generator;
//   - the report's section counts the seeds and names those temperatures.
//
// Sizes: 4,000 latents on ExactBins(4000) = 20 bins per axis, where the
// exact generator's symKL is ≈ (occupied bins)/N ≈ 0.1 (Miller 1955), so
// the margins asserted (0.1 and a factor 2) are several times its noise.
func TestScan(t *testing.T) {
	const n = 4000
	c := boltzmannComparison(n)
	c.Config.Bootstrap = 0
	c.Design.Scan = []float64{0.1, 1, 1.5, 8}
	c.Exact, c.ExactN = gaussExact, n
	// A generator blind to temperature, in its own latent space: the scan
	// leaves out that encoder (its baselines would judge nothing).
	c.Methods = append(c.Methods, &Method{Name: "blind", Key: "blind", EncKey: "other", Enc: twoStates{}, Gen: widthGen{}})
	res, err := Run(c)
	require.NoError(t, err)
	require.Len(t, res.Scan, 4*4)
	for _, r := range res.Scan {
		require.Equal(t, "id", r.Encoder, r.Method)
	}
	get := func(key string, kT float64) ScanRow {
		for _, r := range res.Scan {
			if r.MethodKey == key && r.KT == kT {
				return r
			}
		}
		t.Fatalf("no scan row %s at kT %v", key, kT)
		return ScanRow{}
	}
	for i := 1; i < len(res.Scan); i++ {
		assert.LessOrEqual(t, res.Scan[i-1].KT, res.Scan[i].KT, "scan rows sorted by kT")
	}
	assert.Equal(t, "trained", get("good", 1).Regime)
	assert.InDelta(t, 1, get("rw_nearest_id", 1).ESS, 1e-12)
	assert.InDelta(t, get("nearest_id", 1).SymKL, get("rw_nearest_id", 1).SymKL, 1e-12)
	assert.Zero(t, get("good", 1).ESS)
	assert.Equal(t, n, get("rw_mbar_id", 1.5).N, "MBAR: n/2 frames from each of two runs")
	assert.Less(t, get("rw_nearest_id", 1.5).SymKL, get("nearest_id", 1.5).SymKL/2)
	for _, key := range []string{"rw_nearest_id", "rw_mbar_id"} {
		for _, kT := range []float64{0.1, 8} {
			assert.Less(t, get(key, kT).ESS, 0.5*get(key, 1.5).ESS, "%s kT %v: ESS falls far out", key, kT)
		}
		// Cooling keeps to the region the frames sampled: still far better
		// than the unweighted MD. Heating needs tails never visited.
		assert.Less(t, get(key, 0.1).SymKL, get("nearest_id", 0.1).SymKL/10, key)
		assert.Greater(t, get(key, 8).SymKL, 10*get("good", 8).SymKL, key)
	}

	seeds := []*SeedResult{{Seed: 3, Rows: res.Rows, Scan: res.Scan}, {Seed: 4, Rows: res.Rows, Scan: res.Scan}}
	s := scanSection(&res.Design, seeds)
	for _, want := range []string{"Overlap scan", "| extrapolated | MD reweighted (MBAR, all training kT, id encoder) |",
		"2 of 2 seeds", "2000 frames each", "good is lower in every seed at kT 1, 8; higher in every seed at kT 0.1, 1.5."} {
		assert.Contains(t, s, want)
	}
	assert.Empty(t, scanSection(&Design{Name: "other"}, seeds))

	// Without the exact density there is nothing to scan against.
	c = boltzmannComparison(200)
	c.Design.Scan = []float64{3}
	res, err = Run(c)
	require.NoError(t, err)
	assert.Empty(t, res.Scan)
	c.Design.Scan = []float64{-1}
	_, err = Run(c)
	require.ErrorContains(t, err, "kT = -1")
}
