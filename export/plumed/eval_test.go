package plumed_test

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// This file is a tiny, strict interpreter for the subset of PLUMED 2 input
// that WriteLinearCV emits, written from PLUMED's documentation and source
// (COORDINATION in colvar/CoordinationBase, the RATIONAL switch in
// tools/SwitchingFunction, SORT and COMBINE in function/). It shares no code
// with analysis or learn/spib, so that evaluating a fragment checks the
// fragment's formula, not the package against itself. Any action, keyword
// or flag it does not know is an error: a fragment that relied on something
// the interpreter silently skipped could not pass.

// action is one parsed line "label: NAME KEY=VALUE ...".
type action struct {
	line  int
	label string
	name  string
	kw    map[string]string
}

// parseFragment parses PLUMED input: '#' starts a comment, "label:" or
// LABEL= names an action, values in {…} may contain spaces. Continuation
// lines ("...") are not part of the subset.
func parseFragment(src string) ([]action, error) {
	var acts []action
	for i, line := range strings.Split(src, "\n") {
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		toks, err := tokens(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		if len(toks) == 0 {
			continue
		}
		a := action{line: i + 1, kw: map[string]string{}}
		if l, ok := strings.CutSuffix(toks[0], ":"); ok {
			a.label, toks = l, toks[1:]
		}
		if len(toks) == 0 {
			return nil, fmt.Errorf("line %d: label without action", i+1)
		}
		a.name = toks[0]
		for _, t := range toks[1:] {
			if t == "..." {
				return nil, fmt.Errorf("line %d: continuation lines are not in the subset", i+1)
			}
			k, v, ok := strings.Cut(t, "=")
			if !ok {
				return nil, fmt.Errorf("line %d: flag %q is not in the subset", i+1, t)
			}
			if _, dup := a.kw[k]; dup {
				return nil, fmt.Errorf("line %d: keyword %s given twice", i+1, k)
			}
			a.kw[k] = v
		}
		if l, ok := a.kw["LABEL"]; ok {
			if a.label != "" {
				return nil, fmt.Errorf("line %d: two labels", i+1)
			}
			a.label = l
			delete(a.kw, "LABEL")
		}
		acts = append(acts, a)
	}
	return acts, nil
}

// tokens splits a line on blanks, keeping {…} groups whole.
func tokens(line string) ([]string, error) {
	var toks []string
	var cur strings.Builder
	depth := 0
	for _, r := range line {
		switch {
		case r == '{':
			depth++
		case r == '}':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced }")
			}
		case (r == ' ' || r == '\t' || r == '\r') && depth == 0:
			if cur.Len() > 0 {
				toks = append(toks, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced {")
	}
	if cur.Len() > 0 {
		toks = append(toks, cur.String())
	}
	return toks, nil
}

// program is a parsed fragment ready to evaluate on positions.
type program struct{ acts []action }

func compile(src string) (*program, error) {
	acts, err := parseFragment(src)
	if err != nil {
		return nil, err
	}
	allowed := map[string][]string{
		"COORDINATION": {"GROUPA", "GROUPB", "SWITCH"},
		"SORT":         {"ARG"},
		"COMBINE":      {"ARG", "COEFFICIENTS", "PARAMETERS", "POWERS", "PERIODIC"},
	}
	for _, a := range acts {
		keys, ok := allowed[a.name]
		if !ok {
			return nil, fmt.Errorf("line %d: action %s is not in the subset", a.line, a.name)
		}
		if a.label == "" {
			return nil, fmt.Errorf("line %d: %s without a label", a.line, a.name)
		}
		for k := range a.kw {
			if !slices.Contains(keys, k) {
				return nil, fmt.Errorf("line %d: %s keyword %s is not in the subset", a.line, a.name, k)
			}
		}
	}
	return &program{acts: acts}, nil
}

// eval returns every value the program defines ("label" or
// "label.component") for one configuration pos (atoms × 3, 0-based rows;
// PLUMED atom i is pos[i−1]).
func (p *program) eval(pos [][3]float64) (map[string]float64, error) {
	vals := map[string]float64{}
	for _, a := range p.acts {
		var err error
		switch a.name {
		case "COORDINATION":
			err = coordination(vals, a, pos)
		case "SORT":
			err = sortAction(vals, a)
		case "COMBINE":
			err = combine(vals, a)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): %w", a.line, a.label, err)
		}
	}
	return vals, nil
}

// atomList parses a PLUMED atom list such as "1-2,4-7" (1-based serials).
func atomList(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("atom list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("atom list %q: %w", s, err)
			}
		}
		if a < 1 || b < a {
			return nil, fmt.Errorf("atom list %q: bad range %q", s, part)
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
	}
	return out, nil
}

// rational is PLUMED's RATIONAL switch {RATIONAL R_0 D_0 NN MM} with its
// defaults D_0 = 0, NN = 6, MM = 0 → 2·NN.
type rational struct {
	r0, d0 float64
	nn, mm int
}

func parseSwitch(s string) (rational, error) {
	inner, ok := strings.CutPrefix(s, "{")
	if inner, ok = strings.CutSuffix(inner, "}"); !ok {
		return rational{}, fmt.Errorf("SWITCH %q is not {…}", s)
	}
	f := strings.Fields(inner)
	if len(f) == 0 || f[0] != "RATIONAL" {
		return rational{}, fmt.Errorf("SWITCH %q: only RATIONAL is in the subset", s)
	}
	sw := rational{nn: 6}
	haveR0 := false
	for _, t := range f[1:] {
		k, v, _ := strings.Cut(t, "=")
		var err error
		switch k {
		case "R_0":
			sw.r0, err = strconv.ParseFloat(v, 64)
			haveR0 = true
		case "D_0":
			sw.d0, err = strconv.ParseFloat(v, 64)
		case "NN":
			sw.nn, err = strconv.Atoi(v)
		case "MM":
			sw.mm, err = strconv.Atoi(v)
		default:
			return rational{}, fmt.Errorf("SWITCH keyword %q is not in the subset", t)
		}
		if err != nil {
			return rational{}, fmt.Errorf("SWITCH %s: %w", k, err)
		}
	}
	if !haveR0 {
		return rational{}, fmt.Errorf("SWITCH %q: R_0 is required", s)
	}
	if sw.mm == 0 {
		sw.mm = 2 * sw.nn
	}
	return sw, nil
}

// at evaluates s(r) = (1 − q^NN)/(1 − q^MM), q = (r − D_0)/R_0, s = 1 for
// q ≤ 0, as PLUMED does: for MM = 2·NN the identity 1/(1 + q^NN), otherwise
// the limit NN/MM at q = 1.
func (s rational) at(r float64) float64 {
	q := (r - s.d0) / s.r0
	switch {
	case q <= 0:
		return 1
	case s.mm == 2*s.nn:
		return 1 / (1 + math.Pow(q, float64(s.nn)))
	case math.Abs(q-1) < 1e-12:
		return float64(s.nn) / float64(s.mm)
	}
	return (1 - math.Pow(q, float64(s.nn))) / (1 - math.Pow(q, float64(s.mm)))
}

// coordination is COORDINATION GROUPA GROUPB SWITCH: the sum of s(r_ab)
// over a in A, b in B, skipping a = b (no periodic box: a cluster in
// vacuum).
func coordination(vals map[string]float64, a action, pos [][3]float64) error {
	ga, err := atomList(a.kw["GROUPA"])
	if err != nil {
		return err
	}
	gb, err := atomList(a.kw["GROUPB"])
	if err != nil {
		return err
	}
	sw, err := parseSwitch(a.kw["SWITCH"])
	if err != nil {
		return err
	}
	var c float64
	for _, i := range ga {
		for _, j := range gb {
			if i == j {
				continue
			}
			if i > len(pos) || j > len(pos) {
				return fmt.Errorf("atom %d beyond the %d atoms", max(i, j), len(pos))
			}
			pi, pj := pos[i-1], pos[j-1]
			r := math.Sqrt((pi[0]-pj[0])*(pi[0]-pj[0]) + (pi[1]-pj[1])*(pi[1]-pj[1]) + (pi[2]-pj[2])*(pi[2]-pj[2]))
			c += sw.at(r)
		}
	}
	vals[a.label] = c
	return nil
}

// args resolves a comma-separated ARG list to values defined before.
func args(vals map[string]float64, list string) ([]float64, error) {
	var out []float64
	for name := range strings.SplitSeq(list, ",") {
		v, ok := vals[name]
		if !ok {
			return nil, fmt.Errorf("argument %q is not defined above", name)
		}
		out = append(out, v)
	}
	return out, nil
}

// sortAction is SORT: component .k is the k-th smallest argument.
func sortAction(vals map[string]float64, a action) error {
	x, err := args(vals, a.kw["ARG"])
	if err != nil {
		return err
	}
	slices.Sort(x)
	for k, v := range x {
		vals[fmt.Sprintf("%s.%d", a.label, k+1)] = v
	}
	return nil
}

// floats parses a comma-separated vector of length n, or returns n copies
// of def when s is empty (the keyword was not given).
func floats(s string, n int, def float64) ([]float64, error) {
	if s == "" {
		out := make([]float64, n)
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("%d values %q for %d arguments", len(parts), s, n)
	}
	out := make([]float64, n)
	for i, p := range parts {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// combine is COMBINE: Σ_i c_i (x_i − a_i)^{p_i}, PERIODIC=NO required.
func combine(vals map[string]float64, a action) error {
	if a.kw["PERIODIC"] != "NO" {
		return fmt.Errorf("PERIODIC=%q, want NO", a.kw["PERIODIC"])
	}
	x, err := args(vals, a.kw["ARG"])
	if err != nil {
		return err
	}
	c, err := floats(a.kw["COEFFICIENTS"], len(x), 1)
	if err != nil {
		return fmt.Errorf("COEFFICIENTS: %w", err)
	}
	par, err := floats(a.kw["PARAMETERS"], len(x), 0)
	if err != nil {
		return fmt.Errorf("PARAMETERS: %w", err)
	}
	pw, err := floats(a.kw["POWERS"], len(x), 1)
	if err != nil {
		return fmt.Errorf("POWERS: %w", err)
	}
	var v float64
	for i := range x {
		v += c[i] * math.Pow(x[i]-par[i], pw[i])
	}
	vals[a.label] = v
	return nil
}
