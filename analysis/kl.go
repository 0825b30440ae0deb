package analysis

import (
	"fmt"
	"math"
)

// Defaults of KLConfig (docs/evaluation.md, as the D-SPIB reference).
const (
	DefaultKLBins = 100
	DefaultKLEps  = 1e-10
)

// KLConfig configures the histogram estimate of the symmetrised
// Kullback–Leibler divergence. The zero value means the defaults of the
// D-SPIB evaluation: 100 × 100 bins and 1e−10 added to every bin
// probability.
type KLConfig struct {
	// Bins is the number of bins per coordinate; 0 means DefaultKLBins.
	Bins int
	// Eps [dimensionless] is added to every bin before renormalising, so
	// that empty bins have a finite logarithm; 0 means DefaultKLEps.
	Eps float64
	// EpsOnDensity adds Eps to the density histogram (numpy density=True,
	// probability per unit area) instead of the bin probabilities. The
	// choice changes the contribution of bins that one sample leaves empty
	// by ln(bin area) per unit of probability; scripts written as
	// np.histogram2d(..., density=True) + 1e-10 correspond to true.
	EpsOnDensity bool
}

// validate returns cfg with defaults filled in, or an error naming the bad
// field.
func (cfg KLConfig) validate() (KLConfig, error) {
	if cfg.Bins < 0 {
		return cfg, fmt.Errorf("analysis: KLConfig.Bins = %d, want ≥ 0 (0 means %d)", cfg.Bins, DefaultKLBins)
	}
	if cfg.Bins == 0 {
		cfg.Bins = DefaultKLBins
	}
	if !(cfg.Eps >= 0) || math.IsInf(cfg.Eps, 0) {
		return cfg, fmt.Errorf("analysis: KLConfig.Eps = %v, want finite ≥ 0 (0 means %g)", cfg.Eps, DefaultKLEps)
	}
	if cfg.Eps == 0 {
		cfg.Eps = DefaultKLEps
	}
	return cfg, nil
}

// SymKL returns the symmetrised Kullback–Leibler divergence
// ½[KL(P‖Q) + KL(Q‖P)] [nats] between the distributions of the 2-D point sets
// a and b (each n × 2, row-major), with optional per-point weights wa, wb
// (nil for unit weights), estimated from 2-D histograms on COMMON edges that
// span both sets (CommonEdges2D; docs/evaluation.md): each histogram is normalised to
// bin probabilities, Eps is added to every bin, and it is renormalised.
//
// With common edges no point is dropped and the value does not depend on the
// order of the arguments (it is bit-for-bit symmetric). Compare
// SymKLReference, the D-SPIB reference's variant.
//
// KL(P‖Q) = Σ_b P_b ln(P_b/Q_b) (Kullback & Leibler, Ann. Math. Stat. 22, 79
// (1951)). Like every plug-in histogram estimate it is biased upwards by
// about (occupied bins − 1)/N for two samples of N points (Miller 1955), and
// the 1e−10 floor makes bins occupied by only one sample contribute
// p·ln(p/1e−10); compare values only at equal sample sizes and bins.
func SymKL(a, wa, b, wb []float64, cfg KLConfig) (float64, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return 0, err
	}
	xe, ye, err := edges2D(cfg.Bins, a, b)
	if err != nil {
		return 0, err
	}
	return symKLOnEdges(a, wa, b, wb, xe, ye, cfg)
}

// SymKLReference is SymKL with the D-SPIB reference implementation's
// binning: the edges span the FIRST point set a only (numpy.histogram2d's
// default range), and points of b outside them are dropped. Its value
// depends on the order of the arguments; it is provided so that results can
// be compared with the reference's published numbers.
func SymKLReference(a, wa, b, wb []float64, cfg KLConfig) (float64, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return 0, err
	}
	if len(b)%2 != 0 {
		return 0, fmt.Errorf("analysis: SymKLReference: len(b) = %d is odd, want n×2", len(b))
	}
	xe, ye, err := edges2D(cfg.Bins, a)
	if err != nil {
		return 0, err
	}
	return symKLOnEdges(a, wa, b, wb, xe, ye, cfg)
}

func symKLOnEdges(a, wa, b, wb, xe, ye []float64, cfg KLConfig) (float64, error) {
	nb := (len(xe) - 1) * (len(ye) - 1)
	p := make([]float64, nb)
	q := make([]float64, nb)
	if _, err := Histogram2D(p, a, wa, xe, ye); err != nil {
		return 0, fmt.Errorf("analysis: first point set: %w", err)
	}
	if _, err := Histogram2D(q, b, wb, xe, ye); err != nil {
		return 0, fmt.Errorf("analysis: second point set: %w", err)
	}
	for _, h := range [][]float64{p, q} {
		var err error
		if cfg.EpsOnDensity {
			err = Density2D(h, h, xe, ye)
		} else {
			err = normalise(h)
		}
		if err != nil {
			return 0, err
		}
	}
	return SymKLHist(p, q, cfg.Eps)
}

// normalise scales h to sum 1.
func normalise(h []float64) error {
	total, err := sumCounts(h)
	if err != nil {
		return err
	}
	for i := range h {
		h[i] /= total
	}
	return nil
}

// SymKLHist returns ½[KL(P‖Q) + KL(Q‖P)] = ½ Σ_b (P_b − Q_b)(ln P_b − ln Q_b)
// [nats] for two histograms p, q on the same bins (any non-negative scale:
// counts, probabilities or densities). eps ≥ 0 is added to every bin of both
// before each is renormalised to sum 1 (docs/evaluation.md). p and q are not modified.
// The result is bit-for-bit symmetric in p and q.
func SymKLHist(p, q []float64, eps float64) (float64, error) {
	if len(p) != len(q) {
		return 0, fmt.Errorf("analysis: SymKLHist: len(p) = %d, len(q) = %d, want equal", len(p), len(q))
	}
	if !(eps >= 0) || math.IsInf(eps, 0) {
		return 0, fmt.Errorf("analysis: SymKLHist: eps = %v, want finite ≥ 0", eps)
	}
	sp, err := sumCounts(p)
	if err != nil {
		return 0, fmt.Errorf("analysis: SymKLHist: p: %w", err)
	}
	sq, err := sumCounts(q)
	if err != nil {
		return 0, fmt.Errorf("analysis: SymKLHist: q: %w", err)
	}
	n := float64(len(p))
	sp += eps * n
	sq += eps * n
	var s float64
	for i := range p {
		pi := (p[i] + eps) / sp
		qi := (q[i] + eps) / sq
		if pi == qi {
			continue
		}
		if pi == 0 || qi == 0 {
			return math.Inf(1), nil
		}
		s += (pi - qi) * (math.Log(pi) - math.Log(qi))
	}
	return 0.5 * s, nil
}
