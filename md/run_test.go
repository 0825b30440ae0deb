package md_test

import (
	"bufio"
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dspib/dspib/integrators"
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
		if err := md.Run(context.Background(), sys, integ, st, 20, p3, p5, never); err != nil {
			t.Fatal(err)
		}
		end := start + 20
		for _, p := range []*probe{p3, p5, never} {
			var want []int64
			for s := start + 1; s <= end && p.every > 0; s++ {
				if s%p.every == 0 {
					want = append(want, s)
				}
			}
			if !slices.Equal(p.steps, want) {
				t.Errorf("start %d, every %d: observed at %v, want %v", start, p.every, p.steps, want)
			}
			if p.started != 1 || p.flushed != 1 {
				t.Errorf("every %d: Start called %d times, Flush %d times, want 1 and 1", p.every, p.started, p.flushed)
			}
		}
		// The integrator runs uninterrupted between firings: every chunk
		// ends at a multiple of 3 or 5 or at the end of the run.
		at := start
		for _, c := range integ.chunks {
			at += int64(c)
			if at%3 != 0 && at%5 != 0 && at != end {
				t.Errorf("start %d: chunks %v stop at step %d, where nothing fires", start, integ.chunks, at)
			}
		}
		// From step 0 the stops are 3 5 6 9 10 12 15 18 20: nine chunks.
		if start == 0 && len(integ.chunks) != 9 {
			t.Errorf("start 0: %d Advance calls %v, want 9", len(integ.chunks), integ.chunks)
		}
		if st.Step != end || integ.bound != 1 {
			t.Errorf("Step = %d, want %d; Bind called %d times, want 1", st.Step, end, integ.bound)
		}
	}
	// With no observer the run is still chunked so cancellation is seen.
	st := mustState(t, sys, []float64{0}, nil, nil)
	integ := &stepper{}
	if err := md.Run(context.Background(), sys, integ, st, 10_000); err != nil {
		t.Fatal(err)
	}
	if slices.Max(integ.chunks) > 4096 || st.Step != 10_000 {
		t.Errorf("chunks %v, Step %d", integ.chunks, st.Step)
	}
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
	if !errors.Is(err, context.Canceled) || st.Step != 50 || p.flushed != 1 {
		t.Errorf("cancelled at step 50: err = %v, Step = %d, flushed %d; want context.Canceled, 50, 1", err, st.Step, p.flushed)
	}
	if err := md.Run(ctx, sys, &stepper{}, st, 10); !errors.Is(err, context.Canceled) || st.Step != 50 {
		t.Errorf("already cancelled: err = %v, Step = %d", err, st.Step)
	}
}

func TestRunErrors(t *testing.T) {
	sys := springSystem(2, 2)
	st := mustState(t, sys, make([]float64, 4), nil, newRand(1))
	ctx := context.Background()
	boom := errors.New("boom")
	p := &probe{every: 4, onStep: func(*md.State) error { return boom }}
	err := md.Run(ctx, sys, &stepper{}, st, 10, p)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "step 4") || p.flushed != 1 {
		t.Errorf("observer error: %v (flushed %d), want boom at step 4, flushed once", err, p.flushed)
	}
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
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", c.err, c.want)
		}
	}
}

// TestRecorder: frames are the positions after steps 5, 10, …, bit for bit
// the same as advancing an identical state by hand.
func TestRecorder(t *testing.T) {
	sys := springSystem(3, 2)
	x0 := []float64{1, 0, 0, 1, -1, 0.5}
	st := mustState(t, sys, x0, nil, newRand(3))
	sink := &md.MemorySink{}
	if err := md.Run(context.Background(), sys, &integrators.BAOAB{KT: 1, Dt: 0.05, Gamma: 1}, st, 52, &md.Recorder{Sink: sink, Stride: 5}); err != nil {
		t.Fatal(err)
	}
	ref := mustState(t, sys, x0, nil, newRand(3))
	integ := &integrators.BAOAB{KT: 1, Dt: 0.05, Gamma: 1}
	if err := integ.Bind(sys); err != nil {
		t.Fatal(err)
	}
	if sink.Len() != 10 || sink.FrameLen != 6 {
		t.Fatalf("recorded %d frames of %d values, want 10 of 6", sink.Len(), sink.FrameLen)
	}
	for k := range 10 {
		if err := integ.Advance(ref, 5); err != nil {
			t.Fatal(err)
		}
		if !sameBits(sink.Frame(k), ref.X) {
			t.Errorf("frame %d = %v, want %v", k, sink.Frame(k), ref.X)
		}
	}
	if err := sink.WriteFrame([]float64{1}); err == nil {
		t.Error("MemorySink accepted a frame of the wrong length")
	}
}

