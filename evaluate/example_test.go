package evaluate_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/dspib/dspib/evaluate"
)

// identity is an encoder of 2-D frames that are their own latents, with
// one state per half-plane z1 < 0, z1 > 0.
type identity struct{}

func (identity) Encode(x []float64) ([]float64, error) { return x, nil }
func (identity) NumStates() int                        { return 2 }
func (identity) LatentDim() int                        { return 2 }
func (identity) FeatureDim() int                       { return 2 }
func (identity) Classify(z []float64) ([]int, error) {
	s := make([]int, len(z)/2)
	for i := range s {
		if z[2*i] > 0 {
			s[i] = 1
		}
	}
	return s, nil
}

// Compare a prediction, N((0.5, 0), I), with a reference sample of
// N(0, I): the state populations differ by Φ(0.5) − ½ = 0.19 and the free
// energy along z1 by the linear term 0.5·z1, an RMSE of about 0.7 kT over
// F < 3 kT.
func ExampleCompare() {
	rng := rand.New(rand.NewPCG(1, 2))
	sample := func(n int, mx float64) []float64 {
		z := make([]float64, 2*n)
		for i := range n {
			z[2*i], z[2*i+1] = mx+rng.NormFloat64(), rng.NormFloat64()
		}
		return z
	}
	ref, gen := sample(20000, 0), sample(20000, 0.5)
	m, _, _, err := evaluate.Compare(gen, nil, ref, nil, identity{}, evaluate.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("population TV %.2f, F RMSE along z1 %.1f kT\n", m["pop_tv"], m["fe_rmse_z1"])
	// Output: population TV 0.19, F RMSE along z1 0.7 kT
}
