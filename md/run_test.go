package md_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/md/traj"
	"github.com/dspib/dspib/potentials"
)

func TestRunSchedulesObservers(t *testing.T) {
	sys := springSystem(1, 1)
	for _, start := range []int64{0, 7} {
		st := mustState(t, sys, []float64{0}, nil, nil)
		st.Step = start
		integ := &stepper{}
		p3, p5, never := &probe{every: 3}, &probe{every: 5}, &probe{every: 0}
		require.NoError(t, md.Run(context.Background(), sys, integ, st, 20, p3, p5, never))
		end := start + 20
		for _, p := range []*probe{p3, p5, never} {
			var want []int64
			for s := start + 1; s <= end && p.every > 0; s++ {
				if s%p.every == 0 {
					want = append(want, s)
				}
			}
			assert.Equal(t, want, p.steps, "start %d, every %d: steps observed", start, p.every)
			assert.Equal(t, 1, p.started, "every %d: Start calls", p.every)
			assert.Equal(t, 1, p.flushed, "every %d: Flush calls", p.every)
		}
		// The integrator runs uninterrupted between firings: every chunk
		// ends at a multiple of 3 or 5 or at the end of the run.
		at := start
		for _, c := range integ.chunks {
			at += int64(c)
			assert.True(t, at%3 == 0 || at%5 == 0 || at == end, "start %d: chunks %v stop at step %d, where nothing fires", start, integ.chunks, at)
		}
		// From step 0 the stops are 3 5 6 9 10 12 15 18 20: nine chunks.
		if start == 0 {
			assert.Len(t, integ.chunks, 9, "start 0: Advance calls")
		}
		assert.Equal(t, end, st.Step, "start %d: State.Step at the end", start)
		assert.Equal(t, 1, integ.bound, "start %d: Bind calls", start)
	}
	// With no observer the run is still chunked so cancellation is seen.
	st := mustState(t, sys, []float64{0}, nil, nil)
	integ := &stepper{}
	require.NoError(t, md.Run(context.Background(), sys, integ, st, 10_000))
	assert.LessOrEqual(t, slices.Max(integ.chunks), 4096, "largest chunk without observers")
	assert.Equal(t, int64(10_000), st.Step, "State.Step at the end")
}

