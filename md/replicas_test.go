package md_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
)

func lj7() *md.System {
	return &md.System{Potential: potentials.LJ7(), Masses: []float64{1, 1, 1, 1, 1, 1, 1}, Dim: 2}
}

func baoab(kT float64) md.Integrator { return &integrators.BAOAB{KT: kT, Dt: 0.005, Gamma: 1} }

// replicaRun runs four LJ7 replicas with frame recorders and returns the
// final states and frames.
func replicaRun(t *testing.T, workers int) ([]*md.State, []*md.MemorySink) {
	t.Helper()
	temps := []float64{0.2, 0.3, 0.4, 0.5}
	sinks := make([]*md.MemorySink, len(temps))
	r := md.Replicas{
		System: lj7(), Temperatures: temps, NewIntegrator: baoab,
		X0: potentials.LJ7Hexagon(), Seed: 42, Steps: 2000, Workers: workers,
		Observers: func(i int, kT float64) []md.Observer {
			sinks[i] = &md.MemorySink{}
			return []md.Observer{&md.Recorder{Sink: sinks[i], Stride: 100}}
		},
	}
	states, err := md.RunReplicas(context.Background(), r)
	require.NoError(t, err)
	return states, sinks
}

// TestReplicasDeterministic: the replicas' trajectories are bit-identical
// whatever GOMAXPROCS or the worker count, and identical to running each
// replica serially from NewReplicaState with Run; distinct replicas differ.
func TestReplicasDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	ref, refFrames := replicaRun(t, 0)
	runtime.GOMAXPROCS(2)
	for _, workers := range []int{0, 3} {
		got, frames := replicaRun(t, workers)
		for i := range ref {
			what := fmt.Sprintf("workers %d, GOMAXPROCS 2 against 1: replica %d", workers, i)
			testutil.SameBits(t, what+": X", got[i].X, ref[i].X)
			testutil.SameBits(t, what+": V", got[i].V, ref[i].V)
			testutil.SameBits(t, what+": frames", frames[i].Data, refFrames[i].Data)
		}
	}
	r := md.Replicas{System: lj7(), Temperatures: []float64{0.2, 0.3, 0.4, 0.5}, NewIntegrator: baoab, X0: potentials.LJ7Hexagon(), Seed: 42}
	for i, kT := range r.Temperatures {
		st, err := r.NewReplicaState(i)
		require.NoError(t, err)
		require.NoError(t, md.Run(context.Background(), r.System, baoab(kT), st, 2000))
		testutil.SameBits(t, fmt.Sprintf("replica %d: X of a serial run against RunReplicas", i), st.X, ref[i].X)
		assert.Equal(t, 20, refFrames[i].Len(), "replica %d: frames", i)
		if i > 0 {
			assert.GreaterOrEqual(t, testutil.FirstBitDiff(ref[i].X, ref[i-1].X), 0, "replicas %d and %d are bit-identical", i-1, i)
		}
	}
}

// TestReplicasFirstErrorCancels: replica 1 uses a step that blows up; the
// others would run 10⁹ steps and must be cancelled, and the error must
// name replica 1 and its temperature.
func TestReplicasFirstErrorCancels(t *testing.T) {
	const steps = 1_000_000_000
	r := md.Replicas{
		System: lj7(), Temperatures: []float64{0.5, 0.6, 0.7}, X0: potentials.LJ7Hexagon(), Seed: 1, Steps: steps, Workers: 3,
		NewIntegrator: func(kT float64) md.Integrator {
			if kT == 0.6 {
				return &integrators.BAOAB{KT: kT, Dt: 1, Gamma: 1}
			}
			return baoab(kT)
		},
	}
	states, err := md.RunReplicas(context.Background(), r)
	var nf *md.NonFiniteError
	require.ErrorAs(t, err, &nf)
	require.ErrorContains(t, err, "replica 1 (kT=0.6)")
	for i, st := range states {
		if st != nil {
			assert.Less(t, st.Step, int64(steps), "replica %d ran to completion despite the failure", i)
		}
	}
}

func TestReplicasBadInput(t *testing.T) {
	good := md.Replicas{System: lj7(), Temperatures: []float64{0.5}, NewIntegrator: baoab, X0: potentials.LJ7Hexagon(), Steps: 10}
	for _, c := range []struct {
		edit func(r *md.Replicas)
		want string
	}{
		{func(r *md.Replicas) { r.Temperatures = nil }, "Temperatures is empty"},
		{func(r *md.Replicas) { r.Temperatures = []float64{0.5, 0} }, "Temperatures[1]"},
		{func(r *md.Replicas) { r.NewIntegrator = nil }, "NewIntegrator"},
		{func(r *md.Replicas) { r.Steps = -1 }, "Steps"},
		{func(r *md.Replicas) { r.X0 = r.X0[:12] }, "len(x) = 12"},
		{func(r *md.Replicas) { r.System = &md.System{Potential: potentials.LJ7(), Dim: 2} }, "Masses"},
	} {
		r := good
		c.edit(&r)
		_, err := md.RunReplicas(context.Background(), r)
		assert.ErrorContains(t, err, c.want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := md.RunReplicas(ctx, good)
	assert.ErrorIs(t, err, context.Canceled, "cancelled context")
}
