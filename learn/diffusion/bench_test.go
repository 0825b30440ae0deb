package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dspib/dspib/learn/ad"
)

// benchBatch is the batch size of the training-step benchmarks.
const benchBatch = 512

// stepBench is the setup the training-step benchmarks share: the reference
// network (16–64–64–64–64–16, SiLU, smooth embedding, M = 16 replicas), a
// batch of latents at kT = 1 and Adam.
type stepBench struct {
	p        *Prior
	opt      *ad.Adam
	z, temps []float64
	rng      *rand.Rand
}

func newStepBench(b *testing.B) *stepBench { return newStepBenchConfig(b, Config{KTRef: 1}) }

// newStepBenchConfig is newStepBench for the prior cfg.
func newStepBenchConfig(b *testing.B, cfg Config) *stepBench {
	p, err := New(cfg, newRNG(1))
	if err != nil {
		b.Fatal(err)
	}
	opt, err := ad.NewAdam(p.Params(), ad.AdamConfig{})
	if err != nil {
		b.Fatal(err)
	}
	rng := newRNG(2)
	z := mixture2D(benchBatch, [][2]float64{{-1, 0}, {1, 0}}, 0.3, rng)
	return &stepBench{p: p, opt: opt, z: z, temps: fill(benchBatch, 1), rng: rng}
}

// time runs step once to warm up, then b.N times under the timer.
func (s *stepBench) time(b *testing.B, step func() error) {
	if err := step(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := step(); err != nil {
			b.Fatal(err)
		}
		s.opt.Step()
	}
}

// BenchmarkLossStep times one training step on one tape of the whole
// batch (512 × 16 rows): Loss forward, Backward and an Adam update.
func BenchmarkLossStep(b *testing.B) { newStepBench(b).timeLoss(b) }

// timeLoss times Loss forward, Backward and an Adam update on one tape of
// the whole batch.
func (s *stepBench) timeLoss(b *testing.B) {
	tape := ad.NewTape()
	s.time(b, func() error {
		tape.Reset()
		s.opt.ZeroGrad()
		l, err := s.p.Loss(tape, tape.Const(benchBatch, 2, s.z), s.temps, s.rng)
		if err == nil {
			tape.Backward(l)
		}
		return err
	})
}

// BenchmarkLossStepCoupling is BenchmarkLossStep for the linear couplings'
// output head (Config.Coupling, Config.Experts), whose cost over the
// embedded default is a wider output layer and a per-row head in the
// fused loss.
func BenchmarkLossStepCoupling(b *testing.B) {
	for _, c := range []struct {
		cp Coupling
		k  int
	}{{CouplingEmbedded, 0}, {CouplingLinear, 1}, {CouplingLinear, 4}} {
		name := c.cp.String()
		if c.k > 0 {
			name += fmt.Sprintf("/K=%d", c.k)
		}
		b.Run(name, func(b *testing.B) {
			newStepBenchConfig(b, Config{KTRef: 1, Coupling: c.cp, Experts: c.k, Exponent: 0.5}).timeLoss(b)
		})
	}
}

// BenchmarkFitStep times one step of Fit on the same batch, cut into four
// 128-row shards on 1 and 2 workers: shard losses, Backward, the gradient
// reduction and Adam.
func BenchmarkFitStep(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			s := newStepBench(b)
			f, err := s.p.newFitter(benchBatch, workers)
			if err != nil {
				b.Fatal(err)
			}
			defer f.pool.Close()
			copy(f.z, s.z)
			copy(f.temps, s.temps)
			s.time(b, func() error {
				_, err := f.step(benchBatch, s.rng)
				return err
			})
		})
	}
}

// BenchmarkGenerate measures generation throughput of the reference network
// (SiLU, smooth embedding) at N = 100 steps: 1024 samples at one
// temperature per op, on GOMAXPROCS workers, for both samplers.
func BenchmarkGenerate(b *testing.B) {
	p, err := New(Config{KTRef: 1}, newRNG(1))
	if err != nil {
		b.Fatal(err)
	}
	const n = 1024
	for _, s := range []Sampler{Ancestral, ProbabilityFlow} {
		b.Run(s.String(), func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				if _, err := p.GenerateWith(s, []float64{1}, n, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkHeldOutEmbedding compares the smooth embedding (docs/method.md §3 choice)
// with the reference random Fourier features on held-out temperatures: it
// trains on 2-D Gaussians N(0, kT·I) at kT = 1 and 2 (a = 1, as
// TestTemperatureConditioning) and reports the relative error of the
// generated variance at kT = 1.5 (interpolation) and 2.5 (extrapolation)
// against the exact-predictor value. Run with -benchtime=1x.
func BenchmarkHeldOutEmbedding(b *testing.B) {
	const n = 3000
	rng := newRNG(51)
	x, temps := twoTemperatureGaussians(rng, n)
	for _, emb := range []Embedding{Smooth, Fourier} {
		b.Run(emb.String(), func(b *testing.B) {
			for range b.N {
				cfg := TrainConfig{Prior: Config{Hidden: []int{16, 32, 32, 16}, Replicas: 8, Embedding: emb},
					Epochs: 40, BatchSize: 64, Adam: adamLR(3e-3), LRDecay: 0.95}
				p, _, err := Train(x, temps, cfg, newRNG(52))
				if err != nil {
					b.Fatal(err)
				}
				held := []float64{1.5, 2.5}
				gen, err := p.Generate(held, 4000, 53)
				if err != nil {
					b.Fatal(err)
				}
				for k, T := range held {
					_, vr := moments(gen[k], 2)
					want := ancestralVariance(p.Schedule(), T, T*T)
					b.ReportMetric(math.Abs((vr[0]+vr[1])/2/want-1), fmt.Sprintf("relerr@kT%.1f", T))
				}
			}
		})
	}
}
