package spib_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/dspib/dspib/learn/spib"
)

// A two-state toy: one feature that sits near −1 or +1 and hops between
// them with probability 0.02 per frame. SPIB, started from 4 k-means
// clusters, finds the two metastable states.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	var frames [][]float64
	s := -1.0
	for range 4000 {
		if rng.Float64() < 0.02 {
			s = -s
		}
		frames = append(frames, []float64{s + 0.3*rng.NormFloat64()})
	}
	trajs := []spib.Trajectory{{Features: frames, KT: 1}}
	if err := spib.KMeansLabels(trajs, 4, nil, rng); err != nil {
		fmt.Println(err)
		return
	}
	cfg := spib.Config{Lag: 5, MaxEpochs: 5, Refinements: 2, BatchSize: 128, LearningRate: 5e-3}
	res, err := spib.Train(trajs, cfg, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	labels, _, _ := res.Model.Predict([]float64{-1, 1}, 1)
	fmt.Println("states:", res.Model.K)
	fmt.Println("−1 and +1 in different states:", labels[0] != labels[1])
	// Output:
	// states: 2
	// −1 and +1 in different states: true
}
