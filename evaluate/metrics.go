package evaluate

import (
	"fmt"
	"math"
	"slices"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/learn"
	"github.com/dspib/dspib/potentials"
)

// MetricNames lists the metrics of a Row in table order, with their meaning.
var MetricNames = []struct{ Key, Header, Doc string }{
	{"sym_kl_md", "symKL vs MD", "symmetrised KL [nats] between predicted and encoded-MD latents, 2-D histograms on common edges (docs/evaluation.md)"},
	{"sym_kl_md_refvariant", "symKL (ref. variant)", "the same with the D-SPIB reference's binning: edges from the encoded MD only, predicted points outside dropped"},
	{"sym_kl_exact", "symKL vs exact", "symmetrised KL to the exact Boltzmann density pushed through the encoder (three-hole only)"},
	{"sym_kl_exact_n", "symKL vs exact, large N", "the same from Comparison.ExactN latents (≥ 10⁵ generated, independent of n; MD baselines thinned from their long runs), on ExactBins(N) bins per axis: without MD noise on the reference side"},
	{"fe_rmse_z1", "F RMSE z1 [kT]", "RMSE of the 1-D free energy along z1 over F_MD < 3 kT (KDE bandwidth in the settings), optimal constant shift"},
	{"fe_rmse_z2", "F RMSE z2 [kT]", "the same along z2"},
	{"outside", "outside MD box", "fraction of predicted latents outside the bounding box of the encoded MD (a same-distribution sample of equal size leaves about 4/n outside). Far outliers stretch the common edges of symKL vs MD and make its bins coarser, which LOWERS it: read symKL vs MD together with this column and the reference variant"},
	{"pop_tv", "pop. TV", "total-variation distance ½Σ|p_gen − p_MD| between state populations (states: argmax of the decoder)"},
	{"ess", "ESS", "Kish effective sample size (Σw)²/Σw² of a weighted prediction (Boltzmann-reweighted MD; higher is better, unlike the other columns): the metrics of a weighted prediction use the weights, and an ESS far below the number of frames means its histogram rests on few frames"},
}

// Config sets the resolution of the comparison. The zero value of a field
// means its default (docs/evaluation.md).
type Config struct {
	// KLBins is the number of histogram bins per axis of the KL (100).
	KLBins int
	// KDEBandwidth is the bandwidth of the 1-D free-energy KDEs, in latent
	// units (0.1).
	KDEBandwidth float64
	// FECap [kT]: the profile RMSE runs over grid points with F_MD below it
	// (analysis.DefaultFreeEnergyCap, 3).
	FECap float64
	// SurfaceBins is the number of bins per axis of the surface figures (60).
	SurfaceBins int
	// Bootstrap is the number of bootstrap replicates of the 95 % intervals
	// (DefaultBootstrap, 200; negative: no intervals).
	Bootstrap int
}

// withDefaults returns c with zero fields set to their defaults, or an
// error naming a negative or non-finite field.
func (c Config) withDefaults() (Config, error) {
	if c.KLBins == 0 {
		c.KLBins = 100
	}
	if c.KDEBandwidth == 0 {
		c.KDEBandwidth = 0.1
	}
	if c.FECap == 0 {
		c.FECap = analysis.DefaultFreeEnergyCap
	}
	if c.SurfaceBins == 0 {
		c.SurfaceBins = 60
	}
	if c.Bootstrap == 0 {
		c.Bootstrap = DefaultBootstrap
	}
	switch {
	case c.KLBins < 1:
		return c, fmt.Errorf("evaluate: Config.KLBins = %d, want ≥ 1", c.KLBins)
	case c.SurfaceBins < 1:
		return c, fmt.Errorf("evaluate: Config.SurfaceBins = %d, want ≥ 1", c.SurfaceBins)
	case !(c.KDEBandwidth > 0) || math.IsInf(c.KDEBandwidth, 0):
		return c, fmt.Errorf("evaluate: Config.KDEBandwidth = %v, want finite > 0", c.KDEBandwidth)
	case !(c.FECap > 0) || math.IsInf(c.FECap, 0):
		return c, fmt.Errorf("evaluate: Config.FECap = %v, want finite > 0", c.FECap)
	}
	return c, nil
}

// Weighted is a weighted latent point set: the exact Boltzmann reference,
// or Boltzmann-reweighted MD.
type Weighted struct {
	Z, W []float64
	// Dropped is the quadrature weight left out (far tails, see ExactCut).
	Dropped float64
	// Segments, for reweighted MD, are the numbers of rows of each MD run in
	// Z, in order (nil: one run): the bootstrap resamples blocks within each.
	Segments []int
}

