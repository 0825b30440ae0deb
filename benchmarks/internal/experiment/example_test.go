package experiment_test

import (
	"fmt"
	"github.com/dspib/dspib/md/traj"

	"github.com/dspib/dspib/benchmarks/internal/experiment"
)

// The LJ7 design: train at kT 0.2 and 0.5; every evaluated temperature is
// judged against the MD of its nearest training temperature (on a log scale).
func Example_nearest() {
	e := experiment.Experiment{Name: "temps", Train: []float64{0.2, 0.5}, Eval: []float64{0.2, 0.3, 0.4, 0.5, 0.6}}
	for _, kT := range e.Eval {
		fmt.Printf("%s trained=%v baseline=kT %g\n", traj.TempTag(kT), e.IsTrain(kT), e.Nearest(kT))
	}
	// Output:
	// kT0.200 trained=true baseline=kT 0.2
	// kT0.300 trained=false baseline=kT 0.2
	// kT0.400 trained=false baseline=kT 0.5
	// kT0.500 trained=true baseline=kT 0.5
	// kT0.600 trained=false baseline=kT 0.5
}
