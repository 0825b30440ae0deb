package plots_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/dspib/dspib/analysis/plots"
)

// Example writes a free-energy profile figure and a Markdown results table
// into a fresh results folder.
func Example() {
	dir, err := os.MkdirTemp("", "plots-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	// F(z) = (z²−1)²/kT in kT on a grid, for MD and a (slightly wrong)
	// generator at a held-out temperature.
	z := make([]float64, 101)
	md := make([]float64, len(z))
	gen := make([]float64, len(z))
	for i := range z {
		z[i] = -2 + 4*float64(i)/100
		md[i] = math.Pow(z[i]*z[i]-1, 2) / 0.5
		gen[i] = math.Pow(z[i]*z[i]-1, 2) / 0.55
	}
	err = plots.Profiles(filepath.Join(dir, "profile_z1.png"), "F(z1) at kT 0.5", "z1", []plots.Curve{
		{Label: "MD kT 0.5", X: z, Y: md, HeldOut: true, Color: 1},
		{Label: "D-SPIB kT 0.5", X: z, Y: gen, HeldOut: true, Dashed: true, Color: 1},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		fmt.Println(f.Name())
	}
	fmt.Print(plots.MarkdownTable(
		[]string{"kT", "RMSE F(z1) [kT]"},
		[][]string{{"0.5 (held out)", plots.MeanStdOf([]float64{0.21, 0.25, 0.19})}},
	))
	// Output:
	// profile_z1.png
	// | kT             | RMSE F(z1) [kT] |
	// |----------------|----------------:|
	// | 0.5 (held out) |   0.217 ± 0.031 |
}
