package experiment

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/dspib/dspib"
	"github.com/dspib/dspib/analysis/plots"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/md/traj"
)

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

// summarise groups the rows of every seed by (experiment, kT, method, metric).
func summarise(seeds []*seedResult) ([]Summary, map[sumKey]*Summary) {
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
			}
		}
	}
	m := map[sumKey]*Summary{}
	for i := range out {
		out[i].Mean, out[i].SD = meanSD(out[i].Values)
		s := &out[i]
		m[sumKey{s.Experiment, s.KT, s.MethodKey, s.Metric}] = s
	}
	return out, m
}

func fmtSummary(s *Summary) string {
	if s == nil {
		return "–"
	}
	if len(s.Values) == 1 {
		return plots.FormatFloat(s.Mean, 3)
	}
	return plots.MeanStd(s.Mean, s.SD)
}

// writeResults writes metrics.json and report.md at the top of the folder.
func writeResults(o Options, spec *Spec, sizes Sizes, seeds []*seedResult, wall time.Duration) error {
	sums, byKey := summarise(seeds)
	var seedList []uint64
	for _, s := range seeds {
		seedList = append(seedList, s.Seed)
	}
	metrics := map[string]any{
		"system":  spec.System.Name,
		"command": commandLine(spec, o),
		"preset":  o.Preset,
		"sizes":   sizes,
		"seeds":   seedList,

		"experiments":     spec.Experiments,
		"metric_meanings": MetricNames,
		"summary":         sums,
		"per_seed":        seeds,
		"wall_seconds":    wall.Seconds(),
		"gomaxprocs":      runtime.GOMAXPROCS(0),
		"version":         dspib.Version,
		"kernel":          ad.KernelInfo(),
		"integrator":      map[string]any{"name": "BAOAB", "dt": spec.System.Dt, "gamma": spec.System.Gamma, "stride": spec.System.Stride},
		"diffusion_prior": map[string]any{"exponent_a": sizes.Exponent, "embedding": sizes.Embedding.String()},
	}
	if err := traj.WriteJSON(filepath.Join(o.Out, "metrics.json"), metrics); err != nil {
		return err
	}
	return traj.WriteAtomic(filepath.Join(o.Out, "report.md"), func(w io.Writer) error {
		return writeReport(w, o, spec, sizes, seeds, byKey, wall)
	})
}

