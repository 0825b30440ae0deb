// Package simdata generates the small simulated data sets that the tests
// and benchmarks of several packages share, with the real md and
// integrators packages, so that test data come from the code users run.
package simdata

import (
	"context"
	"fmt"
	"slices"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/systems"
)

// ThreeHoleTrajectory runs BAOAB Langevin dynamics (integrators.BAOAB;
// Leimkuhler & Matthews, Appl. Math. Res. Express 2013, 34–56) of one unit
// mass on the catalogue's three-hole system (systems.ThreeHole: its potential,
// dt and γ) at temperature kT [ε] for frames·stride steps, from its start
// configuration at rest, and returns the positions
// (x, y) after every stride steps (the starting point is not included): a
// frame every stride·0.01 τ. The noise comes from md.ReplicaRand(seed, 0),
// so the same arguments give the same frames bit for bit.
func ThreeHoleTrajectory(kT float64, frames, stride int, seed uint64) ([][]float64, error) {
	if frames < 1 || stride < 1 {
		return nil, fmt.Errorf("simdata: ThreeHoleTrajectory: frames = %d and stride = %d, want both ≥ 1", frames, stride)
	}
	th := systems.ThreeHole
	sys := th.MD()
	st, err := md.NewState(sys, th.Start(), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("simdata: ThreeHoleTrajectory: %w", err)
	}
	st.SetSource(md.ReplicaSource(seed, 0))
	integ := &integrators.BAOAB{KT: kT, Dt: th.Dt, Gamma: th.Gamma}
	sink := &md.MemorySink{}
	if err := md.Run(context.Background(), sys, integ, st, int64(frames)*int64(stride),
		&md.Recorder{Sink: sink, Stride: int64(stride)}); err != nil {
		return nil, fmt.Errorf("simdata: ThreeHoleTrajectory: %w", err)
	}
	out := make([][]float64, sink.Len())
	for i := range out {
		out[i] = slices.Clip(sink.Frame(i))
	}
	return out, nil
}
