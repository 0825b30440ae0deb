package md

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// FrameSink receives trajectory frames: positions [σ], N×Dim row-major.
// WriteFrame must not retain x. traj.NPYWriter (package md/traj) streams
// frames to a .npy file; MemorySink keeps them in memory.
type FrameSink interface {
	WriteFrame(x []float64) error
}

// Recorder is an Observer that appends the positions to Sink every Stride
// steps. Stride 0 means every step. If Sink has a Flush() error method,
// Recorder's Flush calls it; closing the sink is the caller's job.
type Recorder struct {
	Sink   FrameSink
	Stride int64 // steps between frames; 0 means 1
}

// Every implements Observer.
func (r *Recorder) Every() int64 {
	if r.Stride <= 0 {
		return 1
	}
	return r.Stride
}

// Observe implements Observer.
func (r *Recorder) Observe(st *State) error { return r.Sink.WriteFrame(st.X) }

// Start implements Starter: it refuses a nil sink.
func (r *Recorder) Start(*System, *State, int64) error {
	if r.Sink == nil {
		return errors.New("md: Recorder.Sink is nil")
	}
	return nil
}

// Flush implements Flusher.
func (r *Recorder) Flush() error {
	if f, ok := r.Sink.(Flusher); ok {
		return f.Flush()
	}
	return nil
}

// MemorySink is a FrameSink that keeps every frame in one flat slice.
type MemorySink struct {
	// Data holds the frames back to back: frame t is
	// Data[t*FrameLen : (t+1)*FrameLen].
	Data     []float64
	FrameLen int // set by the first frame; later frames must match
}

// WriteFrame implements FrameSink, copying x.
func (m *MemorySink) WriteFrame(x []float64) error {
	if m.FrameLen == 0 {
		m.FrameLen = len(x)
	}
	if len(x) != m.FrameLen {
		return fmt.Errorf("md: MemorySink: frame %d has %d values, want %d", m.Len(), len(x), m.FrameLen)
	}
	m.Data = append(m.Data, x...)
	return nil
}

// Len returns the number of frames stored.
func (m *MemorySink) Len() int {
	if m.FrameLen == 0 {
		return 0
	}
	return len(m.Data) / m.FrameLen
}

// Frame returns frame t (a view into Data).
func (m *MemorySink) Frame(t int) []float64 { return m.Data[t*m.FrameLen : (t+1)*m.FrameLen] }

// EnergyLog is an Observer that writes one tab-separated line every Stride
// steps (default 1000) to W: step, time [τ], potential energy U [ε],
// kinetic energy K [ε], total energy U+K [ε] and kinetic temperature
// 2K/(N·Dim) [ε]. A header line starting with '#' is written at Start.
type EnergyLog struct {
	W      io.Writer
	Stride int64 // steps between lines; 0 means 1000

	sys *System
	bw  *bufio.Writer
}

// Every implements Observer.
func (l *EnergyLog) Every() int64 {
	if l.Stride <= 0 {
		return 1000
	}
	return l.Stride
}

// Start implements Starter.
func (l *EnergyLog) Start(sys *System, _ *State, _ int64) error {
	if l.W == nil {
		return errors.New("md: EnergyLog.W is nil")
	}
	l.sys = sys
	l.bw = bufio.NewWriter(l.W)
	_, err := fmt.Fprintln(l.bw, "# step\ttime\tU\tK\tE\tkT_kin")
	return err
}

// Observe implements Observer.
func (l *EnergyLog) Observe(st *State) error {
	if l.bw == nil {
		return errors.New("md: EnergyLog used outside Run (Start not called)")
	}
	k := KineticEnergy(l.sys, st.V)
	_, err := fmt.Fprintf(l.bw, "%d\t%.6g\t%.10g\t%.10g\t%.10g\t%.6g\n",
		st.Step, st.Time, st.U, k, st.U+k, 2*k/float64(l.sys.Len()))
	return err
}

// Flush implements Flusher.
func (l *EnergyLog) Flush() error {
	if l.bw == nil {
		return nil
	}
	return l.bw.Flush()
}