// Box is a rectangle [X0,X1]×[Y0,Y1] [σ] with NX×NY midpoint cells: the
// quadrature grid of the exact density of a one-particle 2-D system.
type Box struct {
	X0, X1, Y0, Y1 float64
	NX, NY         int
}

// ExactCut is the free-energy cut [kT] above which quadrature cells are left
// out of the exact reference: their total weight is reported (Dropped) and
// is ~1e−5, and keeping them would stretch the common histogram edges over
// empty space.
const ExactCut = 12.0

// Exact pushes the Boltzmann density exp(−U/kT) of one particle in 2-D,
// integrated by the midpoint rule on box (analysis.BoltzmannGrid), through
// features (positions → model features, n×2 → n×D) and the encoder: the
// latent reference without sampling noise (docs/evaluation.md, three-hole).
func Exact(pot potentials.Potential, box Box, kT float64, features func(pos []float64, n int) ([]float64, error), enc learn.Encoder) (*Weighted, error) {
	pts, w, err := analysis.BoltzmannGrid(pot, kT, box.X0, box.X1, box.Y0, box.Y1, box.NX, box.NY)
	if err != nil {
		return nil, err
	}
	wmax := slices.Max(w)
	var kp, kw []float64
	dropped := 0.0
	for i, wi := range w {
		if wi > wmax*math.Exp(-ExactCut) {
			kp = append(kp, pts[2*i], pts[2*i+1])
			kw = append(kw, wi)
		} else {
			dropped += wi
		}
	}
	feat, err := features(kp, len(kw))
	if err != nil {
		return nil, err
	}
	z, err := enc.Encode(feat)
	if err != nil {
		return nil, err
	}
	return &Weighted{Z: z, W: kw, Dropped: dropped}, nil
}

// dropLight returns the 2-D points z whose weight exceeds e^{−ExactCut} of
// the largest, their weights, and the total weight left out. Reweighted MD
// carries frames of negligible weight (the kT-0.5 frames of an MBAR
// prediction at kT 0.2): they would stretch the common histogram edges of
// the KL over space the prediction does not populate, coarsening its bins
// and lowering its KL for no merit.
func dropLight(z, w []float64) (zk, wk []float64, dropped float64) {
	cut := slices.Max(w) * math.Exp(-ExactCut)
	for i, v := range w {
		if v > cut {
			zk = append(zk, z[2*i], z[2*i+1])
			wk = append(wk, v)
		} else {
			dropped += v
		}
	}
	return zk, wk, dropped
}

// profileGrid is the number of points of the 1-D free-energy grids.
const profileGrid = 200

// profileFloor [kT]: the predicted density is floored at e^{−profileFloor}
// of the reference's peak before the logarithm.
const profileFloor = 20

// Profile returns the 1-D free energies [kT] along latent coordinate k of the
// reference and the prediction (2-D point sets, the prediction weighted by
// genW unless nil) on a grid spanning the reference ± 3 bandwidths, from
// Gaussian KDEs with bandwidth h (docs/evaluation.md).
// The predicted density is floored at e^{−20} of the reference's peak before
// the logarithm, so a prediction that misses a region gets a large but finite
// free energy there (20 kT above the reference minimum at most).
func Profile(ref, gen, genW []float64, k int, h float64) (grid, fRef, fGen []float64, err error) {
	col := func(x []float64) []float64 {
		c := make([]float64, len(x)/2)
		for i := range c {
			c[i] = x[2*i+k]
		}
		return c
	}
	rc, gc := col(ref), col(gen)
	if len(rc) == 0 || len(gc) == 0 {
		return nil, nil, nil, fmt.Errorf("evaluate: Profile: %d reference and %d predicted points, want ≥ 1 each", len(rc), len(gc))
	}
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
	if err := analysis.KDE1D(pg, grid, gc, genW, h); err != nil {
		return nil, nil, nil, err
	}
	fRef, fGen, err = freeEnergies(pr, pg)
	return grid, fRef, fGen, err
}

