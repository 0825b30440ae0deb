package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/dspib/dspib/benchmarks/internal/experiment/experimenttest"
)

// TestTinyEndToEnd runs the whole program at the -tiny size in a temporary
// folder and checks that every output exists and every metric is finite.
func TestTinyEndToEnd(t *testing.T) {
	dir := t.TempDir()
	var log bytes.Buffer
	if err := run(context.Background(), []string{"-tiny", "-out", dir}, &log); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	experimenttest.CheckFolder(t, dir,
		[]string{"spib", "dspib", "posthoc", "nearest_spib", "nearest_dspib"},
		[]string{"sym_kl_md", "fe_rmse_z1", "fe_rmse_z2", "pop_tv"},
		map[string][]float64{"temps": {0.2, 0.3, 0.4, 0.5, 0.6}})
}
