package md_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
)

type discard struct{}

func (discard) WriteFrame([]float64) error { return nil }

// BenchmarkRunLJ7 is one md.Run of b.N BAOAB steps on LJ7 (docs/systems.md
// settings) with a frame recorder every 100 steps and an energy log every
// 1000: the run loop's overhead over the bare integrator
// (integrators.BenchmarkBAOABLJ7) and its allocations per step.
func BenchmarkRunLJ7(b *testing.B) {
	sys := lj7()
	st := mustState(b, sys, potentials.LJ7Hexagon(), nil, newRand(1))
	b.ReportAllocs()
	b.ResetTimer()
	err := md.Run(context.Background(), sys, &integrators.BAOAB{KT: 0.5, Dt: 0.005, Gamma: 1}, st, int64(b.N),
		&md.Recorder{Sink: discard{}, Stride: 100}, &md.EnergyLog{W: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

// BenchmarkCheckpointLJ7 is one checkpoint of an LJ7 BAOAB state through
// the Checkpoint observer: encode, write, fsync, rename, fsync the
// directory. Its cost sets how often a run can afford to checkpoint.
func BenchmarkCheckpointLJ7(b *testing.B) {
	sys := lj7()
	r := md.Replicas{System: sys, Temperatures: []float64{0.5}, X0: potentials.LJ7Hexagon(), Seed: 1}
	st, err := r.NewReplicaState(0)
	if err != nil {
		b.Fatal(err)
	}
	ck := &md.Checkpoint{Path: filepath.Join(b.TempDir(), "ck.bin"), Stride: 1, NoFinal: true}
	b.ReportAllocs()
	b.ResetTimer()
	if err := md.Run(context.Background(), sys, &integrators.BAOAB{KT: 0.5, Dt: 0.005, Gamma: 1}, st, int64(b.N), ck); err != nil {
		b.Fatal(err)
	}
}
