package analysis

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/potentials"
)

// TestBoltzmannGridPotentialsThreeHole runs the three-hole quadrature checks
// on the package potentials implementation and checks that its weights agree
// with the independent test-only implementation (rounding only).
func TestBoltzmannGridPotentialsThreeHole(t *testing.T) {
	checkThreeHoleFixtures(t, potentials.ThreeHole{})
	_, w1, err := BoltzmannGrid(potentials.ThreeHole{}, 0.8, -3, 3, -2.5, 3.5, 60, 60)
	require.NoError(t, err)
	_, w2, _ := BoltzmannGrid(threeHoleTest{}, 0.8, -3, 3, -2.5, 3.5, 60, 60)
	for k := range w1 {
		testutil.InDelta(t, w2[k], w1[k], 1e-13*w2[k]+1e-300, "weight %d", k)
	}
}

// TestFeaturesPotentialsHexagon computes the features of the exact LJ7
// minimum from package potentials (ring radius a ≈ 1.11848 σ, slightly
// below 2^(1/6)) and compares them with the hand formula at that radius:
// centre 6·s(a), ring 3·s(a) + 2·s(√3a) + s(2a).
func TestFeaturesPotentialsHexagon(t *testing.T) {
	x := potentials.LJ7Hexagon()
	a := math.Hypot(x[2]-x[0], x[3]-x[1])
	s := func(r float64) float64 { return plumedRational(r, LJ7R0, 8, 16) }
	centre := 6 * s(a)
	ring := 3*s(a) + 2*s(a*math.Sqrt(3)) + s(2*a)
	sorted := make([]float64, 7)
	require.NoError(t, FeaturesLJ7(sorted, nil, x, 7, 2))
	for i := 0; i < 6; i++ {
		testutil.InDelta(t, ring, sorted[i], 1e-12, "ring particle %d", i)
	}
	testutil.InDelta(t, centre, sorted[6], 1e-12, "centre")
}
