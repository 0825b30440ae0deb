package dspib_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/dspib"
	"github.com/dspib/dspib/learn/spib"
)

// Example builds an (untrained) D-SPIB model, saves it to a folder, loads
// it back and generates latents at a trained, an interpolated and an
// extrapolated temperature; the SPIB part alone can only sample its
// VampPrior. A real model comes from dspib.Fit on labelled trajectories.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg, _ := spib.Config{}.Validate() // reference settings: d = 2, 16 hidden units
	std := spib.Standardizer{Mean: []float64{0, 0}, Std: []float64{1, 1}}
	sm := spib.NewModel(cfg, 2, 3, std, rng) // 2 input features, 3 states
	prior, _ := diffusion.New(diffusion.Config{KTRef: 0.2}, rng)

	dir, _ := os.MkdirTemp("", "dspib-example")
	defer os.RemoveAll(dir)
	if err := (&dspib.Model{SPIB: sm, Prior: prior}).Save(filepath.Join(dir, "model")); err != nil {
		fmt.Println(err)
		return
	}
	m, err := dspib.Load(filepath.Join(dir, "model"))
	if err != nil {
		fmt.Println(err)
		return
	}
	temps := []float64{0.2, 0.35, 0.6} // kT
	z, _ := m.Generate(temps, 1000, 42)
	for k, T := range temps {
		fmt.Printf("kT %.2f: %d latents of dimension %d\n", T, len(z[k])/2, 2)
	}
	_, err = (&dspib.Model{SPIB: sm}).Generate(temps, 10, 1)
	fmt.Println(errors.Is(err, dspib.ErrNoPrior))
	_, err = m.Generate([]float64{0}, 10, 1)
	fmt.Println(err)
	// Output:
	// kT 0.20: 1000 latents of dimension 2
	// kT 0.35: 1000 latents of dimension 2
	// kT 0.60: 1000 latents of dimension 2
	// true
	// dspib: temperature 0 is kT = 0, want a finite kT > 0
}
