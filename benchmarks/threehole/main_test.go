package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dspib/dspib/benchmarks/internal/experiment/experimenttest"
	"github.com/stretchr/testify/assert"
)

// TestTinyEndToEnd runs the whole program at the -tiny size in a temporary
// folder, checks that every output exists and every metric is finite, then
// runs it again and checks that the trajectories and models are reused and
// the metrics reproduced exactly (same seeds, same data); the second run
// also writes a CPU profile (-cpuprofile).
func TestTinyEndToEnd(t *testing.T) {
	dir := t.TempDir()
	experimenttest.Run(t, run, "-tiny", "-out", dir, "-seed", "3")
	methods := experimenttest.Methods
	required := []string{"sym_kl_md", "sym_kl_exact", "fe_rmse_z1", "fe_rmse_z2", "pop_tv", "outside"}
	temps := map[string][]float64{"single": {1}, "multi": {0.5, 0.6, 0.8, 0.9, 1, 1.2, 1.3, 1.4, 1.8}}
	m1 := experimenttest.CheckFolder(t, dir, methods, required, temps)
	for _, r := range m1.PerSeed[0].Rows {
		assert.NotEqual(t, experimenttest.PostHoc, r.MethodKey, "%s kT %v: a post-hoc row without -posthoc", r.Experiment, r.KT)
	}
	// The large-N comparison with the exact density (ExactN 2000 at tiny;
	// the long runs hold 2500 frames) for the generators and the MD.
	for _, r := range m1.PerSeed[0].Rows {
		if slices.Contains([]string{"dspib", "spib", "nearest_dspib", "floor_dspib"}, r.MethodKey) {
			_, ok := r.Metrics["sym_kl_exact_n"]
			assert.True(t, ok, "%s %s kT %v: no sym_kl_exact_n", r.Experiment, r.MethodKey, r.KT)
		}
	}

	// The overlap scan of multi: D-SPIB and the three baselines in its
	// latent space at every scan kT, finite, with the reweightings' ESS in
	// (0, 1]; the report has its section.
	scan := map[string]int{}
	for _, r := range m1.PerSeed[0].Scan {
		assert.Equal(t, "multi", r.Experiment)
		scan[r.MethodKey]++
		assert.True(t, r.SymKL >= 0 && !math.IsInf(r.SymKL, 0), "scan %s kT %v: symKL %v", r.MethodKey, r.KT, r.SymKL)
		if strings.HasPrefix(r.MethodKey, "rw_") {
			assert.True(t, r.ESS > 0 && r.ESS <= 1, "scan %s kT %v: ESS %v", r.MethodKey, r.KT, r.ESS)
		}
	}
	nScan := len(spec().Experiments[1].Scan)
	assert.Equal(t, map[string]int{"dspib": nScan, "nearest_dspib": nScan, "rw_nearest_dspib": nScan, "rw_mbar_dspib": nScan}, scan)
	rep, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if assert.NoError(t, err) {
		assert.Contains(t, string(rep), "### Overlap scan: where reweighting the training MD wins and where it loses")
	}

	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	log := experimenttest.Run(t, run, "-tiny", "-out", dir, "-seed", "3", "-cpuprofile", prof)
	if fi, err := os.Stat(prof); assert.NoError(t, err, "-cpuprofile") {
		assert.Positive(t, fi.Size(), "-cpuprofile wrote an empty file")
	}
	for _, want := range []string{"threehole train all 3 temperatures already complete in " + dir + "/seed3/md/train", "reuse: single: trained models in " + dir + "/seed3/single/model", "reuse: multi: trained models"} {
		assert.Contains(t, log, want, "second run did not report it")
	}
	m2 := experimenttest.CheckFolder(t, dir, methods, required, temps)
	for i, r := range m1.PerSeed[0].Rows {
		for k, v := range r.Metrics {
			assert.True(t, m2.PerSeed[0].Rows[i].Metrics[k] == v, "%s %s kT %v %s: %v after reuse, %v before", r.Experiment, r.MethodKey, r.KT, k, m2.PerSeed[0].Rows[i].Metrics[k], v)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-quick", "-paper"}, {"-repeat", "0"}, {"-out", ""}, {"extra"}, {"-embedding", "random"}, {"-a", "-1"}} {
		var log bytes.Buffer
		assert.Error(t, run(context.Background(), args, &log), "%v", args)
	}
}
