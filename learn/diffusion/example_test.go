package diffusion_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dspib/dspib/learn/diffusion"
)

// Train a temperature-conditioned prior on 2-D latents drawn at kT = 1 and
// kT = 2 (here Gaussians of variance kT), then generate at the held-out
// kT = 1.5.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2000
	z := make([]float64, 2*n) // n latents × d = 2, row-major
	kT := make([]float64, n)  // temperature of each latent
	for i := range n {
		kT[i] = float64(1 + i%2)
		z[2*i] = math.Sqrt(kT[i]) * rng.NormFloat64()
		z[2*i+1] = math.Sqrt(kT[i]) * rng.NormFloat64()
	}
	cfg := diffusion.TrainConfig{
		Prior:  diffusion.Config{Hidden: []int{16, 32, 32, 16}, Replicas: 8}, // T_ref: lowest kT
		Epochs: 25, BatchSize: 64, LRDecay: 0.95,
	}
	cfg.Adam.LR = 3e-3
	prior, losses, err := diffusion.Train(z, kT, cfg, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("loss decreased:", losses[len(losses)-1] < 0.6*losses[0])

	samples, err := prior.Sample(1.5, 2000, 7) // 2000×2 latents at kT = 1.5
	if err != nil {
		fmt.Println(err)
		return
	}
	v := 0.0
	for _, x := range samples {
		v += x * x
	}
	v /= float64(len(samples))
	fmt.Println("variance at kT = 1.5 within 15% of 1.5:", math.Abs(v/1.5-1) < 0.15)

	_, err = prior.Sample(-1, 10, 7)
	fmt.Println(err)
	// Output:
	// loss decreased: true
	// variance at kT = 1.5 within 15% of 1.5: true
	// diffusion: Generate: temps[0] = -1, want a finite kT > 0
}
