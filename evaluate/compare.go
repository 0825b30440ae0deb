package evaluate

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/analysis/plots"
	"github.com/dspib/dspib/internal/stream"
	"github.com/dspib/dspib/learn"
	"github.com/dspib/dspib/md/traj"
)

// Design is one train/evaluate design: the temperatures [ε] the models were
// trained on and the temperatures they are evaluated at (trained,
// interpolated and extrapolated kT).
type Design struct {
	// Name is a short identifier used in file names ("multi").
	Name string `json:"name"`
	// Title is a one-line description for the report.
	Title string `json:"title,omitempty"`
	// Train and Eval list kT [ε]: Eval are the test temperatures (the
	// training ones among them), reported once with the settings frozen.
	Train []float64 `json:"train"`
	Eval  []float64 `json:"eval"`
	// Validation lists further kT [ε] evaluated and reported apart, for
	// choosing settings (docs/evaluation.md §6: no tuning on Eval).
	Validation []float64 `json:"validation,omitempty"`
	// Scan lists further kT [ε] compared with the exact density only (no
	// MD needed there): the overlap scan of where reweighting the training
	// MD beats the generators and where it stops (ScanRow). It needs
	// Comparison.Exact and ExactN, and is left out without them.
	Scan []float64 `json:"scan,omitempty"`
}

// Temperatures returns every evaluated kT, Eval and Validation, sorted.
func (e *Design) Temperatures() []float64 {
	ts := slices.Clone(e.Eval)
	for _, t := range e.Validation {
		if !slices.Contains(ts, t) {
			ts = append(ts, t)
		}
	}
	slices.Sort(ts)
	return ts
}

// Set returns "validation" for a validation temperature of e (one not in
// Eval), else "test".
func (e *Design) Set(kT float64) string {
	if slices.Contains(e.Validation, kT) && !slices.Contains(e.Eval, kT) {
		return "validation"
	}
	return "test"
}

// Validate checks that the design has a name and finite positive
// temperatures, naming the problem.
func (e *Design) Validate() error {
	if e.Name == "" || len(e.Train) == 0 || len(e.Eval) == 0 {
		return fmt.Errorf("evaluate: design %q needs Name, Train and Eval", e.Name)
	}
	for _, t := range slices.Concat(e.Train, e.Eval, e.Validation, e.Scan) {
		if !(t > 0) || math.IsInf(t, 0) {
			return fmt.Errorf("evaluate: design %s: kT = %v, want finite > 0", e.Name, t)
		}
	}
	return nil
}

// IsTrain reports whether kT is a training temperature of e.
func (e *Design) IsTrain(kT float64) bool { return slices.Contains(e.Train, kT) }

// Nearest returns the training temperature nearest to kT on a log scale
// (ties go to the lower one).
func (e *Design) Nearest(kT float64) float64 {
	best, bd := e.Train[0], math.Inf(1)
	for _, t := range e.Train {
		if d := math.Abs(math.Log(t / kT)); d < bd-1e-12 || (math.Abs(d-bd) <= 1e-12 && t < best) {
			best, bd = t, d
		}
	}
	return best
}

// Regime classifies kT against the training temperatures: "trained",
// "interpolated" or "extrapolated".
func (e *Design) Regime(kT float64) string {
	if e.IsTrain(kT) {
		return "trained"
	}
	if kT > slices.Min(e.Train) && kT < slices.Max(e.Train) {
		return "interpolated"
	}
	return "extrapolated"
}

// Method is one way of predicting the latent distribution at a temperature:
// a generator in the latent space of an encoder.
type Method struct {
	// Name is shown in tables ("SPIB (VampPrior)").
	Name string
	// Key is a short file-name-safe identifier ("spib").
	Key string
	// EncKey names the encoder ("spib", "dspib"): methods with the same
	// EncKey are compared against the same encoded MD.
	EncKey string
	Enc    learn.Encoder
	Gen    learn.Generator
	// Weights, if not nil, is a fixed weighted prediction per kT (Boltzmann-
	// reweighted MD) used instead of Gen; its metrics use the weights and
	// report their effective sample size.
	Weights map[float64]*Weighted
	// Baseline marks reference predictions that are not generative models
	// (the nearest training temperature's MD, reweighted MD).
	Baseline bool
	// TempAware marks generators conditioned on temperature (the ones the
	// nearest-temperature baseline judges).
	TempAware bool
	// Curves are the training-loss curves, if any.
	Curves []plots.Curve
}

