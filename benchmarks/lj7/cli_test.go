package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/md/traj"
	"github.com/dspib/dspib/pipeline"
)

// TestCLIChainMatchesBenchmark is issue 12's acceptance test: the command
// line `dspib simulate` → `dspib train` → `dspib generate` → `dspib
// evaluate` on the -tiny preset's settings gives the same trajectories, the
// same initial labels and the same metrics rows (JSON-equal) as
// `benchmarks/lj7 -tiny` with the same seed, for every method both report
// (SPIB's VampPrior, D-SPIB, the post-hoc prior, the nearest-training-kT
// the noise floor and the reweighting baselines, with their bootstrap intervals)
// at every temperature, test and validation: MD through the run store with the
// benchmark's per-temperature streams (-seed-tag), training through
// pipeline.Train, evaluation through evaluate.Run — one pipeline, not two
// that happen to agree.
func TestCLIChainMatchesBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/dspib and runs the tiny benchmark and the CLI chain (about a minute)")
	}
	dir := t.TempDir()
	bench := filepath.Join(dir, "bench")
	require.NoError(t, run(t.Context(), []string{"-tiny", "-out", bench, "-posthoc"}, os.Stderr))
	sp := spec()
	e, sz := sp.Experiments[0], sp.Presets["tiny"]
	seedDir := filepath.Join(bench, "seed1")

	bin := filepath.Join(dir, "dspib")
	b, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "github.com/dspib/dspib/cmd/dspib").CombinedOutput()
	require.NoError(t, err, "%s", b)
	cli := func(args ...string) {
		t.Helper()
		b, err := exec.Command(bin, args...).CombinedOutput()
		require.NoError(t, err, "dspib %s\n%s", strings.Join(args, " "), b)
	}
	list := func(ts []float64) string {
		s := make([]string, len(ts))
		for i, v := range ts {
			s[i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
		return strings.Join(s, ",")
	}
	seed, burn := "1", strconv.Itoa(sz.BurnIn)
	trainRun, refRun := filepath.Join(dir, "train"), filepath.Join(dir, "ref")
	cli("simulate", "-system", "lj7", "-temps", list(e.Train), "-frames", strconv.Itoa(sz.TrainFrames+sz.BurnIn),
		"-seed", seed, "-seed-tag", "md/train", "-quiet", "-out", trainRun)
	floorRun := filepath.Join(dir, "floor")
	for _, r := range []struct{ tag, dir string }{{"md/ref", refRun}, {"md/floor", floorRun}} {
		cli("simulate", "-system", "lj7", "-temps", list(e.Temperatures()), "-frames", strconv.Itoa(sz.RefFrames+sz.BurnIn),
			"-seed", seed, "-seed-tag", r.tag, "-quiet", "-out", r.dir)
	}
	for _, kT := range e.Train {
		name := "traj_" + traj.TempTag(kT) + ".npy"
		want, err := os.ReadFile(filepath.Join(seedDir, "md", "train", name))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(trainRun, name))
		require.NoError(t, err)
		require.Equal(t, want, got, "%s: trajectories differ", name)
	}

	model := filepath.Join(dir, "model")
	cli("train", "-in", trainRun, "-burn-in", burn, "-out", model, "-name", e.Name, "-seed", seed,
		"-k", strconv.Itoa(sz.KMeansK), "-lag", strconv.Itoa(sz.Lag), "-epochs1", strconv.Itoa(sz.SPIBMaxEpochs),
		"-refinements", strconv.Itoa(sz.SPIBRefinements), "-epochs2", strconv.Itoa(sz.Phase2Epochs),
		"-exponent", fmt.Sprint(sz.Exponent), "-embedding", sz.Embedding.String(), "-posthoc", "-quiet")
	benchModel := filepath.Join(seedDir, e.Name, "model")
	for _, f := range []string{pipeline.InitialLabels, pipeline.ValFrames} {
		want, err := traj.ReadNPYInts(filepath.Join(benchModel, f))
		require.NoError(t, err)
		got, err := traj.ReadNPYInts(filepath.Join(model, f))
		require.NoError(t, err)
		require.Equal(t, want, got, f)
	}

	gen := filepath.Join(dir, "gen")
	cli("generate", "-model", model, "-temps", "0.3", "-n", "100", "-quiet", "-out", gen)
	g, rows, cols, err := traj.ReadNPY(filepath.Join(gen, "generated_"+traj.TempTag(0.3)+".npy"))
	require.NoError(t, err)
	require.Equal(t, []int{100, 2}, []int{rows, cols})
	require.Len(t, g, 200)

	out := filepath.Join(dir, "cli")
	cli("evaluate", "-model", model, "-md", refRun, "-independent", refRun, "-floor", floorRun, "-burn-in", burn, "-validation",
		"-train-temps", list(e.Train), "-temps", list(e.Eval), "-validation-temps", list(e.Validation), "-name", e.Name, "-seed", seed,
		"-bootstrap", strconv.Itoa(sz.Bootstrap),
		"-n", strconv.Itoa(min(sz.EvalN, sz.RefFrames)), "-kl-bins", strconv.Itoa(sz.KLBins),
		"-bandwidth", fmt.Sprint(sz.KDEBandwidth), "-surface-bins", strconv.Itoa(sz.SurfaceBins), "-quiet", "-out", out)
	report, err := os.ReadFile(filepath.Join(out, "report.md"))
	require.NoError(t, err)
	require.Contains(t, string(report), "D-SPIB")

	want, got := rowsByKey(t, filepath.Join(bench, "metrics.json")), rowsByKey(t, filepath.Join(out, "metrics.json"))
	require.Len(t, got, 11*len(e.Temperatures()), "rows: SPIB, D-SPIB, post-hoc, two nearest-kT, two noise-floor and four reweighting baselines at every kT")
	for k, g := range got {
		require.Contains(t, want, k)
		require.JSONEq(t, want[k], g, k)
	}
}

// rowsByKey reads the first seed's metrics rows of a metrics.json, keyed
// by method and kT.
func rowsByKey(t *testing.T, path string) map[string]string {
	t.Helper()
	var r struct {
		PerSeed []struct {
			Rows []json.RawMessage `json:"rows"`
		} `json:"per_seed"`
	}
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
		m[k.Key+"@"+traj.TempTag(k.KT)] = string(raw)
	}
	return m
}
