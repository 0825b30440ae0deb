package diffusion

import (
	"testing"

	"github.com/dspib/dspib/learn/ad"
)

// BenchmarkLossStep times one training step of the reference network
// (16–64–64–64–64–16, SiLU, smooth embedding) at batch 512 × M = 16
// replicas: Loss forward, Backward and an Adam update.
func BenchmarkLossStep(b *testing.B) {
	p, err := New(Config{TRef: 1}, newRNG(1))
	if err != nil {
		b.Fatal(err)
	}
	const B = 512
	rng := newRNG(2)
	z := mixture2D(B, [][2]float64{{-1, 0}, {1, 0}}, 0.3, rng)
	temps := fill(B, 1)
	opt, err := ad.NewAdam(p.Params(), ad.AdamConfig{})
	if err != nil {
		b.Fatal(err)
	}
	tape := ad.NewTape()
	step := func() {
		tape.Reset()
		opt.ZeroGrad()
		l, err := p.Loss(tape, tape.Const(B, 2, z), temps, rng)
		if err != nil {
			b.Fatal(err)
		}
		tape.Backward(l)
		opt.Step()
	}
	step()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		step()
	}
}

// BenchmarkGenerate measures generation throughput of the reference network
// (SiLU, smooth embedding) at N = 100 steps: 1024 samples at one
// temperature per op, on GOMAXPROCS workers, for both samplers.
func BenchmarkGenerate(b *testing.B) {
	p, err := New(Config{TRef: 1}, newRNG(1))
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
