package evaluate

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/internal/stream"
	"github.com/dspib/dspib/learn"
)

// ScanRow is one prediction at one temperature of the overlap scan
// (Design.Scan): its symmetrised KL divergence from the exact density in its
// encoder's latent space, from ExactN latents or frames on ExactBins(ExactN)
// bins per axis, and for a reweighted prediction the Kish effective sample
// size of its weights. It rests on one comparison (no bootstrap): the spread
// over seeds is its uncertainty.
type ScanRow struct {
	Experiment string  `json:"experiment"`
	KT         float64 `json:"kT"`
	Regime     string  `json:"regime"`
	Method     string  `json:"method"`
	MethodKey  string  `json:"method_key"`
	Encoder    string  `json:"encoder"`
	Baseline   bool    `json:"baseline"`
	// N is the number of latents (generated) or MD frames (baselines).
	N     int     `json:"n"`
	SymKL float64 `json:"sym_kl_exact_n"`
	// ESS is the Kish effective sample size of a reweighted prediction as a
	// fraction of N (0 for the others).
	ESS float64 `json:"ess,omitempty"`
	// Dropped is the quadrature weight left out of the exact density.
	Dropped float64 `json:"exact_dropped_weight"`
}

// Scan keys of the baselines (with the encoder's key appended).
const (
	scanNearest   = "nearest_"
	scanRWNearest = "rw_nearest_"
	scanMBAR      = "rw_mbar_"
)

// scan evaluates every temperature of Design.Scan against the exact density
// alone (no MD there), in the latent space of every encoder that has a
// temperature-aware generator: those generators with ExactN latents,
// the MD at the nearest training kT thinned to ExactN frames, and with
// Comparison.Energies the same frames Boltzmann-reweighted to the target kT
// and the MD of all training kT (ExactN/K frames each) combined by MBAR.
// This measures, rather than asserts, the temperature range in which
// reweighting the training MD beats a generator and where it stops doing so
// (Shirts & Chodera, J. Chem. Phys. 129, 124105 (2008); Kish's effective
// sample size).
func scan(c *Comparison, res *Result, d int) error {
	e := &res.Design
	nx := c.ExactN
	bins := ExactBins(nx)
	kl := func(z, w []float64, ex *Weighted) (float64, error) {
		return analysis.SymKL(z, w, ex.Z, ex.W, analysis.KLConfig{Bins: bins})
	}
	// Energies and MBAR do not depend on the encoder: thin and solve once.
	var rw *rwSet
	if c.Energies != nil {
		var err error
		if rw, err = newRWSet(c, e, d, nx); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
	}
	var encKeys []string
	encOf := map[string]learn.Encoder{}
	for _, mt := range res.Methods {
		if mt.Baseline || !mt.TempAware {
			continue // the baselines of an encoder without such a generator judge nothing
		}
		if _, ok := encOf[mt.EncKey]; !ok {
			encKeys = append(encKeys, mt.EncKey)
			encOf[mt.EncKey] = mt.Enc
		}
	}
	for _, ek := range encKeys {
		enc := encOf[ek]
		z := map[float64][]float64{} // encoded MD at each training kT, ExactN rows
		var allZ []float64
		for _, t := range e.Train {
			var err error
			if z[t], err = enc.Encode(learn.Thin(c.Independent[t], d, nx)); err != nil {
				return err
			}
			if rw != nil {
				allZ = append(allZ, learn.Thin(z[t], 2, rw.m)...)
			}
		}
		for _, t := range e.Scan {
			ex, err := c.Exact(enc, t)
			if err != nil {
				return err
			}
			nt := e.Nearest(t)
			row := func(name, key string, baseline bool, zs, w []float64) error {
				v, err := kl(zs, w, ex)
				if err != nil {
					return fmt.Errorf("evaluate: %s: scan: %s at kT %v: %w", e.Name, name, t, err)
				}
				r := ScanRow{Experiment: e.Name, KT: t, Regime: e.Regime(t), Method: name, MethodKey: key,
					Encoder: ek, Baseline: baseline, N: len(zs) / 2, SymKL: v, Dropped: ex.Dropped}
				if w != nil {
					r.ESS = analysis.KishESS(w) / float64(len(w))
				}
				res.Scan = append(res.Scan, r)
				return nil
			}
			for _, mt := range res.Methods {
				if mt.EncKey != ek || mt.Baseline || !mt.TempAware {
					continue
				}
				g, err := mt.Gen.Generate(t, nx, stream.Seed(c.Seed, "gen-scan/"+e.Name+"/"+mt.Key, t))
				if err != nil {
					return fmt.Errorf("evaluate: %s: scan: %s at kT %v: %w", e.Name, mt.Name, t, err)
				}
				if err := row(mt.Name, mt.Key, false, g, nil); err != nil {
					return err
				}
			}
			if err := row("MD at nearest training kT ("+ek+" encoder)", scanNearest+ek, true, z[nt], nil); err != nil {
				return err
			}
			if rw == nil {
				continue
			}
			w, wa, err := rw.weights(e, t)
			if err != nil {
				return fmt.Errorf("scan: %w", err)
			}
			if err := row("MD reweighted (nearest kT, "+ek+" encoder)", scanRWNearest+ek, true, z[nt], w); err != nil {
				return err
			}
			if err := row("MD reweighted (MBAR, all training kT, "+ek+" encoder)", scanMBAR+ek, true, allZ, wa); err != nil {
				return err
			}
		}
	}
	slices.SortStableFunc(res.Scan, func(a, b ScanRow) int { return cmp.Compare(a.KT, b.KT) })
	return nil
}
