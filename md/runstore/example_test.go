package runstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/dspib/dspib/md/runstore"
	"github.com/dspib/dspib/potentials"
	"github.com/dspib/dspib/systems"
)

// A user's own system is one systems.System value: here one particle in a
// 1-D harmonic well U = ½·k·x² (k = 4 ε/σ²), simulated at two temperatures
// into a run folder and read back. Its features and k-means label features
// are the position itself (no Featurizer).
func ExampleSimulate() {
	well := &systems.System{
		Name: "well", Title: "harmonic well, k = 4 ε/σ²",
		Potential: potentials.Harmonic{K: 4}, N: 1, Dim: 1, X0: []float64{0},
		Dt: 0.01, Gamma: 1, Stride: 10, Frames: 1000, Temperatures: []float64{0.5, 1},
	}
	dir, err := os.MkdirTemp("", "runstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	cfg := runstore.Config{System: well, Frames: 200, Seed: 1, Dir: dir}
	if err := runstore.Simulate(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}
	run, err := runstore.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, kT := range run.Temperatures() {
		x, frames, cols, err := run.Frames(kT)
		if err != nil {
			log.Fatal(err)
		}
		u, err := run.Energies(kT)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("kT %g: %d frames × %d, U of the last frame = ½·4·x² is %v\n",
			kT, frames, cols, u[frames-1] == 2*x[frames-1]*x[frames-1])
	}
	fmt.Println("integrator:", run.Meta.Integrator.Name, "seeds:", run.Meta.Seeds)
	// Output:
	// kT 0.5: 200 frames × 1, U of the last frame = ½·4·x² is true
	// kT 1: 200 frames × 1, U of the last frame = ½·4·x² is true
	// integrator: BAOAB seeds: [1 1]
}

// A run split into shards, one per temperature, as the tasks of a Slurm job
// array run it (here one after the other in one process): Open refuses the
// folder until every shard is complete, naming the missing one.
func ExampleSimulateShard() {
	dir, err := os.MkdirTemp("", "runstore-shards")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg := runstore.Config{System: systems.ThreeHole, Temperatures: []float64{0.6, 1}, Frames: 100, Seed: 1, Dir: dir}
	if err := runstore.SimulateShard(context.Background(), cfg, 1); err != nil {
		log.Fatal(err)
	}
	if _, err := runstore.Open(dir); err != nil {
		fmt.Println("after shard 1:", strings.SplitN(err.Error(), "\n", 3)[1])
	}
	if err := runstore.SimulateShard(context.Background(), cfg, 0); err != nil {
		log.Fatal(err)
	}
	run, err := runstore.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("after shard 0:", run.Temperatures(), run.Meta.Extra[runstore.ExtraComplete])
	// Output:
	// after shard 1:   shard 0 (kT 0.6, shard_kT0.600.json): not started
	// after shard 0: [0.6 1] true
}
