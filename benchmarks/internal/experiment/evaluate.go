package experiment

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/dspib/dspib/evaluate"
	"github.com/dspib/dspib/pipeline"
)

// Row is the evaluation of one method at one temperature (package evaluate).
type Row = evaluate.Row

// evalConfig is the comparison's resolution from the preset.
func evalConfig(s *Sizes) evaluate.Config {
	return evaluate.Config{KLBins: s.KLBins, KDEBandwidth: s.KDEBandwidth, SurfaceBins: s.SurfaceBins, Bootstrap: s.Bootstrap}
}

// evaluate compares every method of x at every evaluated temperature with
// the encoded MD: the validation frames at a training temperature, the long
// independent run elsewhere; the long runs are the nearest-temperature
// baseline (package evaluate), and with their potential energies the
// Boltzmann-reweighting baselines (nearest training kT, MBAR); the second
// independent long runs are the noise floor at every kT.
func (r *seedRun) evaluate(x *expRun) error {
	start := time.Now()
	e := x.e
	val, err := pipeline.Validation(modelDir(x), e.Train)
	if err != nil {
		return fmt.Errorf("%s: %w", e.Name, err)
	}
	ref := map[float64][]float64{}
	for _, t := range e.Temperatures() {
		ref[t] = r.refFeat[t]
		if e.IsTrain(t) {
			ref[t] = val[t]
		}
	}
	n := min(r.sizes.EvalN, r.sizes.RefFrames)
	energies, missing := pipeline.EnergiesAt(r.refRun, e.Train)
	if energies == nil {
		fmt.Fprintf(r.log, "[seed %d] %s: no energies of the MD at kT %v: no reweighting baselines\n", r.seed, e.Name, missing)
	}
	res, err := evaluate.Run(&evaluate.Comparison{
		Design: *e, Methods: x.methods, Ref: ref, Independent: r.refFeat, Floor: r.floorFeat, Energies: energies,
		Exact: pipeline.Exact(r.sys), ExactN: r.sizes.ExactN, N: n, Seed: r.seed,
		LatentsDir: filepath.Join(x.dir, "latents"), Config: evalConfig(&r.sizes),
	})
	if err != nil {
		return fmt.Errorf("%s: %w", e.Name, err)
	}
	x.res, x.nEval, x.rows = res, res.N, res.Rows
	for k, v := range res.Info {
		x.info[k] = v
	}
	r.timed(e.Name+"/evaluate", false, start)
	return nil
}
