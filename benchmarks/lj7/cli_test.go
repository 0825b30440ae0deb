package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/benchmarks/internal/experiment"
	"github.com/dspib/dspib/md/runstore"
	"github.com/dspib/dspib/md/traj"
)

// TestCLIEvaluateMatchesBenchmark runs the -tiny benchmark, then hands its
// models and MD features to 'dspib evaluate' (built from cmd/dspib) and
// checks that the command line reports the same metrics, bit for bit, for
// every method both evaluate (SPIB's VampPrior, D-SPIB and the
// nearest-training-kT baselines) at every temperature: the benchmark and the
// CLI evaluate through one pipeline (package evaluate), not two that happen
// to agree. (MD and training are still the benchmark's own; see the
// closing note of the branch.)
func TestCLIEvaluateMatchesBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs cmd/dspib")
	}
	dir := t.TempDir()
	bench := filepath.Join(dir, "bench")
	if err := run(t.Context(), []string{"-tiny", "-out", bench}, os.Stderr); err != nil {
		t.Fatal(err)
	}
	sp := spec()
	e, sizes := sp.Experiments[0], sp.Presets["tiny"]
	seedDir := filepath.Join(bench, "seed1")
	// features reads kT's model features from one of the benchmark's run
	// folders (md/train, md/ref) after the burn-in the benchmark drops.
	features := func(kind string, kT float64) []float64 {
		run, err := runstore.Open(filepath.Join(seedDir, "md", kind))
		require.NoError(t, err)
		f, _, cols, err := run.Features(kT)
		require.NoError(t, err)
		return f[sizes.BurnIn*cols:]
	}
	const d = 7
	// Training frames in e.Train order, and the validation frames per kT.
	var all, temp []float64
	for _, kT := range e.Train {
		f := features("train", kT)
		all = append(all, f...)
		for range len(f) / d {
			temp = append(temp, kT)
		}
	}
	val, err := traj.ReadNPYInts(filepath.Join(seedDir, e.Name, "split_val_frames.npy"))
	require.NoError(t, err)
	valF := map[float64][]float64{}
	for _, i := range val {
		valF[temp[i]] = append(valF[temp[i]], all[i*d:(i+1)*d]...)
	}
	// -md: validation frames at a training kT, the long run elsewhere
	// (the benchmark's reference); -independent: the long runs.
	var mdFiles, indFiles, temps []string
	for _, kT := range e.Eval {
		long := features("ref", kT)
		ref := long
		if slices.Contains(e.Train, kT) {
			ref = valF[kT]
		}
		mf, inf := filepath.Join(dir, "md_"+experiment.TempTag(kT)+".npy"), filepath.Join(dir, "ind_"+experiment.TempTag(kT)+".npy")
		require.NoError(t, traj.WriteNPY(mf, len(ref)/d, d, ref))
		require.NoError(t, traj.WriteNPY(inf, len(long)/d, d, long))
		mdFiles, indFiles, temps = append(mdFiles, mf), append(indFiles, inf), append(temps, strconv.FormatFloat(kT, 'g', -1, 64))
	}
	// The model folder as 'dspib train' lays it out: D-SPIB, phase1/ SPIB.
	model := filepath.Join(dir, "model")
	copyDir(t, filepath.Join(seedDir, e.Name, "dspib_model"), model)
	copyDir(t, filepath.Join(seedDir, e.Name, "spib_model"), filepath.Join(model, "phase1"))

	out := filepath.Join(dir, "cli")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "run", "github.com/dspib/dspib/cmd/dspib", "evaluate",
		"-model", model, "-md", strings.Join(mdFiles, ","), "-md-temps", strings.Join(temps, ","),
		"-independent", strings.Join(indFiles, ","), "-independent-temps", strings.Join(temps, ","),
		"-train-temps", "0.2,0.5", "-name", e.Name, "-seed", "1", "-n", "250", "-quiet", "-out", out)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)

	type rows struct {
		PerSeed []struct {
			Rows []json.RawMessage `json:"rows"`
		} `json:"per_seed"`
	}
	byKey := func(path string) map[string]string {
		var r rows
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &r))
		m := map[string]string{}
		for _, raw := range r.PerSeed[0].Rows {
			var k struct {
				Key string  `json:"method_key"`
				KT  float64 `json:"kT"`
			}
			require.NoError(t, json.Unmarshal(raw, &k))
			m[k.Key+"@"+experiment.TempTag(k.KT)] = string(raw)
		}
		return m
	}
	want, got := byKey(filepath.Join(bench, "metrics.json")), byKey(filepath.Join(out, "metrics.json"))
	n := 0
	for k, g := range got {
		require.Contains(t, want, k)
		require.JSONEq(t, want[k], g, k)
		n++
	}
	require.Equal(t, 4*len(e.Eval), n, "rows compared")
}

// copyDir copies the regular files of src into dst (created).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dst, 0o755))
	ents, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644))
	}
}
