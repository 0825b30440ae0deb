package systems_test

import (
	"fmt"

	"github.com/dspib/dspib/systems"
)

// The catalogue gives a system's defaults and turns frames into model and
// k-means label features: for LJ7 the 7 sorted coordination numbers and the
// moments (μ2, μ3), standardised for k-means. At the hexagon each ring
// particle has c ≈ 3·s(a) + 2·s(√3·a) + s(2a) ≈ 3.0065 (a = 1.12 σ) and the
// centre 6·s(a), which gives μ2 ≈ 0.747 (checked by hand).
func Example() {
	lj7, _ := systems.Lookup("lj7")
	fmt.Println(lj7)
	feat, d, label, ld, err := lj7.Features(lj7.Start(), 1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d features, first %.4f; %d label features %v, standardised %v\n",
		d, feat[0], ld, lj7.LabelNames, lj7.StandardizeLabels)
	fmt.Printf("hexagon: μ2 = %.4f\n", label[0])
	// Output:
	// lj7           dt 0.005 (overdamped/mala 0.0005), stride 100, gamma 1, frames 100000, temps 0.2,0.3,0.4,0.5,0.6
	// 7 features, first 3.0065; 2 label features [μ2 μ3], standardised true
	// hexagon: μ2 = 0.7472
}
