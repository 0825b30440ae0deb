package ad

import (
	"math"
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