// Row is the evaluation of one method at one temperature of one design.
type Row struct {
	Experiment string  `json:"experiment"`
	KT         float64 `json:"kT"`
	// Regime is "trained", "interpolated" or "extrapolated".
	Regime string `json:"regime"`
	// Set is "validation" or "test" (Design.Set).
	Set       string `json:"set"`
	Method    string `json:"method"`
	MethodKey string `json:"method_key"`
	Encoder   string `json:"encoder"`
	Baseline  bool   `json:"baseline"`
	TempAware bool   `json:"temperature_aware"`
	// N is the number of latents compared on each side (a reweighted
	// prediction has N frames per training temperature it uses, and the
	// "ess" metric).
	N int `json:"n"`
	// Metrics: see MetricNames.
	Metrics map[string]float64 `json:"metrics"`
	// PopMD and PopGen are the state populations of the encoded reference
	// MD and of the prediction, states from the encoder's decoder.
	PopMD  []float64 `json:"populations_md"`
	PopGen []float64 `json:"populations_predicted"`
	// CI holds the 95 % bootstrap interval [lo, hi] of each metric (see
	// Interval; a metric without one is left out), and Boot its replicates
	// (for DiffInterval; not written to JSON).
	CI   map[string][2]float64 `json:"ci95,omitempty"`
	Boot map[string][]float64  `json:"-"`
	// Block is the block length [rows] of the prediction's bootstrap (1:
	// iid generated latents) and TauInt the integrated autocorrelation time
	// it rests on.
	Block  int     `json:"bootstrap_block,omitempty"`
	TauInt float64 `json:"tau_int,omitempty"`
}

// Comparison is the input of Run.
type Comparison struct {
	Design Design
	// Methods are the predictions to judge; Run adds the nearest-training-
	// temperature baseline of every encoder after them.
	Methods []*Method
	// Ref holds the reference frames (features, original units, rows ×
	// FeatureDim) at every evaluated kT: at a training temperature frames
	// the models did not train on (validation split or independent run).
	Ref map[float64][]float64
	// Independent holds frames of MD runs independent of Ref at (at least)
	// every training temperature: the nearest-temperature baseline, and at
	// a training kT the sampling-noise floor.
	Independent map[float64][]float64
	// Floor, if not nil, holds frames of MD runs independent of Ref and of
	// Independent at every evaluated kT (same encoder, thinned to N): Run
	// adds it as the method "MD, second independent run at the same kT",
	// the sampling-noise floor of every metric at every temperature.
	Floor map[float64][]float64
	// Energies, if not nil, holds the potential energy U [ε] of every frame
	// of Independent (same rows) at every training temperature: Run then
	// adds two Boltzmann-reweighting baselines per encoder (nearest
	// training kT, and MBAR over all of them).
	Energies map[float64][]float64
	// Exact, if not nil, returns the exact reference in enc's latent space
	// at kT (see Exact).
	Exact func(enc learn.Encoder, kT float64) (*Weighted, error)
	// ExactN, if > 0 and Exact is set, is the size of a second comparison
	// with the exact reference ("sym_kl_exact_n"): every generative method
	// generates ExactN latents per kT, the nearest-temperature and
	// noise-floor MD are thinned to ExactN frames from their runs (left out
	// if shorter), on ExactBins(ExactN) bins per axis.
	ExactN int
	// N is the number of latents compared per side: references and
	// baselines are thinned evenly to N rows (learn.Thin) and N latents
	// generated. It is capped by the smallest reference.
	N int
	// Seed: the generator of method m at kT gets seed
	// stream.Seed(Seed, "gen/"+Design.Name+"/"+m.Key, kT).
	Seed uint64
	// LatentsDir, if not empty, receives every compared latent set as .npy:
	// md_<enc>_<kT>.npy and <method>_<kT>.npy.
	LatentsDir string
	Config     Config
}