// freeEnergies returns the free energies [kT] of the reference and the
// predicted densities pr, pg on one grid, pg floored at e^{−profileFloor}
// of pr's peak first (pg is modified).
func freeEnergies(pr, pg []float64) (fRef, fGen []float64, err error) {
	floor := slices.Max(pr) * math.Exp(-profileFloor)
	for i := range pg {
		pg[i] = math.Max(pg[i], floor)
	}
	fRef = make([]float64, len(pr))
	fGen = make([]float64, len(pg))
	if err := analysis.FreeEnergy(fRef, pr, analysis.EmptyPolicy{}); err != nil {
		return nil, nil, err
	}
	if err := analysis.FreeEnergy(fGen, pg, analysis.EmptyPolicy{}); err != nil {
		return nil, nil, err
	}
	return fRef, fGen, nil
}

// Outside returns the fraction of the 2-D points gen (weighted by genW
// unless nil) outside the bounding box of the 2-D points ref.
func Outside(gen, genW, ref []float64) float64 {
	rb := emptyBox()
	rb.add(ref, nil)
	out, tot := 0.0, 0.0
	for i := 0; i+1 < len(gen); i += 2 {
		w := 1.0
		if genW != nil {
			w = genW[i/2]
		}
		tot += w
		if rb.outside(gen[i], gen[i+1]) {
			out += w
		}
	}
	return out / tot
}

// StatePopulations returns the populations of the K states enc assigns to
// the latents z (argmax of the decoder), weighted by w unless nil.
func StatePopulations(enc learn.Encoder, z, w []float64) ([]float64, error) {
	labels, err := enc.Classify(z)
	if err != nil {
		return nil, err
	}
	p := make([]float64, enc.NumStates())
	if err := analysis.Populations(p, labels, w); err != nil {
		return nil, err
	}
	return p, nil
}

// TV returns the total-variation distance ½Σ|p_k − q_k|.
func TV(p, q []float64) float64 {
	tv := 0.0
	for k := range p {
		tv += 0.5 * math.Abs(p[k]-q[k])
	}
	return tv
}

// Compare computes the metrics (MetricNames) of a prediction gen, weighted
// by genW unless nil (reweighted MD; its ESS is reported, and points
// lighter than e^{−ExactCut} of the heaviest are left out, as in the exact
// reference, their total weight reported as "dropped_weight"), against the
// encoded MD reference ref (both 2-D latents of enc), and against the exact
// reference ex if not nil. It also returns the state populations of ref and
// gen under enc.
func Compare(gen, genW, ref []float64, ex *Weighted, enc learn.Encoder, cfg Config) (m map[string]float64, popRef, popGen []float64, err error) {
	if cfg, err = cfg.withDefaults(); err != nil {
		return nil, nil, nil, err
	}
	kl := analysis.KLConfig{Bins: cfg.KLBins}
	m = map[string]float64{}
	if genW != nil {
		if len(genW) != len(gen)/2 {
			return nil, nil, nil, fmt.Errorf("evaluate: Compare: %d weights for %d predicted points", len(genW), len(gen)/2)
		}
		m["ess"] = analysis.KishESS(genW)
		gen, genW, m["dropped_weight"] = dropLight(gen, genW)
	}
	if m["sym_kl_md"], err = analysis.SymKL(gen, genW, ref, nil, kl); err != nil {
		return nil, nil, nil, err
	}
	// The reference's binning drops predicted points outside the MD range;
	// if it drops all of them the value is undefined and left out (shown as
	// "–"), rather than reported as a number.
	if v, err := analysis.SymKLReference(ref, nil, gen, genW, kl); err == nil {
		m["sym_kl_md_refvariant"] = v
	}
	if ex != nil {
		if m["sym_kl_exact"], err = analysis.SymKL(gen, genW, ex.Z, ex.W, kl); err != nil {
			return nil, nil, nil, err
		}
	}
	m["outside"] = Outside(gen, genW, ref)
	for k := range 2 {
		_, fr, fg, err := Profile(ref, gen, genW, k, cfg.KDEBandwidth)
		if err != nil {
			return nil, nil, nil, err
		}
		rmse, _, err := analysis.FreeEnergyRMSE(fg, fr, cfg.FECap)
		if err != nil {
			return nil, nil, nil, err
		}
		m[fmt.Sprintf("fe_rmse_z%d", k+1)] = rmse
	}
	if popRef, err = StatePopulations(enc, ref, nil); err != nil {
		return nil, nil, nil, err
	}
	if popGen, err = StatePopulations(enc, gen, genW); err != nil {
		return nil, nil, nil, err
	}
	m["pop_tv"] = TV(popGen, popRef)
	return m, popRef, popGen, nil
}
