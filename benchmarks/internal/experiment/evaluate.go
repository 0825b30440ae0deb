package experiment

import (
	"os"
	"path/filepath"

	"fmt"
	"github.com/dspib/dspib/md/traj"
	"math"
	"slices"
	"time"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/learn"
)

// Row is the evaluation of one method at one temperature of one experiment.
type Row struct {
	Experiment string  `json:"experiment"`
	KT         float64 `json:"kT"`
	// Regime is "trained", "interpolated" or "extrapolated".
	Regime    string `json:"regime"`
	Method    string `json:"method"`
	MethodKey string `json:"method_key"`
	Encoder   string `json:"encoder"`
	Baseline  bool   `json:"baseline"`
	TempAware bool   `json:"temperature_aware"`
	// N is the number of latents compared on each side.
	N int `json:"n"`
	// Metrics: see MetricNames.
	Metrics map[string]float64 `json:"metrics"`
	// PopMD and PopGen are the state populations of the encoded reference
	// MD and of the prediction, states from the encoder's decoder.
	PopMD  []float64 `json:"populations_md"`
	PopGen []float64 `json:"populations_predicted"`
}

// MetricNames lists the metrics of a Row in table order, with their meaning.
var MetricNames = []struct{ Key, Header, Doc string }{
	{"sym_kl_md", "symKL vs MD", "symmetrised KL [nats] between predicted and encoded-MD latents, 2-D histograms on common edges (spec §4)"},
	{"sym_kl_md_refvariant", "symKL (ref. variant)", "the same with the D-SPIB reference's binning: edges from the encoded MD only, predicted points outside dropped"},
	{"sym_kl_exact", "symKL vs exact", "symmetrised KL to the exact Boltzmann density pushed through the encoder (three-hole only)"},
	{"fe_rmse_z1", "F RMSE z1 [kT]", "RMSE of the 1-D free energy along z1 over F_MD < 3 kT (KDE bandwidth in the settings), optimal constant shift"},
	{"fe_rmse_z2", "F RMSE z2 [kT]", "the same along z2"},
	{"outside", "outside MD box", "fraction of predicted latents outside the bounding box of the encoded MD (a same-distribution sample of equal size leaves about 4/n outside). Far outliers stretch the common edges of symKL vs MD and make its bins coarser, which LOWERS it: read symKL vs MD together with this column and the reference variant"},
	{"pop_tv", "pop. TV", "total-variation distance ½Σ|p_gen − p_MD| between state populations (states: argmax of the decoder)"},
}

// regime classifies kT against the training temperatures.
func regime(e *Experiment, kT float64) string {
	if e.IsTrain(kT) {
		return "trained"
	}
	lo, hi := slices.Min(e.Train), slices.Max(e.Train)
	if kT > lo && kT < hi {
		return "interpolated"
	}
	return "extrapolated"
}

// weighted is a weighted latent point set (the exact Boltzmann reference).
type weighted struct {
	z, w    []float64
	dropped float64 // quadrature weight left out (far tails)
}

// exactCut is the free-energy cut [kT] above which quadrature cells are left
// out of the exact reference: their total weight is reported and is ~1e−5,
// and keeping them would stretch the common histogram edges over empty space.
const exactCut = 12.0

// exactLatents pushes a Boltzmann quadrature grid at kT through enc.
func exactLatents(sys *System, enc Encoder, kT float64) (*weighted, error) {
	b := sys.Exact
	pts, w, err := analysis.BoltzmannGrid(sys.Potential, kT, b.X0, b.X1, b.Y0, b.Y1, b.NX, b.NY)
	if err != nil {
		return nil, err
	}
	wmax := slices.Max(w)
	var kp, kw []float64
	dropped := 0.0
	for i, wi := range w {
		if wi > wmax*math.Exp(-exactCut) {
			kp = append(kp, pts[2*i], pts[2*i+1])
			kw = append(kw, wi)
		} else {
			dropped += wi
		}
	}
	feat, _, _, _, err := sys.Features(kp, len(kw))
	if err != nil {
		return nil, err
	}
	z, err := enc.Encode(feat)
	if err != nil {
		return nil, err
	}
	return &weighted{z: z, w: kw, dropped: dropped}, nil
}

// profileGrid is the number of points of the 1-D free-energy grids.
const profileGrid = 200

