package ad

import (
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// cpuTime returns the CPU time (user + system) used by this process. The
// benchmarks report it beside wall time because the build machine is shared:
// with other jobs running, wall time overstates the cost of a step.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchStep times step and reports wall and CPU µs/step and CPU seconds per
// million samples (rows of the batch).
func benchStep(b *testing.B, step func() float64, samples int) {
	step()
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for range b.N {
		step()
	}
	cpu := (cpuTime() - c0).Seconds() / float64(b.N)
	wall := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(wall*1e6, "µs/step")
	b.ReportMetric(cpu*1e6, "cpu-µs/step")
	b.ReportMetric(cpu/float64(samples)*1e6, "cpu-s/Msamples")
}

// TestResetReuse: a tape reused after Reset gives bit-identical losses and
// gradients to a fresh tape, and a full training step (forward, backward,
// Adam) allocates nothing after the first.
func TestResetReuse(t *testing.T) {
	for _, name := range []string{"spib", "dspib"} {
		var fwd func() *Node
		var ps ParamSet
		var step func() float64
		var fresh func()
		if name == "spib" {
			m := newSPIB(64, 7, 5, 1)
			fwd, ps, step, fresh = m.forward, m.ps, m.step, func() { m.tape = NewTape() }
		} else {
			m := newDSPIB(8, 7, 5, 4, 1)
			fwd, ps, step, fresh = m.forward, m.ps, m.step, func() { m.tape = NewTape() }
		}
		grads := func() (float64, []float64) {
			ps.ZeroGrad()
			l := fwd()
			l.tape.Backward(l)
			var g []float64
			for _, p := range ps {
				g = append(g, p.Grad...)
			}
			return l.Scalar(), g
		}
		l1, g1 := grads()
		l2, g2 := grads() // same tape after Reset
		fresh()
		l3, g3 := grads() // a new tape
		assert.True(t, math.Float64bits(l1) == math.Float64bits(l2) && math.Float64bits(l1) == math.Float64bits(l3) &&
			bitsEqual(g1, g2) && bitsEqual(g1, g3), "%s: reuse changed results: loss %v %v %v", name, l1, l2, l3)
		step()
		assert.Zero(t, testing.AllocsPerRun(3, func() { step() }), "%s: training step allocations", name)
	}
}

// BenchmarkSPIBStep: one SPIB training step at the reference shapes (batch
// 512, D = 7, encoder 7→16→16→2, decoder 2→16→16→10, VampPrior over K = 10
// representatives, Adam). Reports wall and CPU µs/step and CPU seconds per million samples.
func BenchmarkSPIBStep(b *testing.B) {
	m := newSPIB(512, 7, 10, 1)
	benchStep(b, m.step, 512)
}

// BenchmarkSPIBStepK100: the same step with K = 100 states (the first SPIB
// round after k-means, docs/method.md §1), where the B×K ops (LogSoftmax and its
// backward, the VampPrior mixture over 100 components) dominate.
func BenchmarkSPIBStepK100(b *testing.B) {
	m := newSPIB(512, 7, 100, 1)
	benchStep(b, m.step, 512)
}

// BenchmarkDSPIBStep: one D-SPIB phase-2 step (batch 512 latents, each
// replicated 16× = 8192 rows through the noise network, plus encoder and
// decoder, Adam). cpu-s/Msamples counts latent samples (frames), not replicas.
func BenchmarkDSPIBStep(b *testing.B) {
	m := newDSPIB(512, 7, 10, 16, 1)
	benchStep(b, m.step, 512)
}

// BenchmarkCondMLP times one forward + backward of the fused noise network
// at the D-SPIB phase-2 shape (8,192 rows = 512 latents × 16 replicas;
// widths 16→64→64→64→64→16, SiLU, residual hidden layers, a 100-row step
// table and a 3-row temperature table per hidden layer) in float32 and
// float64, on the AVX-512 kernels and on the AVX2/FMA path (forced with
// setAVX512(false), as on a CPU without AVX-512).
//
//	go test ./learn/ad -run '^$' -bench CondMLP -count 6 -cpu 1
func BenchmarkCondMLP(b *testing.B) {
	const R = 8192
	rng := rand.New(rand.NewPCG(8, 1))
	param := func(rows, cols int) *Param {
		p := NewParam("p", rows, cols)
		for i := range p.Data {
			p.Data[i] = 0.2 * rng.NormFloat64()
		}
		return p
	}
	widths := []int{16, 64, 64, 64, 64, 16}
	var ps []*Param
	for k := 1; k < len(widths); k++ {
		ps = append(ps, param(widths[k], widths[k-1]), param(1, widths[k]))
		if k < len(widths)-1 {
			ps = append(ps, param(100, widths[k]), param(3, widths[k]))
		}
	}
	x, target, coef := make([]float64, R*16), make([]float64, R*16), make([]float64, R)
	keys := make([]int, 2*R)
	for r := range R {
		keys[2*r], keys[2*r+1] = rng.IntN(100), rng.IntN(3)
		coef[r] = 1.0 / R
	}
	for i := range x {
		x[i], target[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	for _, path := range []struct {
		name string
		avx  bool
	}{{"avx512", true}, {"avx2", false}} {
		for _, p := range []Precision{Float32, Float64} {
			b.Run(path.name+"/"+p.String(), func(b *testing.B) {
				if path.avx && !cpuHasAVX512 || !hasFMA {
					b.Skip("CPU lacks the kernels")
				}
				old := setAVX512(path.avx)
				defer setAVX512(old)
				op := &CondMLP{Act: ActSiLU, Residual: []bool{false, true, true, true}, Precision: p}
				tp := NewTape()
				t0 := cpuTime()
				defer func() { b.ReportMetric((cpuTime()-t0).Seconds()/float64(b.N), "cpu-s/op") }()
				for b.Loop() {
					tp.Reset()
					ParamSet(ps).ZeroGrad()
					v := make([]*Node, len(ps))
					for i, q := range ps {
						v[i] = tp.Param(q)
					}
					var ls []FusedLayer
					j := 0
					for k := 1; k < len(widths); k++ {
						l := FusedLayer{W: v[j], B: v[j+1]}
						j += 2
						if k < len(widths)-1 {
							l.Tables = []*Node{v[j], v[j+1]}
							j += 2
						}
						ls = append(ls, l)
					}
					tp.Backward(op.Loss(tp, tp.Const(R, 16, x), ls, keys, 2, target, coef))
				}
			})
		}
	}
}
