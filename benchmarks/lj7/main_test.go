package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dspib/dspib/benchmarks/internal/experiment/experimenttest"
)

// TestTinyEndToEnd runs the whole program at the -tiny size with two seeds in
// a temporary folder and checks that every output exists, every metric is
// finite and the summary holds one value per seed.
func TestTinyEndToEnd(t *testing.T) {
	dir := t.TempDir()
	experimenttest.Run(t, run, "-tiny", "-out", dir, "-repeat", "2")
	m := experimenttest.CheckFolder(t, dir, experimenttest.Methods,
		[]string{"sym_kl_md", "fe_rmse_z1", "fe_rmse_z2", "pop_tv", "outside"},
		map[string][]float64{"temps": {0.2, 0.3, 0.4, 0.5, 0.6}})
	if len(m.PerSeed) != 2 {
		t.Fatalf("%d seeds in metrics.json, want 2", len(m.PerSeed))
	}
	for _, s := range m.Summary {
		if len(s.Values) != 2 {
			t.Errorf("summary %s %s kT %v %s: %d values, want one per seed", s.Experiment, s.MethodKey, s.KT, s.Metric, len(s.Values))
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "report.md")); err != nil || !strings.Contains(string(b), " ± ") {
		t.Errorf("report.md has no mean ± sd (err %v)", err)
	}
}
