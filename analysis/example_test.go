package analysis_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dspib/dspib/analysis"
)

// Example computes the D-SPIB features of the LJ7 hexagon, then a free-energy
// profile from a Gaussian KDE and the symmetrised KL between two samples.
func Example() {
	// The LJ7 global minimum: one particle at the centre, six on a ring of
	// radius 2^(1/6) σ. Frames are n×dim row-major, stacked.
	a := math.Pow(2, 1.0/6)
	frame := []float64{0, 0}
	for k := range 6 {
		t := float64(k) * math.Pi / 3
		frame = append(frame, a*math.Cos(t), a*math.Sin(t))
	}
	sorted := make([]float64, 7)
	moments := make([]float64, 2)
	if err := analysis.FeaturesLJ7(sorted, moments, frame, 7, 2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("sorted coordination numbers: %.3f\n", sorted)
	fmt.Printf("mu2 = %.4f, mu3 = %.4f\n", moments[0], moments[1])

	// F(z) = −ln p(z) [kT] of a standard normal sample, shifted to min 0:
	// close to z²/2 (plus the kernel's smoothing).
	rng := rand.New(rand.NewPCG(1, 2))
	z := make([]float64, 20000)
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	grid := []float64{-2, -1, 0, 1, 2}
	p := make([]float64, len(grid))
	if err := analysis.KDE1D(p, grid, z, nil, 0.1); err != nil {
		fmt.Println(err)
		return
	}
	f := make([]float64, len(grid))
	if err := analysis.FreeEnergy(f, p, analysis.EmptyPolicy{}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("F at z = -2..2: %.1f\n", f)

	// Symmetrised KL on common 100×100 edges: 0 for identical samples.
	xy := make([]float64, 2*5000)
	for i := range xy {
		xy[i] = rng.NormFloat64()
	}
	kl, _ := analysis.SymKL(xy, nil, xy, nil, analysis.KLConfig{})
	fmt.Println("SymKL(P, P) =", kl)
	// Output:
	// sorted coordination numbers: [2.993 2.993 2.993 2.993 2.993 2.993 5.463]
	// mu2 = 0.7471, mu3 = 1.3182
	// F at z = -2..2: [2.0 0.5 0.0 0.5 2.0]
	// SymKL(P, P) = 0
}
