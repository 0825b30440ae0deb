package evaluate

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/dspib/dspib"
	"github.com/dspib/dspib/analysis/plots"
	"github.com/dspib/dspib/internal/atomicfile"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/md/traj"
)

// Timing is the wall time of one stage.
type Timing struct {
	Stage   string  `json:"stage"`
	Seconds float64 `json:"seconds"`
	Reused  bool    `json:"reused,omitempty"`
}

// SeedResult is everything one independent repetition (one seed) reports.
type SeedResult struct {
	Seed uint64 `json:"seed"`
	Rows []Row  `json:"rows"`
	// Scan is the overlap scan (Design.Scan), if any.
	Scan    []ScanRow      `json:"overlap_scan,omitempty"`
	Timings []Timing       `json:"timings"`
	Info    map[string]any `json:"info"`
	// NEval is the number of latents compared per side, per design.
	NEval map[string]int `json:"n_eval"`
	// Figures are the figure files (in figures/) of this seed.
	Figures []string          `json:"-"`
	Stopped map[string]string `json:"dspib_stopped"`
}

// Summary is one metric of one method at one temperature over the seeds.
type Summary struct {
	Experiment string    `json:"experiment"`
	KT         float64   `json:"kT"`
	Regime     string    `json:"regime"`
	Method     string    `json:"method"`
	MethodKey  string    `json:"method_key"`
	Metric     string    `json:"metric"`
	Mean       float64   `json:"mean"`
	SD         float64   `json:"sd"` // sample sd (n−1); 0 for one seed
	Values     []float64 `json:"values"`
	// Intervals are the 95 % bootstrap intervals of Values, per seed (left
	// out unless every seed has one).
	Intervals [][2]float64 `json:"ci95,omitempty"`
}

// Report is what WriteResults writes: the results of one or more seeds of
// one or more designs, with the prose that explains them.
type Report struct {
	// Title is the report's heading (without "# ").
	Title string
	// Intro is markdown written after the title (command, data, methods).
	Intro string
	// Settings are the rows of the settings table (setting, value).
	Settings [][2]string
	// RefNote is markdown after the settings table: what the reference and
	// the baselines are.
	RefNote string
	// Exact: the designs have an exact reference (the "vs exact" column).
	Exact   bool
	Designs []Design
	// Notes per design name: lines written as a list under its heading.
	Notes map[string][]string
	Seeds []*SeedResult
	// JSON holds further top-level fields of metrics.json (system, command,
	// sizes, …).
	JSON map[string]any
	// Footer is markdown written at the end.
	Footer string
}

type sumKey struct {
	exp    string
	kT     float64
	method string
	metric string
}

func meanSD(v []float64) (float64, float64) {
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	if len(v) < 2 {
		return m, 0
	}
	s := 0.0
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(v)-1))
}

// Summarise groups the rows of every seed by (design, kT, method, metric),
// with mean and sample standard deviation over the seeds.
func Summarise(seeds []*SeedResult) []Summary {
	var out []Summary
	idx := map[sumKey]int{}
	for _, s := range seeds {
		for _, r := range s.Rows {
			for _, mn := range MetricNames {
				v, ok := r.Metrics[mn.Key]
				if !ok {
					continue
				}
				k := sumKey{r.Experiment, r.KT, r.MethodKey, mn.Key}
				i, ok := idx[k]
				if !ok {
					i = len(out)
					idx[k] = i
					out = append(out, Summary{Experiment: r.Experiment, KT: r.KT, Regime: r.Regime,
						Method: r.Method, MethodKey: r.MethodKey, Metric: mn.Key})
				}
				out[i].Values = append(out[i].Values, v)
				if ci, ok := r.CI[mn.Key]; ok && len(out[i].Intervals) == len(out[i].Values)-1 {
					out[i].Intervals = append(out[i].Intervals, ci)
				}
			}
		}
	}
	for i := range out {
		out[i].Mean, out[i].SD = meanSD(out[i].Values)
		if len(out[i].Intervals) != len(out[i].Values) {
			out[i].Intervals = nil
		}
	}
	return out
}

