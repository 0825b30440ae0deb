package main

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
	"github.com/dspib/dspib/systems"
)

// cpuTime returns the CPU time used by the process so far (user + system):
// the machine is shared, so CPU time per step is steadier than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSimulateLJ7 measures one LJ7 replica at the production settings
// (dt 0.005, a frame every 100 steps) through the whole command, with files
// and features, against the bare integrator run without observers: the
// difference is the cost of the I/O path. One op is 10⁶ MD steps.
//
//	go test ./cmd/dspib -run '^$' -bench SimulateLJ7 -benchtime 3x -benchmem
func BenchmarkSimulateLJ7(b *testing.B) {
	const frames, stride = 10_000, 100
	const steps = frames * stride
	report := func(b *testing.B, cpu0 time.Duration) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps), "ns/step")
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*steps), "cpu-ns/step")
	}
	b.Run("cli", func(b *testing.B) {
		cpu0 := cpuTime()
		for range b.N {
			args := []string{"simulate", "-system", "lj7", "-temps", "0.5", "-frames", strconv.Itoa(frames), "-quiet", "-out", b.TempDir()}
			if r := runCLI(context.Background(), args...); r.code != 0 {
				b.Fatal(r.stderr)
			}
		}
		report(b, cpu0)
	})
	b.Run("bare", func(b *testing.B) {
		sys := &md.System{Potential: potentials.LJ7(), Masses: systems.LJ7.Masses(), Dim: 2}
		cpu0 := cpuTime()
		for range b.N {
			st, err := md.NewState(sys, potentials.LJ7Hexagon(), nil, md.ReplicaRand(1, 0))
			if err != nil {
				b.Fatal(err)
			}
			if err := md.Run(context.Background(), sys, &integrators.BAOAB{KT: 0.5, Dt: 0.005, Gamma: 1}, st, steps); err != nil {
				b.Fatal(err)
			}
		}
		report(b, cpu0)
	})
}
