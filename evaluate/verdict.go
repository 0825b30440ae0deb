package evaluate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dspib/dspib/analysis/plots"
)

// Verdict words: a method "beats" another on a metric only when the 95 %
// bootstrap interval of their paired difference lies below 0 (lower is
// better), "loses to" when it lies above, and is "indistinguishable from"
// it otherwise (docs/evaluation.md §5).
const (
	Beats             = "beats"
	LosesTo           = "loses to"
	Indistinguishable = "indistinguishable from"
)

// Word returns the verdict of a difference a − b of a lower-is-better metric.
func (d Difference) Word() string {
	switch d.Sign() {
	case -1:
		return Beats
	case 1:
		return LosesTo
	}
	return Indistinguishable
}

// baselineKinds are the baselines every temperature-aware method is judged
// against, by key prefix (the encoder's key follows), with short names.
var baselineKinds = []struct{ prefix, short string }{
	{"nearest_", "nearest-kT MD"},
	{"rw_nearest_", "reweighted (nearest kT)"},
	{"rw_mbar_", "MBAR"},
}

// verdictMetrics are the metrics the verdicts use: symKL vs MD, the
// free-energy profile along z1, and (three-hole) symKL vs the exact density.
func verdictMetrics(exact bool) []string {
	m := []string{"sym_kl_md", "fe_rmse_z1"}
	if exact {
		m = append(m, "sym_kl_exact", "sym_kl_exact_n")
	}
	return m
}

func metricHeader(key string) string {
	for _, mn := range MetricNames {
		if mn.Key == key {
			return mn.Header
		}
	}
	return key
}

// rowIndex maps (design, kT, method key) to a seed's row.
type rowKey struct {
	exp string
	kT  float64
	key string
}

func rowsOf(s *SeedResult) map[rowKey]*Row {
	m := map[rowKey]*Row{}
	for i := range s.Rows {
		r := &s.Rows[i]
		m[rowKey{r.Experiment, r.KT, r.MethodKey}] = r
	}
	return m
}

// tally counts per-seed verdicts.
type tally struct{ beats, indist, loses, missing int }

func (t *tally) add(d Difference, ok bool) {
	switch {
	case !ok:
		t.missing++
	case d.Sign() < 0:
		t.beats++
	case d.Sign() > 0:
		t.loses++
	default:
		t.indist++
	}
}

func (t tally) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		word string
	}{{t.beats, "beats"}, {t.indist, "indist."}, {t.loses, "loses"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p.word, p.n))
		}
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}

// fmtDiff formats one seed's difference: "beats (−0.12 [−0.20, −0.05])".
func fmtDiff(d Difference, ok bool) string {
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%s (%s [%s, %s])", strings.TrimSuffix(strings.TrimSuffix(d.Word(), " from"), " to"),
		plots.FormatFloat(d.D, 3), plots.FormatFloat(d.Lo, 3), plots.FormatFloat(d.Hi, 3))
}

// judged returns the temperature-aware generative methods of a design.
func judged(methods []methodRef) []methodRef {
	var out []methodRef
	for _, m := range methods {
		if m.aware && !m.baseline {
			out = append(out, m)
		}
	}
	return out
}

// diffCell is one table cell: one seed's difference with its interval, or
// over several seeds the tally of the verdicts.
func diffCell(seeds []map[rowKey]*Row, exp string, kT float64, a, b, metric string) string {
	if len(seeds) == 1 {
		ra, rb := seeds[0][rowKey{exp, kT, a}], seeds[0][rowKey{exp, kT, b}]
		if ra == nil || rb == nil {
			return "–"
		}
		return fmtDiff(DiffInterval(ra, rb, metric))
	}
	var t tally
	for _, s := range seeds {
		ra, rb := s[rowKey{exp, kT, a}], s[rowKey{exp, kT, b}]
		if ra == nil || rb == nil {
			t.missing++
			continue
		}
		t.add(DiffInterval(ra, rb, metric))
	}
	return t.String()
}

// verdictTable writes, for each temperature-aware method, the paired
// difference to each baseline (and to the noise floor) per kT of temps and
// per verdict metric.
func verdictTable(w *strings.Builder, e *Design, methods []methodRef, seeds []map[rowKey]*Row, temps []float64, exact bool) {
	for _, m := range judged(methods) {
		header := []string{"kT", "regime", "metric"}
		var keys []string
		for _, b := range baselineKinds {
			header = append(header, "vs "+b.short)
			keys = append(keys, b.prefix+m.enc)
		}
		header = append(header, "vs noise floor")
		keys = append(keys, FloorKey(m.enc))
		var rows [][]string
		for _, t := range temps {
			for _, met := range verdictMetrics(exact) {
				row := []string{fmt.Sprint(t), e.Regime(t), metricHeader(met)}
				for _, k := range keys {
					row = append(row, diffCell(seeds, e.Name, t, m.key, k, met))
				}
				rows = append(rows, row)
			}
		}
		fmt.Fprintf(w, "**%s** against each baseline: the difference %s − baseline with its 95 %% bootstrap interval", m.name, m.name)
		if len(seeds) > 1 {
			fmt.Fprintf(w, "; over %d seeds, the number of seeds in which it beats (interval below 0), is indistinguishable (interval contains 0) or loses (interval above 0)", len(seeds))
		}
		w.WriteString(". Lower is better: a negative difference is in its favour. Against the noise floor (a second independent MD run at the same kT) \"loses\" means measurably worse than MD itself.\n\n")
		w.WriteString(plots.MarkdownTable(header, rows))
		w.WriteString("\n")
	}
}

