package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dspib/dspib/md/traj"
)

// Simulate LJ7 at two temperatures for 50 frames each, as
//
//	dspib simulate -system lj7 -temps 0.2,0.5 -frames 50 -quiet -out DIR
//
// and list what the folder holds.
func Example() {
	dir, err := os.MkdirTemp("", "dspib-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	code := dspibMain(context.Background(),
		[]string{"simulate", "-system", "lj7", "-temps", "0.2,0.5", "-frames", "50", "-quiet", "-out", dir},
		os.Stdout, os.Stderr)
	fmt.Println("exit status", code)
	m, err := traj.ReadMetadata(filepath.Join(dir, "metadata.json"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s, kT %v, %s dt=%g gamma=%g, %d steps, a frame every %d\n",
		m.System, m.Temperatures, m.Integrator.Name, m.Integrator.Dt, m.Integrator.Gamma, m.Steps, m.Stride)
	for _, name := range []string{"traj_kT0.200.npy", "features_kT0.200.npy", "moments_kT0.500.npy"} {
		_, rows, cols, err := traj.ReadNPY(filepath.Join(dir, name))
		fmt.Printf("%-21s %d × %d %v\n", name, rows, cols, err)
	}
	// Output:
	// exit status 0
	// lj7-2d, kT [0.2 0.5], BAOAB dt=0.005 gamma=1, 5000 steps, a frame every 100
	// traj_kT0.200.npy      50 × 14 <nil>
	// features_kT0.200.npy  50 × 7 <nil>
	// moments_kT0.500.npy   50 × 2 <nil>
}
