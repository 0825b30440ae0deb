package simdata

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/potentials"
)

// TestThreeHoleSeeds: the same seed repeats the trajectory bit for bit,
// another seed gives another one, and the shape is frames × 2.
func TestThreeHoleSeeds(t *testing.T) {
	a, err := ThreeHoleTrajectory(1, 200, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ThreeHoleTrajectory(1, 200, 10, 3)
	c, _ := ThreeHoleTrajectory(1, 200, 10, 4)
	if len(a) != 200 || len(a[0]) != 2 {
		t.Fatalf("got %d frames of %d coordinates, want 200 × 2", len(a), len(a[0]))
	}
	same := func(p, q [][]float64) bool {
		return slices.EqualFunc(p, q, func(x, y []float64) bool { return slices.Equal(x, y) })
	}
	if !same(a, b) {
		t.Error("the same seed gave different frames")
	}
	if same(a, c) {
		t.Error("another seed gave the same frames")
	}
	// Appending to a frame must not overwrite the next one.
	next := a[1][0]
	_ = append(a[0], 99)
	if a[1][0] != next {
		t.Error("frames share memory beyond their length")
	}
}

// TestThreeHoleBoltzmann: the time average of the energy U over 2·10⁴
// frames (10⁴ τ) at kT = 1 matches ⟨U⟩ of exp(−U/kT) by quadrature on the
// docs/systems.md box. Tolerance: 4 standard errors from 20 block means (the
// block error shrinks as 1/sqrt(frames)) plus 0.02 ε for the O(dt²) BAOAB
// bias in configurational averages at dt = 0.01 and the quadrature error.
func TestThreeHoleBoltzmann(t *testing.T) {
	const kT = 1.0
	fr, err := ThreeHoleTrajectory(kT, 20000, 50, 1)
	if err != nil {
		t.Fatal(err)
	}
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
	if tol := 4*se + 0.02; math.Abs(m-want) > tol {
		t.Errorf("⟨U⟩ = %.4f ± %.4f from the trajectory, %.4f by quadrature (tolerance %.4f)", m, se, want, tol)
	}
}

func TestThreeHoleBadInput(t *testing.T) {
	for _, c := range [][2]int{{0, 10}, {10, 0}} {
		_, err := ThreeHoleTrajectory(1, c[0], c[1], 1)
		if err == nil || !strings.Contains(err.Error(), "frames") {
			t.Errorf("frames %d stride %d: error %v, want one naming frames and stride", c[0], c[1], err)
		}
	}
	if _, err := ThreeHoleTrajectory(-1, 10, 10, 1); err == nil || !strings.Contains(err.Error(), "KT") {
		t.Errorf("kT = −1: error %v, want one naming KT", err)
	}
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