// winners returns, for one seed, the contenders on metric at kT that are
// not measurably worse than the best one (interval of the difference to the
// best contains 0), the best first.
func winners(rows map[rowKey]*Row, exp string, kT float64, keys []string, metric string) []string {
	best := ""
	bv := 0.0
	for _, k := range keys {
		r := rows[rowKey{exp, kT, k}]
		if r == nil {
			continue
		}
		if v, ok := r.Metrics[metric]; ok && (best == "" || v < bv) {
			best, bv = k, v
		}
	}
	if best == "" {
		return nil
	}
	out := []string{best}
	for _, k := range keys {
		r := rows[rowKey{exp, kT, k}]
		if k == best || r == nil {
			continue
		}
		if d, ok := DiffInterval(r, rows[rowKey{exp, kT, best}], metric); ok && d.Sign() == 0 {
			out = append(out, k)
		}
	}
	return out
}

// winnersTable writes, per kT and verdict metric, which of the method m,
// the nearest-kT MD and the two reweighting baselines wins (alone, or tied
// with the ones indistinguishable from the best), per seed, with the ESS of
// the reweighting baselines.
func winnersTable(w *strings.Builder, e *Design, m methodRef, seeds []map[rowKey]*Row, by map[sumKey]*Summary, temps []float64, exact bool) {
	keys := []string{m.key}
	short := map[string]string{m.key: m.name}
	for _, b := range baselineKinds {
		keys = append(keys, b.prefix+m.enc)
		short[b.prefix+m.enc] = b.short
	}
	header := []string{"kT", "regime"}
	for _, met := range verdictMetrics(exact) {
		header = append(header, "best on "+metricHeader(met))
	}
	header = append(header, "ESS reweighted (nearest)", "ESS MBAR")
	var rows [][]string
	for _, t := range temps {
		row := []string{fmt.Sprint(t), e.Regime(t)}
		for _, met := range verdictMetrics(exact) {
			var per []string
			for _, s := range seeds {
				ws := winners(s, e.Name, t, keys, met)
				names := make([]string, len(ws))
				for i, k := range ws {
					names[i] = short[k]
				}
				per = append(per, strings.Join(names, " ≈ "))
			}
			row = append(row, strings.Join(per, "; "))
		}
		for _, k := range []string{"rw_nearest_" + m.enc, "rw_mbar_" + m.enc} {
			row = append(row, fmtSummary(by[sumKey{e.Name, t, k, "ess"}], len(seeds)))
		}
		rows = append(rows, row)
	}
	fmt.Fprintf(w, "Who wins, per temperature (%s, the nearest-training-kT MD and Boltzmann reweighting of the training MD, in %s's latent space): the best on each metric, "+
		"followed after ≈ by those whose paired 95 %% interval to it contains 0", m.name, m.name)
	if len(seeds) > 1 {
		w.WriteString("; one entry per seed, separated by ;")
	}
	w.WriteString(". The ESS columns are Kish's effective sample size of the weights")
	if len(seeds) > 1 {
		w.WriteString(" (mean ± sd over seeds)")
	}
	w.WriteString(".\n\n")
	w.WriteString(plots.MarkdownTable(header, rows))
	w.WriteString("\n")
}

