// Package monitor is the one progress and checkpoint convention of the
// learners (learn/spib, learn/diffusion, learn/dspib), after md's run
// observers (md.Observer): the training loop owns the schedule, and
// observers plug in.
//
//   - After every epoch a learner calls each Observer of its configuration
//     (Config.Observers, TrainConfig.Observers) in order with an Epoch
//     record; an error from one stops training and is returned, wrapped.
//   - Progress is the rate-limited observer that writes one line per report.
//   - Every learner's configuration has a Checkpoint path: the training
//     state is written there atomically after every epoch (after the
//     observers, as md writes checkpoints after its other observers, so
//     that an epoch an observer refused is trained again on resume), a run
//     resumes from it when it exists, bit for bit, and a file written for
//     other data or settings is refused with an error naming it.
package monitor

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Epoch is one finished training epoch.
type Epoch struct {
	// Phase names the training: "spib" (SPIB, also phase 1 of D-SPIB),
	// "dspib" (phase 2 of D-SPIB) or "diffusion" (a prior on given latents).
	Phase string
	// Round is the SPIB refinement round (0 for the initial labels, and
	// for the other phases).
	Round int
	// Epoch counts the epochs of the round (SPIB) or phase from 1; Max is
	// their cap.
	Epoch, Max int
	// Losses are the epoch's losses, in an order fixed by the learner
	// (documented with its Observers field), in nats unless named
	// otherwise.
	Losses []Loss
	// States is the number of populated metastable states (SPIB; 0 where
	// it does not apply).
	States int
	// Elapsed is the training time so far.
	Elapsed time.Duration
	// Last marks the last epoch of a round or of the training.
	Last bool
}

// Loss is one named loss of an epoch.
type Loss struct {
	Name  string
	Value float64
}

// Observer is called by a learner after every epoch. An error stops
// training; the learner returns it, wrapped.
type Observer interface {
	Observe(e Epoch) error
}

// Func adapts a function to an Observer.
type Func func(Epoch) error

// Observe calls f.
func (f Func) Observe(e Epoch) error { return f(e) }

// Notify calls every observer of obs in order with e and returns the first
// error, naming the observer's index.
func Notify(obs []Observer, e Epoch) error {
	for i, o := range obs {
		if err := o.Observe(e); err != nil {
			return fmt.Errorf("observer %d: %w", i, err)
		}
	}
	return nil
}

// Progress is an Observer that writes one line per report to W,
//
//	spib: round 1 epoch 7/1000: loss 1.02, ce 1.01, kl 3.2, test_loss 1.05, states 4, elapsed 2.1s
//
// at most one per Interval of wall time (as md.Progress), plus the first
// and every Last epoch. A nil W writes nothing. One Progress may serve
// several learners (D-SPIB's two phases): the rate limit is shared.
type Progress struct {
	W io.Writer
	// Interval is the minimum wall time between lines; 0 means 10 s, a
	// negative value a line for every epoch.
	Interval time.Duration
	last     time.Time
}

// Observe writes e's line if Interval has passed since the last one or e
// is the last epoch of a round or of the training.
func (p *Progress) Observe(e Epoch) error {
	if p.W == nil {
		return nil
	}
	iv := p.Interval
	if iv == 0 {
		iv = 10 * time.Second
	}
	now := time.Now()
	if !e.Last && !p.last.IsZero() && now.Sub(p.last) < iv {
		return nil
	}
	p.last = now
	var b strings.Builder
	b.WriteString(e.Phase + ": ")
	if e.Phase == "spib" {
		fmt.Fprintf(&b, "round %d ", e.Round)
	}
	fmt.Fprintf(&b, "epoch %d", e.Epoch)
	if e.Max > 0 {
		fmt.Fprintf(&b, "/%d", e.Max)
	}
	b.WriteString(":")
	for _, l := range e.Losses {
		fmt.Fprintf(&b, " %s %.6g,", l.Name, l.Value)
	}
	if e.States > 0 {
		fmt.Fprintf(&b, " states %d,", e.States)
	}
	fmt.Fprintf(&b, " elapsed %v\n", e.Elapsed.Round(time.Millisecond))
	_, err := io.WriteString(p.W, b.String())
	return err
}
