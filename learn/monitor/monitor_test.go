package monitor

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProgress: the first epoch and every Last one are written whatever the
// rate limit, the others only once Interval has passed; a negative
// Interval writes every epoch; the line names phase, round, epoch, losses,
// states and elapsed time.
func TestProgress(t *testing.T) {
	var b strings.Builder
	p := &Progress{W: &b, Interval: time.Hour}
	e := Epoch{Phase: "spib", Round: 1, Epoch: 7, Max: 1000, Losses: []Loss{{"loss", 1.5}, {"ce", 1.25}},
		States: 4, Elapsed: 2100 * time.Millisecond}
	for i := range 5 {
		e.Last = i == 3
		require.NoError(t, p.Observe(e))
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 2, "the first line and the last of the round:\n%s", b.String())
	assert.Equal(t, "spib: round 1 epoch 7/1000: loss 1.5, ce 1.25, states 4, elapsed 2.1s", lines[0])

	b.Reset()
	p = &Progress{W: &b, Interval: -1}
	for range 3 {
		require.NoError(t, p.Observe(Epoch{Phase: "diffusion", Epoch: 2, Losses: []Loss{{"loss", 0.5}}}))
	}
	assert.Equal(t, strings.Repeat("diffusion: epoch 2: loss 0.5, elapsed 0s\n", 3), b.String())
	assert.NoError(t, (&Progress{}).Observe(e), "nil W writes nothing")
}

// TestNotify: observers run in order; the first error stops the others and
// comes back naming the observer.
func TestNotify(t *testing.T) {
	var calls []int
	stop := errors.New("stop")
	obs := []Observer{
		Func(func(Epoch) error { calls = append(calls, 0); return nil }),
		Func(func(Epoch) error { calls = append(calls, 1); return stop }),
		Func(func(Epoch) error { calls = append(calls, 2); return nil }),
	}
	err := Notify(obs, Epoch{})
	require.ErrorIs(t, err, stop)
	assert.Contains(t, err.Error(), "observer 1")
	assert.Equal(t, []int{0, 1}, calls)
	assert.NoError(t, Notify(nil, Epoch{}))
}
