package simdata

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/potentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThreeHoleSeeds: the same seed repeats the trajectory bit for bit,
// another seed gives another one, and the shape is frames × 2.
func TestThreeHoleSeeds(t *testing.T) {
	a, err := ThreeHoleTrajectory(1, 200, 10, 3)
	require.NoError(t, err)
	b, _ := ThreeHoleTrajectory(1, 200, 10, 3)
	c, _ := ThreeHoleTrajectory(1, 200, 10, 4)
	require.Len(t, a, 200, "frames")
	require.Len(t, a[0], 2, "coordinates per frame")
	same := func(p, q [][]float64) bool {
		return slices.EqualFunc(p, q, func(x, y []float64) bool { return slices.Equal(x, y) })
	}
	assert.True(t, same(a, b), "the same seed gave different frames")
	assert.False(t, same(a, c), "another seed gave the same frames")
	// Appending to a frame must not overwrite the next one.
	next := a[1][0]
	_ = append(a[0], 99)
	assert.True(t, a[1][0] == next, "frames share memory beyond their length")
}

// TestThreeHoleBoltzmann: the time average of the energy U over 2·10⁴
// frames (10⁴ τ) at kT = 1 matches ⟨U⟩ of exp(−U/kT) by quadrature on the
// docs/systems.md box. Tolerance: 4 standard errors from 20 block means (the
// block error shrinks as 1/sqrt(frames)) plus 0.02 ε for the O(dt²) BAOAB
// bias in configurational averages at dt = 0.01 and the quadrature error.
func TestThreeHoleBoltzmann(t *testing.T) {
	const kT = 1.0
	fr, err := ThreeHoleTrajectory(kT, 20000, 50, 1)
	require.NoError(t, err)
	var pot potentials.ThreeHole
	f := make([]float64, 2)
	u := make([]float64, len(fr))
	for i, x := range fr {
		u[i] = pot.Force(f, x)
	}
	m, se := testutil.BlockMean(u, 20)
	// Quadrature over [−3,3]×[−2.5,3.5], spacing 0.01.
	const h = 0.01
	var z, zu float64
	for x := -3 + h/2; x < 3; x += h {
		for y := -2.5 + h/2; y < 3.5; y += h {
			e := pot.Force(f, []float64{x, y})
			w := math.Exp(-e / kT)
			z += w
			zu += w * e
		}
	}
	want := zu / z
	t.Logf("⟨U⟩ = %.4f ± %.4f (trajectory), %.4f (quadrature)", m, se, want)
	testutil.InDelta(t, want, m, 4*se+0.02, "⟨U⟩ from the trajectory (± %.4f) against quadrature", se)
}

func TestThreeHoleBadInput(t *testing.T) {
	for _, c := range [][2]int{{0, 10}, {10, 0}} {
		_, err := ThreeHoleTrajectory(1, c[0], c[1], 1)
		assert.ErrorContains(t, err, "frames", "frames %d stride %d", c[0], c[1])
	}
	_, err := ThreeHoleTrajectory(-1, 10, 10, 1)
	assert.ErrorContains(t, err, "KT", "kT = −1")
}

func ExampleThreeHoleTrajectory() {
	frames, err := ThreeHoleTrajectory(1, 1000, 50, 7)
	if err != nil {
		panic(err)
	}
	again, _ := ThreeHoleTrajectory(1, 1000, 50, 7)
	fmt.Println(len(frames), len(frames[0]), slices.Equal(frames[999], again[999]))
	// Output: 1000 2 true
}