// Result is the outcome of Run: a row per method and temperature and the
// latent sets behind them (for the figures).
type Result struct {
	Design Design
	// Methods are the compared methods, baselines included.
	Methods []*Method
	Rows    []Row
	// N is the number of latents compared per side.
	N int
	// Ref maps encoder → kT → encoded reference; Gen method key → kT →
	// prediction; Exact encoder → kT → exact reference (if any).
	Ref, Gen map[string]map[float64][]float64
	Exact    map[string]map[float64]*Weighted
	// Scan is the overlap scan at Design.Scan (sorted by kT).
	Scan []ScanRow
	// Info holds the quadrature weight dropped from every exact reference
	// ("exact_dropped_weight_<enc>_<kT>").
	Info   map[string]float64
	Config Config
}

// Run encodes the references, adds the nearest-temperature baseline of each
// encoder and compares every method at every evaluated temperature.
func Run(c *Comparison) (*Result, error) {
	e := &c.Design
	if err := e.Validate(); err != nil {
		return nil, err
	}
	cfg, err := c.Config.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(c.Methods) == 0 {
		return nil, fmt.Errorf("evaluate: %s: no methods to compare", e.Name)
	}
	d := c.Methods[0].Enc.FeatureDim()
	n := c.N
	temps := e.Temperatures()
	for _, t := range temps {
		if c.Floor != nil && (len(c.Floor[t]) == 0 || len(c.Floor[t])%d != 0) {
			return nil, fmt.Errorf("evaluate: %s: no noise-floor MD frames (rows of %d features) at kT %v", e.Name, d, t)
		}
		if len(c.Ref[t]) == 0 {
			return nil, fmt.Errorf("evaluate: %s: no reference frames at kT %v", e.Name, t)
		}
		if len(c.Ref[t])%d != 0 || len(c.Independent[e.Nearest(t)])%d != 0 {
			return nil, fmt.Errorf("evaluate: %s: MD frames at kT %v (or its nearest training kT) are not rows of the encoders' %d features", e.Name, t, d)
		}
		n = min(n, len(c.Ref[t])/d)
		if nt := e.Nearest(t); len(c.Independent[nt]) == 0 {
			return nil, fmt.Errorf("evaluate: %s: no independent MD frames at the training kT %v (nearest to %v)", e.Name, nt, t)
		}
	}
	if n < 2 {
		return nil, fmt.Errorf("evaluate: %s: only %d frames to compare, want ≥ 2", e.Name, n)
	}
	if c.LatentsDir != "" {
		if err := os.MkdirAll(c.LatentsDir, 0o755); err != nil {
			return nil, err
		}
	}
	save := func(name string, z []float64) error {
		if c.LatentsDir == "" {
			return nil
		}
		return traj.WriteNPY(filepath.Join(c.LatentsDir, name), len(z)/2, 2, z)
	}
	res := &Result{Design: *e, N: n, Config: cfg, Ref: map[string]map[float64][]float64{},
		Gen: map[string]map[float64][]float64{}, Exact: map[string]map[float64]*Weighted{}, Info: map[string]float64{}}
	var encKeys []string
	encOf := map[string]learn.Encoder{}
	// series: the methods whose predictions are MD time series (block
	// bootstrap), with their segments (nil: one run).
	series := map[string][]int{}
	for _, m := range c.Methods {
		if m.Enc.LatentDim() != 2 {
			return nil, fmt.Errorf("evaluate: %s: %s has latent dimension %d, the comparison is of 2-D latents", e.Name, m.Name, m.Enc.LatentDim())
		}
		if m.Enc.FeatureDim() != d {
			return nil, fmt.Errorf("evaluate: %s: %s takes %d features, %s takes %d", e.Name, m.Name, m.Enc.FeatureDim(), c.Methods[0].Name, d)
		}
		if _, ok := encOf[m.EncKey]; !ok {
			encKeys = append(encKeys, m.EncKey)
			encOf[m.EncKey] = m.Enc
		}
	}
	res.Methods = slices.Clone(c.Methods)
	var rwN *rwSet // the reweighting's energies at n rows, shared by the encoders
	for _, ek := range encKeys {
		enc := encOf[ek]
		res.Ref[ek] = map[float64][]float64{}
		res.Exact[ek] = map[float64]*Weighted{}
		indep := map[float64][]float64{}
		for _, t := range temps {
			z, err := enc.Encode(learn.Thin(c.Ref[t], d, n))
			if err != nil {
				return nil, err
			}
			res.Ref[ek][t] = z
			if err := save("md_"+ek+"_"+traj.TempTag(t)+".npy", z); err != nil {
				return nil, err
			}
			nt := e.Nearest(t)
			if _, ok := indep[nt]; !ok {
				if indep[nt], err = enc.Encode(learn.Thin(c.Independent[nt], d, n)); err != nil {
					return nil, err
				}
			}
			if c.Exact != nil {
				if res.Exact[ek][t], err = c.Exact(enc, t); err != nil {
					return nil, err
				}
				res.Info[fmt.Sprintf("exact_dropped_weight_%s_%s", ek, traj.TempTag(t))] = res.Exact[ek][t].Dropped
			}
		}
		sets := map[float64][]float64{}
		for _, t := range temps {
			sets[t] = indep[e.Nearest(t)]
		}
		res.Methods = append(res.Methods, &Method{
			Name: "MD at nearest training kT (" + ek + " encoder)", Key: "nearest_" + ek, EncKey: ek, Enc: enc,
			Gen: learn.Set{Sets: sets, D: 2}, Baseline: true})
		series["nearest_"+ek] = nil
		if c.Floor != nil {
			fl := map[float64][]float64{}
			for _, t := range temps {
				if fl[t], err = enc.Encode(learn.Thin(c.Floor[t], d, n)); err != nil {
					return nil, err
				}
			}
			res.Methods = append(res.Methods, &Method{
				Name: "MD, second independent run at the same kT (noise floor, " + ek + " encoder)", Key: FloorKey(ek), EncKey: ek, Enc: enc,
				Gen: learn.Set{Sets: fl, D: 2}, Baseline: true})
			series[FloorKey(ek)] = nil
		}
		if c.Energies != nil {
			if rwN == nil {
				if rwN, err = newRWSet(c, e, d, n); err != nil {
					return nil, err
				}
			}
			rw, err := reweighted(c, e, rwN, ek, enc, indep, d, n, res.Info)
			if err != nil {
				return nil, err
			}
			res.Methods = append(res.Methods, rw...)
		}
	}
	for _, m := range res.Methods {
		res.Gen[m.Key] = map[float64][]float64{}
		for _, t := range temps {
			var gen, genW []float64
			if m.Weights != nil {
				w := m.Weights[t]
				if w == nil {
					return nil, fmt.Errorf("%s: %s has no weighted prediction at kT %v", e.Name, m.Name, t)
				}
				gen, genW = w.Z, w.W
				if c.LatentsDir != "" {
					if err := traj.WriteNPY(filepath.Join(c.LatentsDir, m.Key+"_"+traj.TempTag(t)+"_weights.npy"), len(genW), 1, genW); err != nil {
						return nil, err
					}
				}
			} else {
				var err error
				if gen, err = m.Gen.Generate(t, n, stream.Seed(c.Seed, "gen/"+e.Name+"/"+m.Key, t)); err != nil {
					return nil, fmt.Errorf("%s: %s at kT %v: %w", e.Name, m.Name, t, err)
				}
			}
			res.Gen[m.Key][t] = gen
			if err := save(m.Key+"_"+traj.TempTag(t)+".npy", gen); err != nil {
				return nil, err
			}
			met, pr, pg, err := Compare(gen, genW, res.Ref[m.EncKey][t], res.Exact[m.EncKey][t], m.Enc, cfg)
			if err != nil {
				return nil, fmt.Errorf("%s: %s at kT %v: %w", e.Name, m.Name, t, err)
			}
			res.Rows = append(res.Rows, Row{Experiment: e.Name, KT: t, Regime: e.Regime(t), Set: e.Set(t), Method: m.Name,
				MethodKey: m.Key, Encoder: m.EncKey, Baseline: m.Baseline, TempAware: m.TempAware,
				N: n, Metrics: met, PopMD: pr, PopGen: pg})
		}
	}
	if cfg.Bootstrap > 0 {
		if err := bootstrap(res, c.Seed, cfg, series); err != nil {
			return nil, err
		}
	}
	if c.ExactN > 0 && c.Exact != nil {
		if err := exactLarge(c, res, d, cfg); err != nil {
			return nil, err
		}
		if len(e.Scan) > 0 {
			if err := scan(c, res, d); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// ExactBins is the number of histogram bins per axis of the large-sample
// comparison with the exact density: ⌊√(N/10)⌋, between 10 and 200, i.e.
// about 10 samples per bin of the bounding box, so the plug-in bias
// (≈ occupied bins / N, Miller 1955) stays below ≈ 0.1 nats (100 bins at
// N = 10⁵).
func ExactBins(n int) int {
	return min(200, max(10, int(math.Sqrt(float64(n)/10))))
}

// exactLarge adds "sym_kl_exact_n" (Comparison.ExactN) to the rows of the
// generative methods and of the nearest-kT and noise-floor MD, with its
// bootstrap interval (iid for generated latents, blocks for MD).
func exactLarge(c *Comparison, res *Result, d int, cfg Config) error {
	e := &res.Design
	nx := c.ExactN
	bins := ExactBins(nx)
	res.Info["exact_large_n"], res.Info["exact_large_bins"] = float64(nx), float64(bins)
	byKey := res.methodsByKey()
	for i := range res.Rows {
		r := &res.Rows[i]
		m := byKey[r.MethodKey]
		ex := res.Exact[r.Encoder][r.KT]
		if ex == nil || m.Weights != nil {
			continue
		}
		var frames []float64
		switch {
		case !m.Baseline:
		case m.Key == "nearest_"+m.EncKey:
			frames = c.Independent[e.Nearest(r.KT)]
		case m.Key == FloorKey(m.EncKey):
			frames = c.Floor[r.KT]
		default:
			continue
		}
		var z []float64
		var err error
		if m.Baseline {
			if len(frames)/d < nx {
				continue
			}
			z, err = m.Enc.Encode(learn.Thin(frames, d, nx))
		} else {
			z, err = m.Gen.Generate(r.KT, nx, stream.Seed(c.Seed, "gen-exact/"+e.Name+"/"+m.Key, r.KT))
		}
		if err != nil {
			return fmt.Errorf("%s: %s at kT %v: %w", e.Name, m.Name, r.KT, err)
		}
		v, err := analysis.SymKL(z, nil, ex.Z, ex.W, analysis.KLConfig{Bins: bins})
		if err != nil {
			return fmt.Errorf("%s: %s at kT %v: %w", e.Name, m.Name, r.KT, err)
		}
		r.Metrics["sym_kl_exact_n"] = v
		if cfg.Bootstrap > 0 {
			reps := exactReplicates(z, m.Baseline, ex, bins, cfg.Bootstrap, c.Seed, m.Key, r.KT)
			if r.Boot == nil {
				r.Boot, r.CI = map[string][]float64{}, map[string][2]float64{}
			}
			r.Boot["sym_kl_exact_n"] = reps
			if lo, hi, ok := Interval(v, reps); ok {
				r.CI["sym_kl_exact_n"] = [2]float64{max(lo, 0), hi}
			}
		}
	}
	return nil
}

// methodsByKey maps every method's key to it.
func (r *Result) methodsByKey() map[string]*Method {
	m := map[string]*Method{}
	for _, x := range r.Methods {
		m[x.Key] = x
	}
	return m
}

// FloorKey is the method key of the noise-floor run of encoder ek.
func FloorKey(ek string) string { return "floor_" + ek }

// rwSet is what every Boltzmann reweighting of the training MD starts from:
// the energies of the independent MD at each training temperature thinned
// to n rows (the frames are thinned alike), and MBAR solved on n/K of them
// per temperature. The energies do not depend on the encoder, so one set
// serves every latent space.
type rwSet struct {
	u  map[float64][]float64 // thinned energies per training kT
	m  int                   // rows per training kT pooled by MBAR
	mb *analysis.MBAR
}

// newRWSet thins the energies of c's independent MD at the training
// temperatures of e to n rows and solves MBAR on n/K rows of each.
func newRWSet(c *Comparison, e *Design, d, n int) (*rwSet, error) {
	s := &rwSet{u: map[float64][]float64{}, m: max(1, n/len(e.Train))}
	uM := make([][]float64, len(e.Train))
	for k, t := range e.Train {
		f, en := c.Independent[t], c.Energies[t]
		if len(en) == 0 {
			return nil, fmt.Errorf("evaluate: %s: no energies of the MD at the training kT %v", e.Name, t)
		}
		if len(en) != len(f)/d {
			return nil, fmt.Errorf("evaluate: %s: %d energies for %d MD frames at kT %v", e.Name, len(en), len(f)/d, t)
		}
		s.u[t] = learn.Thin(en, 1, n)
		uM[k] = learn.Thin(s.u[t], 1, s.m)
	}
	var err error
	if s.mb, err = analysis.SolveMBAR(uM, e.Train, 0); err != nil {
		return nil, fmt.Errorf("evaluate: %s: %w", e.Name, err)
	}
	return s, nil
}

// weights returns the weights at kT of the thinned frames of the nearest
// training temperature (analysis.Reweight) and of MBAR's pooled frames.
func (s *rwSet) weights(e *Design, kT float64) (near, all []float64, err error) {
	nt := e.Nearest(kT)
	near = make([]float64, len(s.u[nt]))
	if err := analysis.Reweight(near, s.u[nt], nt, kT); err != nil {
		return nil, nil, fmt.Errorf("evaluate: %s: %w", e.Name, err)
	}
	all = make([]float64, len(s.mb.U))
	if err := s.mb.Weights(all, kT); err != nil {
		return nil, nil, fmt.Errorf("evaluate: %s: %w", e.Name, err)
	}
	return near, all, nil
}

// reweighted returns the two Boltzmann-reweighting baselines of encoder ek:
// the independent MD at the nearest training temperature reweighted to each
// evaluated kT (analysis.Reweight), and the MD of all training temperatures
// combined by MBAR (analysis.SolveMBAR). Frames and energies are thinned
// alike to n rows per temperature (rw) — the frames of the nearest-temperature
// baseline — and for MBAR further to n/K rows at each of the K training
// temperatures, so that every prediction has n frames: the histogram
// metrics fall with the sample size, and MBAR on K·n frames would beat
// even the noise floor by size alone. indep holds the encoded thinned
// frames already made; the others are added. MBAR's free energies and
// steps go into info.
func reweighted(c *Comparison, e *Design, rw *rwSet, ek string, enc learn.Encoder, indep map[float64][]float64, d, n int, info map[string]float64) ([]*Method, error) {
	var allZ []float64
	var segs []int
	for _, t := range e.Train {
		if _, ok := indep[t]; !ok {
			z, err := enc.Encode(learn.Thin(c.Independent[t], d, n))
			if err != nil {
				return nil, err
			}
			indep[t] = z
		}
		zk := learn.Thin(indep[t], 2, rw.m)
		allZ = append(allZ, zk...)
		segs = append(segs, len(zk)/2)
	}
	info["mbar_newton_steps_"+ek] = float64(rw.mb.Iterations)
	for k, t := range e.Train {
		info[fmt.Sprintf("mbar_f_%s_%s", ek, traj.TempTag(t))] = rw.mb.F[k]
	}
	near, all := map[float64]*Weighted{}, map[float64]*Weighted{}
	for _, t := range e.Temperatures() {
		w, wa, err := rw.weights(e, t)
		if err != nil {
			return nil, err
		}
		near[t] = &Weighted{Z: indep[e.Nearest(t)], W: w}
		all[t] = &Weighted{Z: allZ, W: wa, Segments: segs}
	}
	return []*Method{
		{Name: "MD reweighted (nearest kT, " + ek + " encoder)", Key: "rw_nearest_" + ek, EncKey: ek, Enc: enc, Weights: near, Baseline: true},
		{Name: "MD reweighted (MBAR, all training kT, " + ek + " encoder)", Key: "rw_mbar_" + ek, EncKey: ek, Enc: enc, Weights: all, Baseline: true},
	}, nil
}