// profile returns the 1-D free energies [kT] along latent coordinate k of the
// reference and the prediction (2-D point sets) on a grid spanning the
// reference ± 3 bandwidths, from Gaussian KDEs with bandwidth h (spec §4).
// The predicted density is floored at e^{−20} of the reference's peak before
// the logarithm, so a prediction that misses a region gets a large but finite
// free energy there (20 kT above the reference minimum at most).
func profile(ref, gen []float64, k int, h float64) (grid, fRef, fGen []float64, err error) {
	col := func(x []float64) []float64 {
		c := make([]float64, len(x)/2)
		for i := range c {
			c[i] = x[2*i+k]
		}
		return c
	}
	rc, gc := col(ref), col(gen)
	lo, hi := slices.Min(rc)-3*h, slices.Max(rc)+3*h
	grid = make([]float64, profileGrid)
	for i := range grid {
		grid[i] = lo + (hi-lo)*float64(i)/float64(profileGrid-1)
	}
	pr := make([]float64, profileGrid)
	pg := make([]float64, profileGrid)
	if err := analysis.KDE1D(pr, grid, rc, nil, h); err != nil {
		return nil, nil, nil, err
	}
	if err := analysis.KDE1D(pg, grid, gc, nil, h); err != nil {
		return nil, nil, nil, err
	}
	floor := slices.Max(pr) * math.Exp(-20)
	for i := range pg {
		pg[i] = math.Max(pg[i], floor)
	}
	fRef = make([]float64, profileGrid)
	fGen = make([]float64, profileGrid)
	if err := analysis.FreeEnergy(fRef, pr, analysis.EmptyPolicy{}); err != nil {
		return nil, nil, nil, err
	}
	if err := analysis.FreeEnergy(fGen, pg, analysis.EmptyPolicy{}); err != nil {
		return nil, nil, nil, err
	}
	return grid, fRef, fGen, nil
}

// compare computes the metrics of a prediction gen against the encoded MD
// reference ref (and the exact reference ex, if not nil).
func compare(gen, ref []float64, ex *weighted, enc Encoder, s *Sizes) (map[string]float64, []float64, []float64, error) {
	cfg := analysis.KLConfig{Bins: s.KLBins}
	m := map[string]float64{}
	var err error
	if m["sym_kl_md"], err = analysis.SymKL(gen, nil, ref, nil, cfg); err != nil {
		return nil, nil, nil, err
	}
	// The reference's binning drops predicted points outside the MD range;
	// if it drops all of them the value is undefined and left out (shown as
	// "–"), rather than reported as a number.
	if v, err := analysis.SymKLReference(ref, nil, gen, nil, cfg); err == nil {
		m["sym_kl_md_refvariant"] = v
	}
	if ex != nil {
		if m["sym_kl_exact"], err = analysis.SymKL(gen, nil, ex.z, ex.w, cfg); err != nil {
			return nil, nil, nil, err
		}
	}
	lo := []float64{math.Inf(1), math.Inf(1)}
	hi := []float64{math.Inf(-1), math.Inf(-1)}
	for i := 0; i < len(ref); i += 2 {
		for k := range 2 {
			lo[k], hi[k] = math.Min(lo[k], ref[i+k]), math.Max(hi[k], ref[i+k])
		}
	}
	out := 0
	for i := 0; i < len(gen); i += 2 {
		if gen[i] < lo[0] || gen[i] > hi[0] || gen[i+1] < lo[1] || gen[i+1] > hi[1] {
			out++
		}
	}
	m["outside"] = float64(out) / float64(len(gen)/2)
	for k := range 2 {
		_, fr, fg, err := profile(ref, gen, k, s.KDEBandwidth)
		if err != nil {
			return nil, nil, nil, err
		}
		rmse, _, err := analysis.FreeEnergyRMSE(fg, fr, analysis.DefaultFreeEnergyCap)
		if err != nil {
			return nil, nil, nil, err
		}
		m[fmt.Sprintf("fe_rmse_z%d", k+1)] = rmse
	}
	K := enc.NumStates()
	lr, err := enc.Classify(ref)
	if err != nil {
		return nil, nil, nil, err
	}
	lg, err := enc.Classify(gen)
	if err != nil {
		return nil, nil, nil, err
	}
	pr, pg := make([]float64, K), make([]float64, K)
	if err := analysis.Populations(pr, lr, nil); err != nil {
		return nil, nil, nil, err
	}
	if err := analysis.Populations(pg, lg, nil); err != nil {
		return nil, nil, nil, err
	}
	tv := 0.0
	for k := range K {
		tv += 0.5 * math.Abs(pg[k]-pr[k])
	}
	m["pop_tv"] = tv
	return m, pr, pg, nil
}

// expPlots keeps the latent sets of the first seed for the figures.
type expPlots struct {
	ref   map[string]map[float64][]float64 // encoder → kT → encoded reference MD
	gen   map[string]map[float64][]float64 // method key → kT → predicted latents
	exact map[string]map[float64]*weighted
}