func TestRunCancel(t *testing.T) {
	sys := springSystem(1, 1)
	st := mustState(t, sys, []float64{0}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &probe{every: 10, onStep: func(st *md.State) error {
		if st.Step == 50 {
			cancel()
		}
		return nil
	}}
	err := md.Run(ctx, sys, &stepper{}, st, 1_000_000, p)
	assert.ErrorIs(t, err, context.Canceled, "cancelled at step 50")
	assert.Equal(t, int64(50), st.Step, "cancelled at step 50: State.Step")
	assert.Equal(t, 1, p.flushed, "cancelled at step 50: Flush calls")
	assert.ErrorIs(t, md.Run(ctx, sys, &stepper{}, st, 10), context.Canceled, "already cancelled")
	assert.Equal(t, int64(50), st.Step, "already cancelled: State.Step")
}

func TestRunErrors(t *testing.T) {
	sys := springSystem(2, 2)
	st := mustState(t, sys, make([]float64, 4), nil, newRand(1))
	ctx := context.Background()
	boom := errors.New("boom")
	p := &probe{every: 4, onStep: func(*md.State) error { return boom }}
	err := md.Run(ctx, sys, &stepper{}, st, 10, p)
	assert.ErrorIs(t, err, boom, "observer error")
	assert.ErrorContains(t, err, "step 4", "observer error")
	assert.Equal(t, 1, p.flushed, "observer error: Flush calls")
	for _, c := range []struct {
		err  error
		want string
	}{
		{md.Run(ctx, sys, nil, st, 1), "Integrator is nil"},
		{md.Run(ctx, sys, &stepper{}, st, -1), "nsteps = -1"},
		{md.Run(ctx, sys, &stepper{}, st, 1, nil), "observer 0 is nil"},
		{md.Run(ctx, springSystem(3, 2), &stepper{}, st, 1), "len(State.X) = 4"},
		{md.Run(ctx, sys, &integrators.BAOAB{KT: 1, Dt: 0.1}, st, 1), "BAOAB.Gamma"},
		{md.Run(ctx, sys, &stepper{}, st, 1, &md.Recorder{}), "Recorder.Sink is nil"},
		{md.Run(ctx, sys, &stepper{}, st, 1, &md.EnergyLog{}), "EnergyLog.W is nil"},
		{md.Run(ctx, sys, &stepper{}, st, 1, &md.Progress{}), "Progress.W is nil"},
	} {
		assert.ErrorContains(t, c.err, c.want)
	}
}

// TestRecorder: frames are the positions after steps 5, 10, …, bit for bit
// the same as advancing an identical state by hand.
func TestRecorder(t *testing.T) {
	sys := springSystem(3, 2)
	x0 := []float64{1, 0, 0, 1, -1, 0.5}
	st := mustState(t, sys, x0, nil, newRand(3))
	sink := &md.MemorySink{}
	require.NoError(t, md.Run(context.Background(), sys, &integrators.BAOAB{KT: 1, Dt: 0.05, Gamma: 1}, st, 52, &md.Recorder{Sink: sink, Stride: 5}))
	ref := mustState(t, sys, x0, nil, newRand(3))
	integ := &integrators.BAOAB{KT: 1, Dt: 0.05, Gamma: 1}
	require.NoError(t, integ.Bind(sys))
	require.Equal(t, [2]int{10, 6}, [2]int{sink.Len(), sink.FrameLen}, "recorded frames × values per frame")
	for k := range 10 {
		require.NoError(t, integ.Advance(ref, 5))
		testutil.SameBits(t, fmt.Sprintf("frame %d against advancing by hand", k), sink.Frame(k), ref.X)
	}
	assert.Error(t, sink.WriteFrame([]float64{1}), "MemorySink accepted a frame of the wrong length")
}

// TestBlowUpRecordsNoNaN: LJ7 with a time step 200× too large explodes
// within ~100 steps (see integrators.TestBlowUp). Run must return the
// integrator's error naming the step and particle, and every recorded frame
// must be finite: one per completed step.
func TestBlowUpRecordsNoNaN(t *testing.T) {
	sys := &md.System{Potential: potentials.LJ7(), Masses: []float64{1, 1, 1, 1, 1, 1, 1}, Dim: 2}
	st := mustState(t, sys, potentials.LJ7Hexagon(), nil, newRand(4))
	require.NoError(t, md.SampleVelocities(sys, st, 0.6))
	sink := &md.MemorySink{}
	err := md.Run(context.Background(), sys, &integrators.BAOAB{KT: 0.6, Dt: 1, Gamma: 1}, st, 10_000, &md.Recorder{Sink: sink})
	var nf *md.NonFiniteError
	require.ErrorAs(t, err, &nf)
	testutil.WantErr(t, err, "step", "particle")
	assert.Equal(t, st.Step, int64(sink.Len()), "frames against State.Step")
	assert.Equal(t, st.Step+1, nf.Step, "error's step against State.Step+1")
	for i, v := range sink.Data {
		require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "frame %d holds %v", i/sink.FrameLen, v)
	}
}