func writeReport(w io.Writer, o Options, spec *Spec, sizes Sizes, seeds []*seedResult, by map[sumKey]*Summary, wall time.Duration) error {
	sys := spec.System
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# %s benchmark: SPIB, D-SPIB and baselines against molecular dynamics\n\n", sys.Name)
	p("Command: `%s`  \n", commandLine(spec, o))
	p("Preset: **%s**; seeds: %v (%d independent repetition(s): new MD, new splits, new models); ", o.Preset, seedsOf(seeds), len(seeds))
	p("wall time %s on GOMAXPROCS = %d; dspib %s, %s.\n\n", wall.Round(time.Second), runtime.GOMAXPROCS(0), dspib.Version, ad.KernelInfo())
	p("Methods: **SPIB (VampPrior)** is phase 1 of the fit (Wang & Tiwary 2021), whose single prior ignores temperature; ")
	p("**D-SPIB** is phase 2 (learn/dspib: encoder, decoder and temperature-conditioned diffusion prior trained jointly; John et al. 2025); ")
	p("**SPIB + post-hoc diffusion** is an ablation: the same diffusion prior fitted afterwards to the frozen phase-1 latents; ")
	p("**MD at nearest training kT** is the honest baseline of spec §4 (b). D-SPIB lives in its own latent space (its encoder moved in phase 2), ")
	p("so it is compared with MD encoded by its own encoder, and has its own nearest-temperature baseline.\n\n")
	p("## Settings\n\n")
	p("%s", plots.MarkdownTable([]string{"setting", "value"}, [][]string{
		{"dynamics", fmt.Sprintf("BAOAB Langevin, dt = %g τ, γ = %g /τ, m = 1, a frame every %d steps (%g τ)", sys.Dt, sys.Gamma, sys.Stride, sys.Dt*float64(sys.Stride))},
		{"start", fmt.Sprintf("%v, first %d frames of every run discarded", sys.X0, sizes.BurnIn)},
		{"training frames per training kT", fmt.Sprint(sizes.TrainFrames)},
		{"long reference run per evaluated kT", fmt.Sprintf("%d frames (independent seed)", sizes.RefFrames)},
		{"features", strings.Join(sys.FeatureNames, ", ")},
		{"initial labels", fmt.Sprintf("k-means (k-means++), K = %d, on the standardised k-means features of all training frames", sizes.KMeansK)},
		{"SPIB", fmt.Sprintf("lag %d frames, d = 2, β = 1e-5, lr 1e-3, batch 512, %d refinements, ≤ %d epochs per round, split 0.6/0.2/0.2", sizes.Lag, sizes.SPIBRefinements, sizes.SPIBMaxEpochs)},
		{"diffusion prior", fmt.Sprintf("DDPM N = 100, β 1e-4…0.2, σ_T = (T/T_ref)^a with a = %g, T_ref = lowest training kT, %s embedding, ancestral sampler", sizes.Exponent, sizes.Embedding)},
		{"post-hoc prior (ablation)", "as many epochs as phase 2 ran, on the frozen phase-1 latents of every training-split frame"},
		{"D-SPIB phase 2", fmt.Sprintf("fresh Adam, λ = 1, M = 16, same diffusion prior settings, ≤ %d epochs, stops when CE and diffusion loss have both stopped improving (no new best by 1e-3 relative or two standard errors for more than 5 epochs)", sizes.Phase2Epochs)},
		{"comparison", fmt.Sprintf("≤ %d latents per side (equal sizes), KL on %d×%d common bins + 1e-10, KDE bandwidth %g, F cap 3 kT", sizes.EvalN, sizes.KLBins, sizes.KLBins, sizes.KDEBandwidth)},
	}))
	p("\nReference at a training temperature: the encoded validation frames of its training run; ")
	p("elsewhere: the encoded long independent run. Baseline *MD at nearest training kT*: the encoded long run at the nearest ")
	p("training temperature (at a training temperature that is an independent run at the same kT, i.e. the sampling-noise floor of every metric).\n\n")
	p("Metrics:\n\n")
	for _, mn := range MetricNames {
		if mn.Key == "sym_kl_exact" && sys.Exact == nil {
			continue
		}
		p("- **%s** (`%s`): %s.\n", mn.Header, mn.Key, mn.Doc)
	}
	p("\n")
	for i := range spec.Experiments {
		e := &spec.Experiments[i]
		p("## Experiment `%s`: %s\n\n", e.Name, e.Title)
		p("Trained on kT %v; evaluated at kT %v; %d latents per side (seed %d).\n\n", e.Train, e.Eval, seeds[0].NEval[e.Name], seeds[0].Seed)
		for _, sr := range seeds {
			if info, ok := sr.Info[e.Name].(map[string]any); ok {
				p("- seed %d: SPIB (phase 1) ended with %v states after %v epochs; D-SPIB phase 2 ran %v epochs (%v).\n",
					sr.Seed, info["spib_states"], info["spib_epochs"], info["dspib_epochs"], info["dspib_stopped"])
			}
		}
		p("\n")
		header := []string{"kT", "regime", "method"}
		var keys []string
		for _, mn := range MetricNames {
			if mn.Key == "sym_kl_exact" && sys.Exact == nil {
				continue
			}
			header = append(header, mn.Header)
			keys = append(keys, mn.Key)
		}
		var rows [][]string
		methods := methodsOf(seeds[0], e.Name)
		for _, t := range e.Eval {
			for _, m := range methods {
				row := []string{fmt.Sprint(t), regime(e, t), m.name}
				for _, k := range keys {
					row = append(row, fmtSummary(by[sumKey{e.Name, t, m.key, k}]))
				}
				rows = append(rows, row)
			}
		}
		p("%s\n", plots.MarkdownTable(header, rows))
		p("### What the numbers mean\n\n")
		p("%s\n\n", verdict(e, methods, by, len(seeds), sys.Exact != nil))
		p("Figures (seed %d):\n\n", seeds[0].Seed)
		for _, f := range seeds[0].Figures {
			if strings.HasPrefix(f, e.Name+"_") {
				p("- [%s](figures/%s)\n", f, f)
			}
		}
		p("\n")
	}
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
	p("Every number above was computed in this run from the data in this folder (`seed<N>/`), with the seeds written next to it; ")
	p("per-seed values are in `metrics.json`.\n")
	return nil
}

func seedsOf(s []*seedResult) []uint64 {
	var out []uint64
	for _, r := range s {
		out = append(out, r.Seed)
	}
	return out
}

type methodRef struct {
	name, key, enc  string
	baseline, aware bool
}

