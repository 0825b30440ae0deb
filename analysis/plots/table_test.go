package plots

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMarkdownTable(t *testing.T) {
	got := MarkdownTable(
		[]string{"method", "KL"},
		[][]string{{"D-SPIB", "0.12 ± 0.01"}, {"baseline (b)", "0.5"}},
	)
	// Written by hand: column widths 12 and 11 runes ("±" is one rune), the
	// numeric KL column right-aligned.
	want := "" +
		"| method       |          KL |\n" +
		"|--------------|------------:|\n" +
		"| D-SPIB       | 0.12 ± 0.01 |\n" +
		"| baseline (b) |         0.5 |\n"
	assert.Equal(t, want, got, "MarkdownTable")

	// Short rows are padded, long rows widen the table, "|" is escaped,
	// newlines become spaces and a mixed column stays left-aligned.
	got = MarkdownTable([]string{"a"}, [][]string{{"x|y", "1"}, {"two\nlines"}, {"3"}})
	want = "" +
		"| a         |     |\n" +
		"|-----------|----:|\n" +
		"| x\\|y      |   1 |\n" +
		"| two lines |     |\n" +
		"| 3         |     |\n"
	assert.Equal(t, want, got, "MarkdownTable (ragged)")
	assert.Empty(t, MarkdownTable(nil, nil), "MarkdownTable(nil, nil)")
	// Header only: no body, nothing is numeric.
	assert.Equal(t, "| T   |\n|-----|\n", MarkdownTable([]string{"T"}, nil), "header only")
}

func TestIsNumeric(t *testing.T) {
	for s, want := range map[string]bool{
		"1": true, "-2.5e-3": true, "0.12 ± 0.01": true, "(1.2 ± 0.3)e-07": true, "12%": true, "NaN": true,
		"abc": false, "1 ± x": false, "kT 0.3": false, "(1 ± 2)ex": false, "": false,
	} {
		assert.Equal(t, want, isNumeric(s), "isNumeric(%q)", s)
	}
}

func TestFormatFloat(t *testing.T) {
	for _, c := range []struct {
		x      float64
		digits int
		want   string
	}{
		{0.00123, 3, "0.00123"},
		{12.34, 3, "12.3"},
		{123456.7, 3, "123457"}, // integer digits are never dropped
		{1234567, 3, "1.23e+06"},
		{9.996, 3, "10.0"}, // rounding carries into the next decade
		{0.000015, 2, "1.5e-05"},
		{-0.5, 0, "-0.500"}, // digits ≤ 0 means DefaultDigits = 3
		{0, 3, "0"},
		{math.NaN(), 3, "NaN"},
		{math.Inf(1), 3, "Inf"},
		{math.Inf(-1), 3, "-Inf"},
	} {
		assert.Equal(t, c.want, FormatFloat(c.x, c.digits), "FormatFloat(%v, %d)", c.x, c.digits)
	}
}

func TestMeanStd(t *testing.T) {
	for _, c := range []struct {
		m, s float64
		want string
	}{
		{0.123456, 0.0123, "0.123 ± 0.012"},
		{1.5, 0.25, "1.50 ± 0.25"},
		{12345, 678, "12350 ± 680"},
		{1.234e-7, 5.1e-9, "(1.234 ± 0.051)e-07"},
		{2.5e6, 1.2e5, "(2.50 ± 0.12)e+06"},
		{0, 0.05, "0.000 ± 0.050"},
		{-3.14159, 0.0999, "-3.14 ± 0.10"}, // sd rounds up to 0.10: two decimals
		{3, 0, "3.000 ± 0"},
		{99999.999999518783, 1.8e-11, "100000 ± 0"}, // sd below |mean|·1e-6: rounding noise
		{1000, 0.0011, "1000.0000 ± 0.0011"},        // sd just above |mean|·1e-6: kept
		{1, math.NaN(), "1.000 ± NaN"},
		{math.Inf(1), 1, "Inf ± 1.0"},
	} {
		assert.Equal(t, c.want, MeanStd(c.m, c.s), "MeanStd(%v, %v)", c.m, c.s)
	}
	// Sample sd with the n−1 denominator: {1,2,3} has mean 2, sd 1.
	assert.Equal(t, "2.0 ± 1.0", MeanStdOf([]float64{1, 2, 3}), "MeanStdOf(1,2,3)")
	assert.Equal(t, "0.2500 (n=1)", MeanStdOf([]float64{0.25}), "MeanStdOf(0.25)")
	assert.Equal(t, "n/a", MeanStdOf(nil), "MeanStdOf(nil)")
}
