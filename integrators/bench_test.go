package integrators_test

import (
	"runtime"
	"testing"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
)

// benchSteps times b.N steps of integ in chunks of 1000 (as md.Run does
// between observer firings) and reports steps/s of wall time and, because
// the benchmark machine is shared, steps per second of this thread's CPU
// time (Linux RUSAGE_THREAD; the goroutine is locked to its thread).
func benchSteps(b *testing.B, sys *md.System, integ md.Integrator, x0 []float64) {
	st := mustState(b, sys, x0, nil, newRand(7))
	if err := integ.Bind(sys); err != nil {
		b.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := threadCPU()
	for left := b.N; left > 0; left -= 1000 {
		if err := integ.Advance(st, min(left, 1000)); err != nil {
			b.Fatal(err)
		}
	}
	cpu := threadCPU() - cpu0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "steps/cpu-s")
	}
}

// BenchmarkBAOABThreeHole: one particle, docs/systems.md settings.
func BenchmarkBAOABThreeHole(b *testing.B) {
	sys := &md.System{Potential: potentials.ThreeHole{}, Masses: []float64{1}, Dim: 2}
	benchSteps(b, sys, &integrators.BAOAB{KT: 1, Dt: 0.01, Gamma: 1}, []float64{-1.05, -0.04})
}

// BenchmarkBAOABLJ7: seven particles in 2-D with the COM restraint,
// docs/systems.md settings (kT = 0.5, dt = 0.005).
func BenchmarkBAOABLJ7(b *testing.B) {
	sys := &md.System{Potential: potentials.LJ7(), Masses: []float64{1, 1, 1, 1, 1, 1, 1}, Dim: 2}
	benchSteps(b, sys, &integrators.BAOAB{KT: 0.5, Dt: 0.005, Gamma: 1}, potentials.LJ7Hexagon())
}

// BenchmarkOverdampedMALAThreeHole: one MALA step per iteration.
func BenchmarkOverdampedMALAThreeHole(b *testing.B) {
	sys := &md.System{Potential: potentials.ThreeHole{}, Masses: []float64{1}, Dim: 2}
	benchSteps(b, sys, &integrators.Overdamped{KT: 1, Dt: 0.05, Gamma: 1, Metropolis: true}, []float64{-1.05, -0.04})
}

// zero is the free particle: U = 0, F = 0.
type zero struct{}

func (zero) Force(dst, _ []float64) float64 { clear(dst); return 0 }

// BenchmarkBAOABFree: seven free particles in 2-D, the cost of BAOAB itself
// (14 Gaussian draws, two passes, the finiteness check) without a
// potential.
func BenchmarkBAOABFree(b *testing.B) {
	sys := &md.System{Potential: zero{}, Masses: []float64{1, 1, 1, 1, 1, 1, 1}, Dim: 2}
	benchSteps(b, sys, &integrators.BAOAB{KT: 0.5, Dt: 0.005, Gamma: 1}, potentials.LJ7Hexagon())
}
