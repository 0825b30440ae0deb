package evaluate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dspib/dspib/analysis/plots"
)

// scanKey identifies one prediction at one temperature of the overlap scan.
type scanKey struct {
	kT  float64
	key string
}

// scanSection writes the overlap scan of design e (ScanRow) over the seeds:
// the symmetrised KL from the exact density of every prediction (mean ± sd
// over seeds) with the reweighting's effective sample size, and per
// temperature in how many seeds each generator is below each baseline. It
// returns "" when no seed has scan rows for e.
func scanSection(e *Design, seeds []*SeedResult) string {
	per := make([]map[scanKey]ScanRow, len(seeds))
	var temps []float64
	var order []ScanRow // first seed's predictions, in order, one per key
	seen := map[string]bool{}
	for i, s := range seeds {
		per[i] = map[scanKey]ScanRow{}
		for _, r := range s.Scan {
			if r.Experiment != e.Name {
				continue
			}
			per[i][scanKey{r.KT, r.MethodKey}] = r
			if !slices.Contains(temps, r.KT) {
				temps = append(temps, r.KT)
			}
			if !seen[r.MethodKey] {
				seen[r.MethodKey] = true
				order = append(order, r)
			}
		}
	}
	if len(order) == 0 {
		return ""
	}
	slices.Sort(temps)
	values := func(t float64, key string, f func(ScanRow) float64) []float64 {
		var v []float64
		for _, p := range per {
			if r, ok := p[scanKey{t, key}]; ok {
				v = append(v, f(r))
			}
		}
		return v
	}
	// cell formats the values over the seeds as the report's other tables do.
	cell := func(v []float64) string {
		if len(v) == 0 {
			return fmtSummary(nil, len(seeds))
		}
		m, sd := meanSD(v)
		return fmtSummary(&Summary{Values: v, Mean: m, SD: sd}, len(seeds))
	}
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	r0 := order[0]
	p("### Overlap scan: where reweighting the training MD wins and where it loses\n\n")
	p("Every prediction against the exact density alone (no MD at these kT), %d latents or MD frames on "+
		"%d × %d bins, one comparison per seed (no bootstrap: the spread over seeds is the uncertainty). "+
		"Reweighting uses the independent MD at the training kT (the nearest one, or all of them by MBAR with "+
		"%d frames each); ESS is Kish's effective sample size of its weights as a fraction of the frames. "+
		"The scan temperatures are reported, not used to choose settings.\n\n",
		r0.N, ExactBins(r0.N), ExactBins(r0.N), max(1, r0.N/len(e.Train)))
	var rows [][]string
	for _, t := range temps {
		for _, m := range order {
			sk := values(t, m.MethodKey, func(r ScanRow) float64 { return r.SymKL })
			if len(sk) == 0 {
				continue
			}
			ess := "–"
			if strings.HasPrefix(m.MethodKey, "rw_") {
				ess = cell(values(t, m.MethodKey, func(r ScanRow) float64 { return r.ESS }))
			}
			rows = append(rows, []string{fmt.Sprint(t), e.Regime(t), m.Method, cell(sk), ess})
		}
	}
	p("%s\n", plots.MarkdownTable([]string{"kT", "regime", "method", "symKL vs exact", "ESS / N"}, rows))
	for _, g := range order {
		if g.Baseline {
			continue
		}
		var bases []ScanRow
		for _, m := range order {
			if m.Baseline && m.Encoder == g.Encoder {
				bases = append(bases, m)
			}
		}
		header := []string{"kT", "regime"}
		for _, m := range bases {
			header = append(header, g.Method+" below "+m.Method)
		}
		// wins[j] and losses[j]: the kT at which g is below (above) baseline j in every seed.
		wins, losses := make([][]float64, len(bases)), make([][]float64, len(bases))
		var vrows [][]string
		for _, t := range temps {
			row := []string{fmt.Sprint(t), e.Regime(t)}
			for j, m := range bases {
				below, n := 0, 0
				for _, pr := range per {
					a, okA := pr[scanKey{t, g.MethodKey}]
					c, okC := pr[scanKey{t, m.MethodKey}]
					if !okA || !okC {
						continue
					}
					n++
					if a.SymKL < c.SymKL {
						below++
					}
				}
				row = append(row, fmt.Sprintf("%d of %d seeds", below, n))
				switch {
				case n == len(seeds) && below == n:
					wins[j] = append(wins[j], t)
				case n == len(seeds) && below == 0:
					losses[j] = append(losses[j], t)
				}
			}
			vrows = append(vrows, row)
		}
		p("%s\n", plots.MarkdownTable(header, vrows))
		for j, m := range bases {
			p("- Against %s: %s is lower in every seed at kT %s; higher in every seed at kT %s.\n",
				m.Method, g.Method, fmtTemps(wins[j]), fmtTemps(losses[j]))
		}
		p("\n")
	}
	return b.String()
}

// fmtTemps lists temperatures, or "none".
func fmtTemps(ts []float64) string {
	if len(ts) == 0 {
		return "none"
	}
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = fmt.Sprint(t)
	}
	return strings.Join(s, ", ")
}