// Progress is an Observer that reports progress to W at most once per
// Interval of wall time (default 10 s): steps done, percentage, steps per
// second and the estimated time remaining. It looks at the clock every
// Stride steps (default 1000) and writes a final summary at Flush: "done N
// steps" after a complete run, "interrupted after N of M steps" after a
// cancellation, "stopped by an error after N of M steps" otherwise.
type Progress struct {
	W        io.Writer
	Interval time.Duration // minimum wall time between lines; 0 means 10 s
	Stride   int64         // steps between clock checks; 0 means 1000
	Label    string        // printed at the start of each line, e.g. "kT=0.6"

	// Now returns the wall time; nil means time.Now (tests substitute a
	// fake clock).
	Now func() time.Time

	start, last   time.Time
	step0, nsteps int64
	st            *State
	runErr        error    // as passed to Finish
	acc           Acceptor // the integrator, if Metropolis-adjusted
}

func (p *Progress) useIntegrator(in Integrator) { p.acc, _ = in.(Acceptor) }

// acceptance returns "  acceptance 57.3%" for a Metropolis-adjusted
// integrator that has made proposals, else "".
func (p *Progress) acceptance() string {
	if p.acc == nil {
		return ""
	}
	a, n := p.acc.Acceptance()
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  acceptance %.3g%%", 100*float64(a)/float64(n))
}

// Every implements Observer.
func (p *Progress) Every() int64 {
	if p.Stride <= 0 {
		return 1000
	}
	return p.Stride
}

func (p *Progress) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Start implements Starter.
func (p *Progress) Start(_ *System, st *State, nsteps int64) error {
	if p.W == nil {
		return errors.New("md: Progress.W is nil")
	}
	p.start = p.now()
	p.last = p.start
	p.step0, p.nsteps, p.st, p.runErr = st.Step, nsteps, st, nil
	return nil
}

// Finish implements Finisher: it records how the run ended for the summary.
func (p *Progress) Finish(_ *State, runErr error) error {
	p.runErr = runErr
	return nil
}

// Observe implements Observer.
func (p *Progress) Observe(st *State) error {
	iv := p.Interval
	if iv <= 0 {
		iv = 10 * time.Second
	}
	now := p.now()
	if now.Sub(p.last) < iv {
		return nil
	}
	p.last = now
	done := st.Step - p.step0
	el := now.Sub(p.start).Seconds()
	rate := float64(done) / el
	eta := time.Duration(float64(p.nsteps-done) / rate * float64(time.Second)).Round(time.Second)
	_, err := fmt.Fprintf(p.W, "%s%d/%d steps (%.1f%%)  %.3g steps/s  ETA %v%s\n",
		p.label(), done, p.nsteps, 100*float64(done)/float64(p.nsteps), rate, eta, p.acceptance())
	return err
}

func (p *Progress) label() string {
	if p.Label == "" {
		return ""
	}
	return p.Label + ": "
}

// Flush implements Flusher: it writes the summary line.
func (p *Progress) Flush() error {
	if p.W == nil || p.st == nil {
		return nil
	}
	el := p.now().Sub(p.start)
	done := p.st.Step - p.step0
	rate := float64(done) / el.Seconds()
	if math.IsInf(rate, 0) || math.IsNaN(rate) {
		rate = 0
	}
	var what string
	switch {
	case p.runErr == nil && done >= p.nsteps:
		what = fmt.Sprintf("done %d steps", done)
	case p.runErr == nil || errors.Is(p.runErr, context.Canceled) || errors.Is(p.runErr, context.DeadlineExceeded):
		what = fmt.Sprintf("interrupted after %d of %d steps", done, p.nsteps)
	default:
		what = fmt.Sprintf("stopped by an error after %d of %d steps", done, p.nsteps)
	}
	_, err := fmt.Fprintf(p.W, "%s%s in %v (%.3g steps/s)%s\n", p.label(), what, el.Round(time.Millisecond), rate, p.acceptance())
	return err
}