// evaluate encodes the references, adds the nearest-temperature baselines
// and compares every method at every evaluated temperature.
func (r *seedRun) evaluate(x *expRun) error {
	start := time.Now()
	d := r.d
	e := x.e
	val := valFeatures(x, d)
	nEval := min(r.sizes.EvalN, r.sizes.RefFrames)
	for _, t := range e.Train {
		nEval = min(nEval, len(val[t])/d)
	}
	if nEval < 2 {
		return fmt.Errorf("%s: only %d validation frames to compare", e.Name, nEval)
	}
	x.nEval = nEval
	refF := map[float64][]float64{}  // reference frames: validation split or long run
	longF := map[float64][]float64{} // independent long runs
	for _, t := range e.Eval {
		longF[t] = thin(r.refFeat[t], d, nEval)
		if e.IsTrain(t) {
			refF[t] = thin(val[t], d, nEval)
		} else {
			refF[t] = longF[t]
		}
	}
	x.plots = expPlots{ref: map[string]map[float64][]float64{}, gen: map[string]map[float64][]float64{},
		exact: map[string]map[float64]*weighted{}}
	var encKeys []string
	encOf := map[string]Encoder{}
	for _, m := range x.methods {
		if _, ok := encOf[m.EncKey]; !ok {
			encKeys = append(encKeys, m.EncKey)
			encOf[m.EncKey] = m.Enc
		}
	}
	for _, ek := range encKeys {
		enc := encOf[ek]
		x.plots.ref[ek] = map[float64][]float64{}
		x.plots.exact[ek] = map[float64]*weighted{}
		long := map[float64][]float64{}
		for _, t := range e.Eval {
			z, err := enc.Encode(refF[t])
			if err != nil {
				return err
			}
			x.plots.ref[ek][t] = z
			if err := os.MkdirAll(filepath.Join(x.dir, "latents"), 0o755); err != nil {
				return err
			}
			if err := traj.WriteNPY(filepath.Join(x.dir, "latents", "md_"+ek+"_"+TempTag(t)+".npy"), len(z)/2, 2, z); err != nil {
				return err
			}
			if long[t], err = enc.Encode(longF[t]); err != nil {
				return err
			}
			if r.sys.Exact != nil {
				ex, err := exactLatents(r.sys, enc, t)
				if err != nil {
					return err
				}
				x.plots.exact[ek][t] = ex
			}
		}
		sets := map[float64][]float64{}
		for _, t := range e.Eval {
			sets[t] = long[e.Nearest(t)]
		}
		x.methods = append(x.methods, &Method{
			Name: "MD at nearest training kT (" + ek + " encoder)", Key: "nearest_" + ek, EncKey: ek, Enc: enc,
			Gen: learn.Set{Sets: sets, D: 2}, Baseline: true})
	}
	for _, m := range x.methods {
		x.plots.gen[m.Key] = map[float64][]float64{}
		for _, t := range e.Eval {
			gen, err := m.Gen.Generate(t, nEval, DeriveSeed(r.seed, "gen/"+e.Name+"/"+m.Key, t))
			if err != nil {
				return fmt.Errorf("%s: %s at kT %v: %w", e.Name, m.Name, t, err)
			}
			x.plots.gen[m.Key][t] = gen
			if err := traj.WriteNPY(filepath.Join(x.dir, "latents", m.Key+"_"+TempTag(t)+".npy"), len(gen)/2, 2, gen); err != nil {
				return err
			}
			var ex *weighted
			if r.sys.Exact != nil {
				ex = x.plots.exact[m.EncKey][t]
			}
			met, pr, pg, err := compare(gen, x.plots.ref[m.EncKey][t], ex, m.Enc, &r.sizes)
			if err != nil {
				return fmt.Errorf("%s: %s at kT %v: %w", e.Name, m.Name, t, err)
			}
			x.rows = append(x.rows, Row{Experiment: e.Name, KT: t, Regime: regime(e, t), Method: m.Name,
				MethodKey: m.Key, Encoder: m.EncKey, Baseline: m.Baseline, TempAware: m.TempAware,
				N: nEval, Metrics: met, PopMD: pr, PopGen: pg})
		}
	}
	if r.sys.Exact != nil {
		for _, ek := range encKeys {
			for _, t := range e.Eval {
				x.info[fmt.Sprintf("exact_dropped_weight_%s_%s", ek, TempTag(t))] = x.plots.exact[ek][t].dropped
			}
		}
	}
	r.timed(e.Name+"/evaluate", false, start)
	return nil
}