// TestBlowUpRecordsNoNaN: LJ7 with a time step 200× too large explodes
// within ~100 steps (see integrators.TestBlowUp). Run must return the
// integrator's error naming the step and particle, and every recorded frame
// must be finite: one per completed step.
func TestBlowUpRecordsNoNaN(t *testing.T) {
	sys := &md.System{Potential: potentials.LJ7(), Masses: []float64{1, 1, 1, 1, 1, 1, 1}, Dim: 2}
	st := mustState(t, sys, potentials.LJ7Hexagon(), nil, newRand(4))
	if err := md.SampleVelocities(sys, st, 0.6); err != nil {
		t.Fatal(err)
	}
	sink := &md.MemorySink{}
	err := md.Run(context.Background(), sys, &integrators.BAOAB{KT: 0.6, Dt: 1, Gamma: 1}, st, 10_000, &md.Recorder{Sink: sink})
	var nf *md.NonFiniteError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "step") || !strings.Contains(err.Error(), "particle") {
		t.Fatalf("err = %v, want a *md.NonFiniteError naming step and particle", err)
	}
	if int64(sink.Len()) != st.Step || nf.Step != st.Step+1 {
		t.Errorf("%d frames, State.Step %d, error at step %d; want frames = Step = error step − 1", sink.Len(), st.Step, nf.Step)
	}
	for i, v := range sink.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("frame %d holds %v", i/sink.FrameLen, v)
		}
	}
}

// TestEnergyLog parses the log of a velocity-Verlet run: steps at the
// stride, E = U + K, kT_kin = 2K/(N·D), and E conserved to O(dt²).
func TestEnergyLog(t *testing.T) {
	sys := springSystem(2, 2)
	st := mustState(t, sys, []float64{1, 0, 0, 1}, []float64{0, 1, 0.5, 0}, nil)
	var b strings.Builder
	if err := md.Run(context.Background(), sys, &integrators.VelocityVerlet{Dt: 0.01}, st, 100, &md.EnergyLog{W: &b, Stride: 10}); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Scan()
	if !strings.HasPrefix(sc.Text(), "# step") {
		t.Errorf("header %q", sc.Text())
	}
	e0 := 0.5*(1+1) + 0.5*(1*1+2*0.25) // U + K at t = 0
	n := 0
	for sc.Scan() {
		n++
		f := strings.Fields(sc.Text())
		var v [6]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(f[i], 64)
		}
		if v[0] != float64(10*n) || math.Abs(v[1]-0.01*v[0]) > 1e-9 {
			t.Errorf("line %d: step %v time %v", n, v[0], v[1])
		}
		if math.Abs(v[4]-v[2]-v[3]) > 1e-8 || math.Abs(v[5]-v[3]/2) > 1e-6 {
			t.Errorf("line %d: E ≠ U+K or kT_kin ≠ 2K/4: %v", n, v)
		}
		// Velocity Verlet on ω ≤ 1 with dt = 0.01: |ΔE| ≈ (ω·dt)²/8·E ≈ 2·10⁻⁵·E.
		if math.Abs(v[4]-e0) > 1e-4*e0 {
			t.Errorf("line %d: E = %v, want %v within 1e-4 relative", n, v[4], e0)
		}
	}
	if n != 10 {
		t.Errorf("%d log lines, want 10", n)
	}
}

func TestProgress(t *testing.T) {
	sys := springSystem(1, 1)
	st := mustState(t, sys, []float64{0}, nil, nil)
	clock := time.Unix(0, 0)
	var b strings.Builder
	p := &md.Progress{W: &b, Interval: 3 * time.Second, Stride: 10, Label: "kT=1",
		Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	if err := md.Run(context.Background(), sys, &stepper{}, st, 100, p); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	// Start reads the clock once (t=1 s); each of the 10 observations
	// advances it 1 s and prints when ≥ 3 s passed: at t = 4, 7, 10 s.
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 3 progress lines and a summary:\n%s", len(lines), b.String())
	}
	if want := "kT=1: 30/100 steps (30.0%)  10 steps/s  ETA 7s"; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	if !strings.HasPrefix(lines[3], "kT=1: done 100 steps in 11s") {
		t.Errorf("summary %q", lines[3])
	}
}

// TestRecorderNPY streams frames through traj.NPYWriter, the .npy sink the
// pipeline uses, and reads them back bit for bit.
func TestRecorderNPY(t *testing.T) {
	sys := springSystem(2, 2)
	x0 := []float64{1, 0, 0, 1}
	path := filepath.Join(t.TempDir(), "x.npy")
	w, err := traj.Create(path, sys.Len())
	if err != nil {
		t.Fatal(err)
	}
	st := mustState(t, sys, x0, nil, newRand(9))
	mem := &md.MemorySink{}
	err = md.Run(context.Background(), sys, &integrators.BAOAB{KT: 1, Dt: 0.05, Gamma: 1}, st, 100,
		&md.Recorder{Sink: w, Stride: 10}, &md.Recorder{Sink: mem, Stride: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, rows, cols, err := traj.ReadNPY(path)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 10 || cols != 4 || !sameBits(data, mem.Data) {
		t.Errorf("read %d×%d frames from .npy, want the 10×4 recorded in memory", rows, cols)
	}
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
		if !strings.HasPrefix(b.String(), c.want) || strings.Contains(b.String(), "done") {
			t.Errorf("summary %q, want prefix %q", b.String(), c.want)
		}
	}
}