func methodsOf(s *seedResult, exp string) []methodRef {
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

// verdict writes the plain-language reading of an experiment's table.
func verdict(e *Experiment, methods []methodRef, by map[sumKey]*Summary, nSeeds int, exact bool) string {
	var b strings.Builder
	get := func(t float64, key, metric string) (float64, bool) {
		s := by[sumKey{e.Name, t, key, metric}]
		if s == nil {
			return 0, false
		}
		return s.Mean, true
	}
	sd := func(t float64, key, metric string) float64 {
		if s := by[sumKey{e.Name, t, key, metric}]; s != nil {
			return s.SD
		}
		return 0
	}
	spread := ""
	if nSeeds > 1 {
		spread = fmt.Sprintf(" (means over %d seeds; compare with the ± spread in the table)", nSeeds)
	}
	fmt.Fprintf(&b, "Lower is better for every metric%s. ", spread)
	// Training temperatures: each generator against SPIB's VampPrior and the floor.
	for _, t := range e.Train {
		floor, _ := get(t, "nearest_spib", "sym_kl_md")
		fmt.Fprintf(&b, "At the training temperature kT %g the sampling-noise floor (an independent MD run, same encoder, same sample size) is a symKL of %s. ", t, plots.FormatFloat(floor, 3))
		spibKL, _ := get(t, "spib", "sym_kl_md")
		for _, m := range methods {
			if m.baseline || m.key == "spib" {
				continue
			}
			v, ok := get(t, m.key, "sym_kl_md")
			if !ok {
				continue
			}
			word := "better than"
			if v >= spibKL {
				word = "NOT better than"
			}
			note := ""
			if m.enc != "spib" {
				note = " (in its own latent space)"
			}
			fmt.Fprintf(&b, "%s reaches %s%s, %s SPIB's VampPrior (%s). ", m.name, plots.FormatFloat(v, 3), note, word, plots.FormatFloat(spibKL, 3))
			fl, _ := get(t, "nearest_"+m.enc, "sym_kl_md")
			if out, _ := get(t, m.key, "outside"); v < fl && out > 0.01 {
				rv, _ := get(t, m.key, "sym_kl_md_refvariant")
				fmt.Fprintf(&b, "Its symKL vs MD is BELOW the noise floor only because %s of its samples lie outside the MD box, which coarsens the common bins; "+
					"the reference variant (MD edges) gives %s, so do not read that value as better than MD. ", plots.FormatFloat(out, 2), plots.FormatFloat(rv, 3))
			}
		}
	}
	if v, ok := get(e.Train[0], "spib", "fe_rmse_z1"); ok && v > 3 {
		b.WriteString("SPIB's VampPrior puts its samples in narrow Gaussians around its few representative frames (the encoder variance is tiny at β = 1e-5; see the surfaces figure), " +
			"so its free-energy profiles are several kT off wherever MD is spread out. ")
	}
	held := false
	for _, t := range e.Eval {
		if e.IsTrain(t) {
			continue
		}
		held = true
		for _, m := range methods {
			if !m.aware {
				continue
			}
			v, ok1 := get(t, m.key, "sym_kl_md")
			base, ok2 := get(t, "nearest_"+m.enc, "sym_kl_md")
			if !ok1 || !ok2 {
				continue
			}
			fv, _ := get(t, m.key, "fe_rmse_z1")
			fb, _ := get(t, "nearest_"+m.enc, "fe_rmse_z1")
			rv, _ := get(t, m.key, "sym_kl_md_refvariant")
			rb, _ := get(t, "nearest_"+m.enc, "sym_kl_md_refvariant")
			verdictWord := "beats"
			if v >= base {
				verdictWord = "does NOT beat"
			} else if nSeeds > 1 && base-v <= math.Hypot(sd(t, m.key, "sym_kl_md"), sd(t, "nearest_"+m.enc, "sym_kl_md")) {
				verdictWord = "beats on the mean, by less than the seed-to-seed spread, so NOT clearly,"
			}
			fmt.Fprintf(&b, "At the held-out kT %g (%s) %s %s the nearest-training-temperature baseline (MD at kT %g) on symKL vs MD: %s vs %s (reference variant %s vs %s, F RMSE along z1 %s vs %s kT). ",
				t, regime(e, t), m.name, verdictWord, e.Nearest(t), plots.FormatFloat(v, 3), plots.FormatFloat(base, 3),
				plots.FormatFloat(rv, 3), plots.FormatFloat(rb, 3), plots.FormatFloat(fv, 3), plots.FormatFloat(fb, 3))
			tn := e.Nearest(t)
			fl, ok1 := get(tn, "nearest_"+m.enc, "sym_kl_md")
			own, ok2 := get(tn, m.key, "sym_kl_md")
			if ok1 && ok2 && v >= base && base <= 1.15*fl {
				fmt.Fprintf(&b, "Why: the baseline is itself within 15 %% of the sampling-noise floor (%s between two independent MD runs at kT %g), "+
					"i.e. at this sample size the metric barely resolves the change of the distribution between kT %g and %g, "+
					"while %s is %s above that floor even at the training temperature kT %g (%s): its error where it was trained is larger than the effect of temperature it should predict. ",
					plots.FormatFloat(fl, 3), tn, tn, t, m.name, plots.FormatFloat(own-fl, 2), tn, plots.FormatFloat(own, 3))
			}
		}
	}
	if held && nSeeds == 1 {
		b.WriteString("With one seed the spread of these numbers is unknown: compare the differences with the scatter between independent MD runs " +
			"(the floor rows at the training temperatures), and run with -repeat N for mean ± sd. ")
	}
	if held {
		b.WriteString("A temperature-conditioned generator that does not beat the nearest-temperature baseline has not learned how the distribution changes with temperature; " +
			"SPIB's VampPrior has a single prior for all temperatures, so it cannot follow temperature at all. ")
	}
	if exact {
		b.WriteString("The 'vs exact' column compares with the exact Boltzmann density pushed through the same encoder, which has no sampling noise of its own; " +
			"differences between it and 'vs MD' come from the finite MD reference and from finite-dt bias of the dynamics.")
	}
	return b.String()
}
