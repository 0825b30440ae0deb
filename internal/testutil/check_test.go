package testutil

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recorder is a testing.TB that records the failures testify reports
// instead of failing the real test. FailNow stops the calling goroutine, as
// the real one does. Only the methods testify calls are implemented.
type recorder struct {
	testing.TB
	msgs    []string
	stopped bool
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) FailNow() {
	r.stopped = true
	runtime.Goexit()
}

// record runs f with a fresh recorder on its own goroutine (so that
// FailNow can stop it) and returns the recorder.
func record(f func(t testing.TB)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// TestSameBitsReports: SameBits passes identical slices (NaN and all),
// fails fatally on a length mismatch and on −0 against +0, and names the
// slice and the first differing index.
func TestSameBitsReports(t *testing.T) {
	nan := math.NaN()
	r := record(func(t testing.TB) { SameBits(t, "x", []float64{1, nan}, []float64{1, nan}) })
	assert.Empty(t, r.msgs, "identical slices with NaN")
	assert.False(t, r.stopped, "identical slices with NaN")

	r = record(func(t testing.TB) { SameBits(t, "x", []float64{1, 2}, []float64{1}) })
	assert.True(t, r.stopped, "length mismatch must be fatal")
	assert.Contains(t, strings.Join(r.msgs, "\n"), "x: lengths")

	r = record(func(t testing.TB) { SameBits(t, "losses", []float64{1, 0, 3}, []float64{1, math.Copysign(0, -1), 4}) })
	assert.True(t, r.stopped, "a bit difference must be fatal")
	assert.Contains(t, strings.Join(r.msgs, "\n"), "losses[1]")
}

// TestInDeltaStrict: InDelta passes within the tolerance and fails outside
// it, and fails where assert.InDelta alone would pass: NaN against NaN,
// +Inf against +Inf, a NaN tolerance.
func TestInDeltaStrict(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		want, got, tol float64
		pass           bool
	}{
		{1, 1.5, 0.5, true},
		{1, 1, 0, true},
		{1, 1.5, 0.4, false},
		{1, nan, 1, false},
		{1, inf, 1, false},
		{nan, nan, 1, false},
		{inf, inf, 1, false},
		{1, 5, nan, false},
		{1, 1, -1, false},
	} {
		r := record(func(t testing.TB) { InDelta(t, c.want, c.got, c.tol, "case %v", c) })
		assert.Equal(t, c.pass, len(r.msgs) == 0, "InDelta(%v, %v, %v) passed: %v", c.want, c.got, c.tol, r.msgs)
		if !c.pass && assert.NotEmpty(t, r.msgs) {
			assert.Contains(t, r.msgs[0], "case", "the caller's message is kept")
		}
	}
}

// TestWantErrReports: WantErr passes an error holding every part, stops on
// a nil error, and reports every missing part without stopping.
func TestWantErrReports(t *testing.T) {
	err := errors.New("md: replica 3: step 40: NaN")
	r := record(func(t testing.TB) { WantErr(t, err, "replica 3", "step 40") })
	assert.Empty(t, r.msgs, "an error with every part")

	r = record(func(t testing.TB) { WantErr(t, nil, "replica 3") })
	assert.True(t, r.stopped, "nil error must be fatal")
	assert.Contains(t, strings.Join(r.msgs, "\n"), "replica 3")

	r = record(func(t testing.TB) { WantErr(t, err, "replica 4", "step 40", "Inf") })
	assert.False(t, r.stopped, "missing parts are reported, not fatal")
	if assert.Len(t, r.msgs, 2, "one report per missing part") {
		assert.Contains(t, r.msgs[0], "replica 4")
		assert.Contains(t, r.msgs[1], "Inf")
	}
}