func index(sums []Summary) map[sumKey]*Summary {
	m := map[sumKey]*Summary{}
	for i := range sums {
		s := &sums[i]
		m[sumKey{s.Experiment, s.KT, s.MethodKey, s.Metric}] = s
	}
	return m
}

// fmtSummary formats s for a report over nSeeds seeds: the value with its
// interval for one seed, mean ± sd for more, and how many seeds it rests on
// when some seeds have no value (a metric undefined in that seed).
func fmtSummary(s *Summary, nSeeds int) string {
	if s == nil {
		return "–"
	}
	if len(s.Values) < nSeeds {
		return fmt.Sprintf("%s (%d of %d seeds)", fmtSummary(s, len(s.Values)), len(s.Values), nSeeds)
	}
	if len(s.Values) == 1 {
		if len(s.Intervals) == 1 {
			ci := s.Intervals[0]
			return fmt.Sprintf("%s [%s, %s]", plots.FormatFloat(s.Mean, 3), plots.FormatFloat(ci[0], 3), plots.FormatFloat(ci[1], 3))
		}
		return plots.FormatFloat(s.Mean, 3)
	}
	return plots.MeanStd(s.Mean, s.SD)
}

// WriteResults writes metrics.json and report.md into dir, atomically.
func WriteResults(dir string, rep *Report) error {
	if len(rep.Seeds) == 0 {
		return fmt.Errorf("evaluate: WriteResults: no seeds")
	}
	sums := Summarise(rep.Seeds)
	var seedList []uint64
	for _, s := range rep.Seeds {
		seedList = append(seedList, s.Seed)
	}
	metrics := map[string]any{
		"seeds":           seedList,
		"metric_meanings": MetricNames,
		"summary":         sums,
		"per_seed":        rep.Seeds,
		"gomaxprocs":      runtime.GOMAXPROCS(0),
		"version":         dspib.Version,
		"kernel":          ad.KernelInfo(),
	}
	for k, v := range rep.JSON {
		metrics[k] = v
	}
	if err := traj.WriteJSON(filepath.Join(dir, "metrics.json"), metrics); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, "report.md"), func(w io.Writer) error {
		return writeReport(w, rep, index(sums))
	})
}

