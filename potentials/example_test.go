package potentials_test

import (
	"fmt"

	"github.com/dspib/dspib/potentials"
)

// DoubleWell is a user-defined potential written from scratch:
// U = Σ_k h·(x_k² − 1)², with force −∂U/∂x_k = −4h·x_k·(x_k² − 1).
// Minima at x_k = ±1 (U = 0), barrier h [ε] at x_k = 0.
type DoubleWell struct{ H float64 }

func (p DoubleWell) Force(dst, x []float64) float64 {
	var u float64
	for k, v := range x {
		w := v*v - 1
		u += p.H * w * w
		dst[k] = -4 * p.H * v * w
	}
	return u
}

// Write a new potential in a few lines, check its forces against central
// finite differences, and combine it with a built-in term.
func ExampleCheckForces() {
	well := DoubleWell{H: 2}
	x := []float64{0.3, -1.4, 2}
	fmt.Println("double well:", potentials.CheckForces(well, x, 0, 0))

	// A deliberately wrong force is caught and the worst coordinate named:
	// at x = 0.5 the true force is 3 − 0.5 = 2.5, the buggy one 3 + 0.5.
	bad := potentials.Sum{well, flipped{}}
	fmt.Println("with a bug:", potentials.CheckForces(bad, []float64{0.5, 1.5}, 0, 0))

	// Sums of user and built-in terms work the same way: at (1, 0) the well
	// gives U = 2·(0 + 1) and no force, the harmonic term ½·0.5·1 and −0.5·x.
	sum := potentials.Sum{well, potentials.Harmonic{K: 0.5}}
	f := make([]float64, 2)
	fmt.Printf("U = %.4f, F = [%.4f %.4f]\n", sum.Force(f, []float64{1, 0}), f[0], f[1])
	// Output:
	// double well: <nil>
	// with a bug: potentials: CheckForces: coordinate 0: analytic force 3.5, central difference 2.5 (h = 1e-05): error 0.286 > relTol 1e-06
	// U = 2.2500, F = [-0.5000 0.0000]
}

// flipped is U = ½|x|² with the force's sign wrong.
type flipped struct{}

func (flipped) Force(dst, x []float64) float64 {
	var u float64
	for k, v := range x {
		u += 0.5 * v * v
		dst[k] = v // wrong: should be −v
	}
	return u
}