// verdict writes the plain-language reading of an experiment's rows at the
// temperatures temps, from the per-seed intervals.
func verdict(e *Design, methods []methodRef, by map[sumKey]*Summary, seeds []*SeedResult, temps []float64, exact bool) string {
	var b strings.Builder
	rows := make([]map[rowKey]*Row, len(seeds))
	for i, s := range seeds {
		rows[i] = rowsOf(s)
	}
	mean := func(t float64, key, metric string) (float64, bool) {
		if s := by[sumKey{e.Name, t, key, metric}]; s != nil {
			return s.Mean, true
		}
		return 0, false
	}
	b.WriteString("Lower is better for every metric but the ESS. A verdict rests on the 95 % bootstrap interval of the paired difference " +
		"(same resampled reference for both methods in one latent space): *beats* when it lies below 0, *loses to* when above, *indistinguishable* otherwise. ")
	if len(seeds) > 1 {
		fmt.Fprintf(&b, "With %d seeds every verdict is counted per seed. ", len(seeds))
	}
	b.WriteString("\n\n")
	// The noise floor and the trained temperatures.
	for _, t := range temps {
		if !e.IsTrain(t) {
			continue
		}
		for _, m := range judged(methods) {
			v, ok1 := mean(t, m.key, "sym_kl_md")
			fl, ok2 := mean(t, FloorKey(m.enc), "sym_kl_md")
			if !ok2 {
				fl, ok2 = mean(t, "nearest_"+m.enc, "sym_kl_md")
			}
			if !ok1 || !ok2 || fl <= 0 {
				continue
			}
			var tl tally
			for _, s := range rows {
				ra, rb := s[rowKey{e.Name, t, m.key}], s[rowKey{e.Name, t, FloorKey(m.enc)}]
				if rb == nil {
					rb = s[rowKey{e.Name, t, "nearest_" + m.enc}]
				}
				if ra != nil && rb != nil {
					tl.add(DiffInterval(ra, rb, "sym_kl_md"))
				}
			}
			fmt.Fprintf(&b, "- Trained kT %g: %s's symKL vs MD is %s, %s× the noise floor %s (verdict against the floor: %s). ",
				t, m.name, plots.FormatFloat(v, 3), plots.FormatFloat(v/fl, 2), plots.FormatFloat(fl, 3), tl)
			// The D-SPIB paper's claim: it beats SPIB's VampPrior (each in
			// its own latent space, so the difference is unpaired).
			if m.key != "spib" {
				var vp tally
				for _, s := range rows {
					if ra, rb := s[rowKey{e.Name, t, m.key}], s[rowKey{e.Name, t, "spib"}]; ra != nil && rb != nil {
						vp.add(DiffInterval(ra, rb, "sym_kl_md"))
					}
				}
				if vp != (tally{}) {
					sv, _ := mean(t, "spib", "sym_kl_md")
					fmt.Fprintf(&b, "Against SPIB's VampPrior (%s, in its own latent space): %s. ", plots.FormatFloat(sv, 3), vp)
				}
			}
			if out, _ := mean(t, m.key, "outside"); v < fl && out > 0.01 {
				rv, _ := mean(t, m.key, "sym_kl_md_refvariant")
				fmt.Fprintf(&b, "Its symKL vs MD is below the floor only because %s of its samples lie outside the MD box, which coarsens the common bins; the reference variant gives %s. ",
					plots.FormatFloat(out, 2), plots.FormatFloat(rv, 3))
			}
			b.WriteString("\n")
		}
	}
	// Held-out temperatures: where each temperature-aware method wins and
	// loses against the baselines, in words.
	for _, m := range judged(methods) {
		for _, bk := range baselineKinds {
			var win, lose, tie []string
			for _, t := range temps {
				if e.IsTrain(t) {
					continue
				}
				var tl tally
				for _, met := range verdictMetrics(exact) {
					for _, s := range rows {
						ra, rb := s[rowKey{e.Name, t, m.key}], s[rowKey{e.Name, t, bk.prefix + m.enc}]
						if ra != nil && rb != nil {
							tl.add(DiffInterval(ra, rb, met))
						}
					}
				}
				if tl.beats+tl.loses+tl.indist == 0 {
					continue
				}
				label := fmt.Sprintf("%g (%s)", t, e.Regime(t))
				switch {
				case tl.loses == 0 && tl.beats > 0:
					win = append(win, label)
				case tl.beats == 0 && tl.loses > 0:
					lose = append(lose, label)
				default:
					tie = append(tie, label+" ["+tl.String()+"]")
				}
			}
			if len(win)+len(lose)+len(tie) == 0 {
				continue
			}
			var parts []string
			if len(win) > 0 {
				parts = append(parts, "**wins** (beats or indistinguishable on every metric, beats on one) at kT "+strings.Join(win, ", "))
			}
			if len(lose) > 0 {
				parts = append(parts, "**loses** (loses or indistinguishable on every metric, loses on one) at kT "+strings.Join(lose, ", "))
			}
			if len(tie) > 0 {
				parts = append(parts, "mixed or indistinguishable at kT "+strings.Join(tie, ", "))
			}
			fmt.Fprintf(&b, "- %s against %s at the held-out temperatures, over %s and every seed: %s.\n",
				m.name, bk.short, strings.Join(metricHeaders(exact), ", "), strings.Join(parts, "; "))
		}
	}
	b.WriteString("\n")
	verdictTable(&b, e, methods, rows, temps, exact)
	for _, m := range judged(methods) {
		winnersTable(&b, e, m, rows, by, temps, exact)
	}
	if exact {
		b.WriteString("The 'vs exact' column compares with the exact Boltzmann density pushed through the same encoder, which has no sampling noise of its own; " +
			"differences between it and 'vs MD' come from the finite MD reference and from the finite-dt bias of the dynamics.\n\n")
	}
	return b.String()
}

func metricHeaders(exact bool) []string {
	var out []string
	for _, k := range verdictMetrics(exact) {
		out = append(out, metricHeader(k))
	}
	return out
}

// setTemps returns the temperatures of e in the given set ("test" or
// "validation"), sorted.
func setTemps(e *Design, set string) []float64 {
	var out []float64
	for _, t := range e.Temperatures() {
		if e.Set(t) == set {
			out = append(out, t)
		}
	}
	return slices.Clip(out)
}
