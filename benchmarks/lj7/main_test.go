package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dspib/dspib/benchmarks/internal/experiment/experimenttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTinyEndToEnd runs the whole program at the -tiny size with two seeds in
// a temporary folder and checks that every output exists, every metric is
// finite and the summary holds one value per seed (CheckFolder).
func TestTinyEndToEnd(t *testing.T) {
	dir := t.TempDir()
	experimenttest.Run(t, run, "-tiny", "-out", dir, "-repeat", "2", "-posthoc")
	m := experimenttest.CheckFolder(t, dir, append(slices.Clone(experimenttest.Methods), experimenttest.PostHoc),
		[]string{"sym_kl_md", "fe_rmse_z1", "fe_rmse_z2", "pop_tv", "outside"},
		map[string][]float64{"temps": {0.2, 0.3, 0.35, 0.4, 0.5, 0.55, 0.6, 0.7, 0.85, 1}})
	require.Len(t, m.PerSeed, 2, "seeds in metrics.json")
	b, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if assert.NoError(t, err, "report.md") {
		for _, want := range []string{" ± ", "### Validation temperatures", "### Test temperatures", "vs noise floor", "best on symKL vs MD", "beats", "indist."} {
			assert.Contains(t, string(b), want, "report.md")
		}
	}
}