func writeReport(w io.Writer, rep *Report, by map[sumKey]*Summary) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	seeds := rep.Seeds
	p("# %s\n\n", rep.Title)
	p("%s", rep.Intro)
	p("## Settings\n\n")
	rows := make([][]string, len(rep.Settings))
	for i, s := range rep.Settings {
		rows[i] = []string{s[0], s[1]}
	}
	p("%s", plots.MarkdownTable([]string{"setting", "value"}, rows))
	p("\n%s", rep.RefNote)
	p("Metrics:\n\n")
	for _, mn := range MetricNames {
		if strings.HasPrefix(mn.Key, "sym_kl_exact") && !rep.Exact {
			continue
		}
		p("- **%s** (`%s`): %s.\n", mn.Header, mn.Key, mn.Doc)
	}
	p("\n")
	p("%s\n", bootstrapNote(seeds))
	for i := range rep.Designs {
		e := &rep.Designs[i]
		p("## Experiment `%s`: %s\n\n", e.Name, e.Title)
		p("Trained on kT %v; test temperatures kT %v", e.Train, e.Eval)
		if len(e.Validation) > 0 {
			p("; validation temperatures kT %v", e.Validation)
		}
		p("; %d latents per side (seed %d).\n\n", seeds[0].NEval[e.Name], seeds[0].Seed)
		for _, l := range rep.Notes[e.Name] {
			p("- %s\n", l)
		}
		p("\n")
		header := []string{"kT", "regime", "method"}
		var keys []string
		for _, mn := range MetricNames {
			if strings.HasPrefix(mn.Key, "sym_kl_exact") && !rep.Exact {
				continue
			}
			header = append(header, mn.Header)
			keys = append(keys, mn.Key)
		}
		methods := methodsOf(seeds[0], e.Name)
		table := func(temps []float64) {
			var rows [][]string
			for _, t := range temps {
				for _, m := range methods {
					row := []string{fmt.Sprint(t), e.Regime(t), m.name}
					for _, k := range keys {
						row = append(row, fmtSummary(by[sumKey{e.Name, t, m.key, k}], len(seeds)))
					}
					rows = append(rows, row)
				}
			}
			p("%s\n", plots.MarkdownTable(header, rows))
		}
		if val := setTemps(e, "validation"); len(val) > 0 {
			p("### Validation temperatures (for choosing settings)\n\n")
			p("Protocol: settings (network, training length, sampler, noise exponent) are chosen on these temperatures only; " +
				"the test temperatures below are reported once, with the settings frozen, and are never used to choose anything.\n\n")
			table(val)
			p("%s", verdict(e, methods, by, seeds, val, rep.Exact))
		}
		p("### Test temperatures (settings frozen)\n\n")
		test := setTemps(e, "test")
		table(test)
		p("### What the numbers mean\n\n")
		p("%s", verdict(e, methods, by, seeds, test, rep.Exact))
		p("%s", scanSection(e, seeds))
		if len(seeds) > 1 {
			p("Per-seed values of every metric, with their intervals, are in `metrics.json` (`per_seed`, `summary`).\n\n")
		}
		p("Figures (seed %d):\n\n", seeds[0].Seed)
		for _, f := range seeds[0].Figures {
			if strings.HasPrefix(f, e.Name+"_") {
				p("- [%s](figures/%s)\n", f, f)
			}
		}
		p("\n")
	}
	if len(seeds[0].Timings) > 0 {
		p("## Timings (seed %d)\n\n", seeds[0].Seed)
		var trows [][]string
		for _, t := range seeds[0].Timings {
			re := ""
			if t.Reused {
				re = "reused"
			}
			trows = append(trows, []string{t.Stage, plots.FormatFloat(t.Seconds, 3), re})
		}
		p("%s\n", plots.MarkdownTable([]string{"stage", "wall [s]", "note"}, trows))
	}
	p("%s", rep.Footer)
	return nil
}

type methodRef struct {
	name, key, enc  string
	baseline, aware bool
}

func methodsOf(s *SeedResult, exp string) []methodRef {
	var out []methodRef
	seen := map[string]bool{}
	for _, r := range s.Rows {
		if r.Experiment != exp || seen[r.MethodKey] {
			continue
		}
		seen[r.MethodKey] = true
		out = append(out, methodRef{r.Method, r.MethodKey, r.Encoder, r.Baseline, r.TempAware})
	}
	return out
}

// bootstrapNote describes the intervals of the report.
func bootstrapNote(seeds []*SeedResult) string {
	b := 0
	for _, s := range seeds {
		for _, r := range s.Rows {
			for _, v := range r.Boot {
				b = max(b, len(v))
			}
		}
	}
	if b == 0 {
		return "No bootstrap intervals were computed (Config.Bootstrap < 0): differences cannot be judged against their uncertainty.\n"
	}
	single := ""
	if len(seeds) == 1 {
		single = " Tables show value [lo, hi]."
	} else {
		single = fmt.Sprintf(" Tables show mean ± sd over the %d seeds; the intervals of every seed are in metrics.json.", len(seeds))
	}
	return fmt.Sprintf("Uncertainty: 95 %% bootstrap intervals from %d replicates per seed (percentile intervals re-centred on the estimate; docs/evaluation.md §5). "+
		"Generated latents are resampled as iid; MD sets (reference, baselines, noise floor, reweighted MD with their weights) by a circular block bootstrap "+
		"with block length ⌈5 τ_int⌉ (τ_int: integrated autocorrelation time of the set's latent series, at least 10 blocks); the exact density is not resampled. "+
		"The reference resample is shared by every method of one latent space, so differences are paired.%s\n", b, single)
}