// TestEnergyLog parses the log of a velocity-Verlet run: steps at the
// stride, E = U + K, kT_kin = 2K/(N·D), and E conserved to O(dt²).
func TestEnergyLog(t *testing.T) {
	sys := springSystem(2, 2)
	st := mustState(t, sys, []float64{1, 0, 0, 1}, []float64{0, 1, 0.5, 0}, nil)
	var b strings.Builder
	require.NoError(t, md.Run(context.Background(), sys, &integrators.VelocityVerlet{Dt: 0.01}, st, 100, &md.EnergyLog{W: &b, Stride: 10}))
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Scan()
	assert.True(t, strings.HasPrefix(sc.Text(), "# step"), "header %q", sc.Text())
	e0 := 0.5*(1+1) + 0.5*(1*1+2*0.25) // U + K at t = 0
	n := 0
	for sc.Scan() {
		n++
		f := strings.Fields(sc.Text())
		var v [6]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(f[i], 64)
		}
		assert.Equal(t, float64(10*n), v[0], "line %d: step", n)
		assert.InDelta(t, 0.01*v[0], v[1], 1e-9, "line %d: time = step·dt", n)
		assert.InDelta(t, v[2]+v[3], v[4], 1e-8, "line %d: E = U + K", n)
		assert.InDelta(t, v[3]/2, v[5], 1e-6, "line %d: kT_kin = 2K/4", n)
		// Velocity Verlet on ω ≤ 1 with dt = 0.01: |ΔE| ≈ (ω·dt)²/8·E ≈ 2·10⁻⁵·E.
		assert.InEpsilon(t, e0, v[4], 1e-4, "line %d: E against E(0)", n)
	}
	assert.Equal(t, 10, n, "log lines")
}

func TestProgress(t *testing.T) {
	sys := springSystem(1, 1)
	st := mustState(t, sys, []float64{0}, nil, nil)
	clock := time.Unix(0, 0)
	var b strings.Builder
	p := &md.Progress{W: &b, Interval: 3 * time.Second, Stride: 10, Label: "kT=1",
		Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	require.NoError(t, md.Run(context.Background(), sys, &stepper{}, st, 100, p))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	// Start reads the clock once (t=1 s); each of the 10 observations
	// advances it 1 s and prints when ≥ 3 s passed: at t = 4, 7, 10 s.
	require.Len(t, lines, 4, "want 3 progress lines and a summary:\n%s", b.String())
	assert.Equal(t, "kT=1: 30/100 steps (30.0%)  10 steps/s  ETA 7s", lines[0], "first line")
	assert.True(t, strings.HasPrefix(lines[3], "kT=1: done 100 steps in 11s"), "summary %q", lines[3])
}

// TestRecorderNPY streams frames through traj.NPYWriter, the .npy sink the
// pipeline uses, and reads them back bit for bit.
func TestRecorderNPY(t *testing.T) {
	sys := springSystem(2, 2)
	x0 := []float64{1, 0, 0, 1}
	path := filepath.Join(t.TempDir(), "x.npy")
	w, err := traj.Create(path, sys.Len())
	require.NoError(t, err)
	st := mustState(t, sys, x0, nil, newRand(9))
	mem := &md.MemorySink{}
	err = md.Run(context.Background(), sys, &integrators.BAOAB{KT: 1, Dt: 0.05, Gamma: 1}, st, 100,
		&md.Recorder{Sink: w, Stride: 10}, &md.Recorder{Sink: mem, Stride: 10})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	data, rows, cols, err := traj.ReadNPY(path)
	require.NoError(t, err)
	assert.Equal(t, [2]int{10, 4}, [2]int{rows, cols}, "rows × columns read from .npy")
	testutil.SameBits(t, "frames read from .npy against those recorded in memory", data, mem.Data)
}

// Progress's summary says whether the run completed, was interrupted or
// stopped by an error, with the steps done out of those asked for.
func TestProgressInterrupted(t *testing.T) {
	sys := springSystem(1, 1)
	for _, c := range []struct {
		stop func(cancel func()) error
		want string
	}{
		{func(cancel func()) error { cancel(); return nil }, "kT=1: interrupted after 30 of 100 steps"},
		{func(func()) error { return errors.New("boom") }, "kT=1: stopped by an error after 30 of 100 steps"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		var b strings.Builder
		st := mustState(t, sys, []float64{0}, nil, nil)
		stop := &probe{every: 30, onStep: func(*md.State) error { return c.stop(cancel) }}
		_ = md.Run(ctx, sys, &stepper{}, st, 100, stop, &md.Progress{W: &b, Label: "kT=1"})
		cancel()
		assert.True(t, strings.HasPrefix(b.String(), c.want), "summary %q, want prefix %q", b.String(), c.want)
		assert.NotContains(t, b.String(), "done", "summary of a run that did not complete")
	}
}
