package plots

import (
	"math"
	"testing"
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
	if got != want {
		t.Errorf("MarkdownTable:\n%s\nwant:\n%s", got, want)
	}

	// Short rows are padded, long rows widen the table, "|" is escaped,
	// newlines become spaces and a mixed column stays left-aligned.
	got = MarkdownTable([]string{"a"}, [][]string{{"x|y", "1"}, {"two\nlines"}, {"3"}})
	want = "" +
		"| a         |     |\n" +
		"|-----------|----:|\n" +
		"| x\\|y      |   1 |\n" +
		"| two lines |     |\n" +
		"| 3         |     |\n"
	if got != want {
		t.Errorf("MarkdownTable (ragged):\n%s\nwant:\n%s", got, want)
	}
	if got := MarkdownTable(nil, nil); got != "" {
		t.Errorf("MarkdownTable(nil, nil) = %q, want empty", got)
	}
	// Header only: no body, nothing is numeric.
	if got, want := MarkdownTable([]string{"T"}, nil), "| T   |\n|-----|\n"; got != want {
		t.Errorf("header only: %q, want %q", got, want)
	}
}

func TestIsNumeric(t *testing.T) {
	for s, want := range map[string]bool{
		"1": true, "-2.5e-3": true, "0.12 ± 0.01": true, "(1.2 ± 0.3)e-07": true, "12%": true, "NaN": true,
		"abc": false, "1 ± x": false, "kT 0.3": false, "(1 ± 2)ex": false, "": false,
	} {
		if got := isNumeric(s); got != want {
			t.Errorf("isNumeric(%q) = %v, want %v", s, got, want)
		}
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
		if got := FormatFloat(c.x, c.digits); got != c.want {
			t.Errorf("FormatFloat(%v, %d) = %q, want %q", c.x, c.digits, got, c.want)
		}
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
		{1, math.NaN(), "1.000 ± NaN"},
		{math.Inf(1), 1, "Inf ± 1.0"},
	} {
		if got := MeanStd(c.m, c.s); got != c.want {
			t.Errorf("MeanStd(%v, %v) = %q, want %q", c.m, c.s, got, c.want)
		}
	}
	// Sample sd with the n−1 denominator: {1,2,3} has mean 2, sd 1.
	if got := MeanStdOf([]float64{1, 2, 3}); got != "2.0 ± 1.0" {
		t.Errorf("MeanStdOf(1,2,3) = %q, want %q", got, "2.0 ± 1.0")
	}
	if got := MeanStdOf([]float64{0.25}); got != "0.2500 (n=1)" {
		t.Errorf("MeanStdOf(0.25) = %q", got)
	}
	if got := MeanStdOf(nil); got != "n/a" {
		t.Errorf("MeanStdOf(nil) = %q, want n/a", got)
	}
}
