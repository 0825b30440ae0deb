package md_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
)

// upperHole counts frames with y > 0.9 (the shallow upper hole) without
// storing them: a FrameSink needs only WriteFrame.
type upperHole struct{ in, n int }

func (u *upperHole) WriteFrame(x []float64) error {
	if x[1] > 0.9 {
		u.in++
	}
	u.n++
	return nil
}

// Run the three-hole potential at two temperatures in parallel, one
// replica each, and compare the occupation of the upper hole, P(y > 0.9):
// exactly 0.0517 at kT = 0.6 and 0.1366 at kT = 1 (Boltzmann quadrature).
func Example() {
	sys := &md.System{Potential: potentials.ThreeHole{}, Masses: []float64{1}, Dim: 2}
	temps := []float64{0.6, 1.0}
	counts := make([]*upperHole, len(temps))
	_, err := md.RunReplicas(context.Background(), md.Replicas{
		System:       sys,
		Temperatures: temps,
		NewIntegrator: func(kT float64) md.Integrator {
			return &integrators.BAOAB{KT: kT, Dt: 0.01, Gamma: 1} // docs/systems.md defaults
		},
		X0:    []float64{-1.05, -0.04}, // left deep hole
		Seed:  2026,
		Steps: 4_000_000,
		Observers: func(i int, kT float64) []md.Observer {
			counts[i] = &upperHole{}
			return []md.Observer{&md.Recorder{Sink: counts[i], Stride: 10}}
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	exact := []float64{0.0517, 0.1366}
	for i, kT := range temps {
		p := float64(counts[i].in) / float64(counts[i].n)
		// The standard error is about 0.003 (the indicator stays correlated
		// for ~4 τ, so 4·10⁴ τ hold ~10⁴ independent samples): 0.02 is a
		// 6-sigma check.
		fmt.Printf("kT = %.1f: %d frames, P(y > 0.9) within 0.02 of %.4f: %v\n", kT, counts[i].n, exact[i], math.Abs(p-exact[i]) < 0.02)
	}
	// Output:
	// kT = 0.6: 400000 frames, P(y > 0.9) within 0.02 of 0.0517: true
	// kT = 1.0: 400000 frames, P(y > 0.9) within 0.02 of 0.1366: true
}

// Checkpoint a Langevin run halfway, restore it as a new process would, and
// continue: the result is bit-identical to the run done in one go.
func ExampleLoadCheckpoint() {
	sys := &md.System{Potential: potentials.ThreeHole{}, Masses: []float64{1}, Dim: 2}
	r := md.Replicas{System: sys, Temperatures: []float64{1}, X0: []float64{-1.05, -0.04}, Seed: 7}
	integ := func() md.Integrator { return &integrators.BAOAB{KT: 1, Dt: 0.01, Gamma: 1} }
	ctx := context.Background()

	straight, _ := r.NewReplicaState(0)
	if err := md.Run(ctx, sys, integ(), straight, 1000); err != nil {
		fmt.Println(err)
		return
	}

	dir, _ := os.MkdirTemp("", "ckpt")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "replica0.bin")
	first, _ := r.NewReplicaState(0)
	// A cancelled or completed run writes a final checkpoint too.
	if err := md.Run(ctx, sys, integ(), first, 500, &md.Checkpoint{Path: path, Stride: 250}); err != nil {
		fmt.Println(err)
		return
	}
	resumed, err := md.LoadCheckpoint(path, sys)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("resumed at step", resumed.Step)
	if err := md.Run(ctx, sys, integ(), resumed, 500); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("same positions and velocities:", slices.Equal(resumed.X, straight.X) && slices.Equal(resumed.V, straight.V))
	// Output:
	// resumed at step 500
	// same positions and velocities: true
}
