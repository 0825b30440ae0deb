package testutil

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SameBits fails t (through require) unless a and b have the same length
// and bit-identical elements, naming what and the first differing index —
// which testify's Equal does not give, and which it gets wrong for NaN
// (never equal) and signed zeros (equal).
func SameBits(t testing.TB, what string, a, b []float64) {
	t.Helper()
	require.Equal(t, len(a), len(b), "%s: lengths", what)
	if i := FirstBitDiff(a, b); i >= 0 {
		require.Failf(t, "not bit-identical", "%s[%d]: %v vs %v (bits %#016x vs %#016x)",
			what, i, a[i], b[i], math.Float64bits(a[i]), math.Float64bits(b[i]))
	}
}

// FirstBitDiff returns the first index where a and b differ bit for bit,
// len of the shorter one if one is a prefix of the other, or −1 if they are
// identical.
func FirstBitDiff(a, b []float64) int {
	n := min(len(a), len(b))
	for i := range n {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	if len(a) != len(b) {
		return n
	}
	return -1
}

// InDelta asserts |got − want| ≤ tol through assert.InDelta, and also fails
// when want or tol is not finite or tol is negative. assert.InDelta on its
// own passes NaN against NaN, +Inf against +Inf, and any got when tol is NaN,
// so a computation that goes wrong on both sides (a NaN reference, a NaN
// standard error in a statistical tolerance) would pass silently. With want
// and tol finite, a NaN or infinite got fails.
func InDelta(t testing.TB, want, got, tol float64, msgAndArgs ...any) bool {
	t.Helper()
	if math.IsNaN(want) || math.IsInf(want, 0) || !(tol >= 0) || math.IsInf(tol, 0) {
		return assert.Fail(t, fmt.Sprintf("expected %v ± %v: the expected value and the tolerance must be finite, the tolerance ≥ 0", want, tol),
			msgAndArgs...)
	}
	return assert.InDelta(t, want, got, tol, msgAndArgs...)
}

// WantErr fails t unless err is non-nil (require.Error, fatal) and its
// message contains every part (assert.ErrorContains for each, so every
// missing part is reported). For a single part, call require.ErrorContains
// or assert.ErrorContains directly.
func WantErr(t testing.TB, err error, parts ...string) {
	t.Helper()
	require.Error(t, err, "want an error mentioning %q", parts)
	for _, p := range parts {
		assert.ErrorContains(t, err, p)
	}
}

// BlockMean returns the mean of the series s and its standard error from nb
// block means (block averaging, Flyvbjerg & Petersen, J. Chem. Phys. 91,
// 461 (1989)), valid when a block is much longer than the correlation time.
// Frames beyond nb·⌊len(s)/nb⌋ are ignored.
func BlockMean(s []float64, nb int) (mean, se float64) {
	bl := len(s) / nb
	var m, m2 float64
	for b := range nb {
		v := 0.0
		for _, x := range s[b*bl : (b+1)*bl] {
			v += x
		}
		v /= float64(bl)
		m += v
		m2 += v * v
	}
	m /= float64(nb)
	return m, math.Sqrt((m2/float64(nb) - m*m) / float64(nb-1))
}
