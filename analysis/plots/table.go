package plots

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/gonum/stat"
)

// MarkdownTable returns a GitHub-flavoured Markdown table with the given
// header and rows, columns padded to a common width (in runes, so "±" counts
// once) so that the source is readable too. A column whose body cells all
// look numeric (see isNumeric) is right-aligned. Rows shorter than the
// widest row are padded with empty cells, so no cell is ever dropped; "|" in
// a cell is escaped and newlines become spaces. Every line, including the
// last, ends in "\n".
func MarkdownTable(header []string, rows [][]string) string {
	ncol := len(header)
	for _, r := range rows {
		ncol = max(ncol, len(r))
	}
	if ncol == 0 {
		return ""
	}
	cell := func(r []string, j int) string {
		if j >= len(r) {
			return ""
		}
		s := strings.ReplaceAll(r[j], "|", `\|`)
		s = strings.ReplaceAll(s, "\r\n", " ")
		return strings.ReplaceAll(s, "\n", " ")
	}
	width := make([]int, ncol)
	right := make([]bool, ncol)
	for j := range ncol {
		width[j] = max(3, utf8.RuneCountInString(cell(header, j)))
		right[j] = len(rows) > 0
		nonEmpty := false
		for _, r := range rows {
			c := cell(r, j)
			width[j] = max(width[j], utf8.RuneCountInString(c))
			if c != "" {
				nonEmpty = true
				right[j] = right[j] && isNumeric(c)
			}
		}
		right[j] = right[j] && nonEmpty
	}
	var b strings.Builder
	line := func(r []string) {
		for j := range ncol {
			c := cell(r, j)
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(c))
			b.WriteString("| ")
			if right[j] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
			b.WriteString(" ")
		}
		b.WriteString("|\n")
	}
	line(header)
	for j := range ncol {
		b.WriteString("|")
		if right[j] {
			b.WriteString(strings.Repeat("-", width[j]+1) + ":")
		} else {
			b.WriteString(strings.Repeat("-", width[j]+2))
		}
	}
	b.WriteString("|\n")
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

// isNumeric reports whether a table cell is a number, optionally followed by
// " ± number" or with a trailing "%", or in the "(m ± s)e±XX" form of
// MeanStd.
func isNumeric(s string) bool {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(") {
		if k := strings.LastIndex(s, ")e"); k > 0 {
			if _, err := strconv.Atoi(s[k+2:]); err != nil {
				return false
			}
			s = s[1:k]
		}
	}
	s = strings.TrimSuffix(s, "%")
	for _, f := range strings.Split(s, "±") {
		if _, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err != nil {
			return false
		}
	}
	return true
}

// DefaultDigits is the number of significant digits FormatFloat uses when
// asked for digits ≤ 0.
const DefaultDigits = 3

// FormatFloat formats x with the given number of significant digits (≤ 0
// means DefaultDigits): in fixed notation when 1e-3 ≤ |x| < 1e6 after
// rounding (e.g. 0.00123, 12.3, 123457 — digits left of the point are never
// dropped), otherwise in exponent notation (1.23e-05). Zero is "0"; NaN, +Inf
// and −Inf are "NaN", "Inf" and "-Inf".
func FormatFloat(x float64, digits int) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	case x == 0:
		return "0"
	}
	if digits <= 0 {
		digits = DefaultDigits
	}
	e := exponent(x, digits)
	if e < -3 || e >= 6 {
		return strconv.FormatFloat(x, 'e', digits-1, 64)
	}
	return strconv.FormatFloat(x, 'f', max(0, digits-1-e), 64)
}

// exponent returns the decimal exponent of x ≠ 0 after rounding to digits
// significant digits (so that 9.996 to 3 digits has exponent 1, as 10.0).
func exponent(x float64, digits int) int {
	s := strconv.FormatFloat(x, 'e', digits-1, 64)
	e, _ := strconv.Atoi(s[strings.LastIndexByte(s, 'e')+1:])
	return e
}

// MeanStd formats "mean ± sd" with the standard deviation rounded to two
// significant digits and the mean rounded to the same decimal place, e.g.
// MeanStd(0.123456, 0.0123) = "0.123 ± 0.012" and MeanStd(12345, 678) =
// "12350 ± 680". When the larger magnitude is below 1e-3 or at least 1e6 a
// common exponent is factored out: "(1.23 ± 0.05)e-07". A zero sd gives the
// mean to 4 significant digits and "± 0", and so does an sd below a
// millionth of |mean| (rounding noise, e.g. a Kish ESS of equal weights:
// 99999.9999995 ± 1.8e-11 prints "100000 ± 0", not 17 digits); a non-finite
// or negative sd, or a non-finite mean, prints both with FormatFloat.
func MeanStd(mean, sd float64) string {
	if math.IsNaN(mean) || math.IsInf(mean, 0) || math.IsNaN(sd) || math.IsInf(sd, 0) || sd < 0 {
		return FormatFloat(mean, 4) + " ± " + FormatFloat(sd, 2)
	}
	if sd == 0 || sd < math.Abs(mean)*1e-6 {
		return FormatFloat(mean, 4) + " ± 0"
	}
	se := exponent(sd, 2) // sd ≈ d.d × 10^se
	last := se - 1        // decimal exponent of the last digit kept
	// e is the exponent of the larger magnitude once rounded to that digit.
	q := math.Pow10(last)
	e := exponent(math.Max(math.Abs(math.Round(mean/q)*q), math.Round(sd/q)*q), 15)
	if e < -3 || e >= 6 {
		d := max(0, e-last)
		m := mean / math.Pow10(e)
		s := sd / math.Pow10(e)
		es := strconv.Itoa(e)
		if e >= 0 {
			es = "+" + es
		}
		if len(es) == 2 {
			es = es[:1] + "0" + es[1:]
		}
		return "(" + strconv.FormatFloat(m, 'f', d, 64) + " ± " + strconv.FormatFloat(s, 'f', d, 64) + ")e" + es
	}
	if last >= 0 {
		return strconv.FormatFloat(math.Round(mean/q)*q, 'f', 0, 64) + " ± " + strconv.FormatFloat(math.Round(sd/q)*q, 'f', 0, 64)
	}
	return strconv.FormatFloat(mean, 'f', -last, 64) + " ± " + strconv.FormatFloat(sd, 'f', -last, 64)
}

// MeanStdOf formats the sample mean ± sample standard deviation (n−1
// denominator) of xs with MeanStd, e.g. a metric over seeds. One value is
// printed with 4 significant digits and "(n=1)"; no values give "n/a".
func MeanStdOf(xs []float64) string {
	switch len(xs) {
	case 0:
		return "n/a"
	case 1:
		return FormatFloat(xs[0], 4) + " (n=1)"
	}
	m, s := stat.MeanStdDev(xs, nil)
	return MeanStd(m, s)
}
