package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/md/traj"
)

// TestPipelineLJ7 is the command-line pipeline a user runs on a tiny LJ7
// run: simulate → train → generate → evaluate → encode. The report and
// metrics exist, every metric is finite, the methods and the baseline have
// a row at every temperature, and the batch size of generate does not
// change its output.
func TestPipelineLJ7(t *testing.T) {
	dir := t.TempDir()
	sim, ref := filepath.Join(dir, "sim"), filepath.Join(dir, "ref")
	mustRun(t, "simulate", "-system", "lj7", "-temps", "0.2,0.5", "-frames", "1200", "-stride", "20", "-seed", "2", "-quiet", "-out", sim)
	mustRun(t, "simulate", "-system", "lj7", "-temps", "0.2,0.3,0.5", "-frames", "1200", "-stride", "20", "-seed", "3", "-quiet", "-out", ref)
	model := filepath.Join(dir, "model")
	mustRun(t, "train", "-in", sim, "-out", model, "-k", "5", "-lag", "2", "-epochs1", "4", "-epochs2", "3", "-tol2", "1e-2",
		"-patience2", "1", "-refinements", "1", "-batch", "64", "-lr", "5e-3", "-replicas", "4", "-quiet", "-seed", "3")

	gen1, gen2 := filepath.Join(dir, "gen1"), filepath.Join(dir, "gen2")
	mustRun(t, "generate", "-model", model, "-temps", "0.3", "-n", "300", "-seed", "5", "-quiet", "-out", gen1)
	mustRun(t, "generate", "-model", model, "-temps", "0.5,0.3", "-n", "300", "-seed", "5", "-batch", "64", "-quiet", "-out", gen2)
	require.Equal(t, readFile(t, filepath.Join(gen1, "generated_kT0.300.npy")), readFile(t, filepath.Join(gen2, "generated_kT0.300.npy")),
		"kT 0.3 alone with the default batch vs with kT 0.5 in batches of 64")

	out := filepath.Join(dir, "eval")
	mustRun(t, "evaluate", "-model", model, "-md", ref, "-n", "400", "-seed", "7", "-quiet", "-out", out)
	report := string(readFile(t, filepath.Join(out, "report.md")))
	for _, want := range []string{"## Settings", "## Experiment `eval`", "interpolated", "D-SPIB", "SPIB (VampPrior)", "MD at nearest training kT",
		"MD reweighted (nearest kT, dspib encoder)", "MD reweighted (MBAR, all training kT, spib encoder)", "Reweighting baselines: the independent MD",
		"noise floor", "95 % bootstrap intervals", "vs noise floor", "best on symKL vs MD"} {
		assert.Contains(t, report, want)
	}
	var m struct {
		PerSeed []struct {
			Rows []struct {
				KT        float64            `json:"kT"`
				MethodKey string             `json:"method_key"`
				Metrics   map[string]float64 `json:"metrics"`
			} `json:"rows"`
		} `json:"per_seed"`
	}
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(out, "metrics.json")), &m))
	require.Len(t, m.PerSeed, 1)
	seen := map[string]int{}
	for _, r := range m.PerSeed[0].Rows {
		seen[r.MethodKey]++
		for _, k := range []string{"sym_kl_md", "fe_rmse_z1", "fe_rmse_z2", "outside", "pop_tv"} {
			v, ok := r.Metrics[k]
			assert.True(t, ok && !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0, "%s kT %v %s = %v", r.MethodKey, r.KT, k, v)
		}
		if strings.HasPrefix(r.MethodKey, "rw_") {
			assert.Greater(t, r.Metrics["ess"], 1.0, "%s kT %v", r.MethodKey, r.KT)
		}
	}
	assert.Equal(t, map[string]int{"spib": 3, "dspib": 3, "nearest_spib": 3, "nearest_dspib": 3, "floor_spib": 3, "floor_dspib": 3,
		"rw_nearest_spib": 3, "rw_mbar_spib": 3, "rw_nearest_dspib": 3, "rw_mbar_dspib": 3}, seen)
	_, err := os.Stat(filepath.Join(out, "figures", "eval_surfaces_dspib.png"))
	require.NoError(t, err)
	// The same command gives the same metrics.
	out2 := filepath.Join(dir, "eval2")
	mustRun(t, "evaluate", "-model", model, "-md", ref, "-n", "400", "-seed", "7", "-quiet", "-out", out2)
	var a, b map[string]any
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(out, "metrics.json")), &a))
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(out2, "metrics.json")), &b))
	assert.Equal(t, a["summary"], b["summary"])
	// The user's own .npy features with their temperatures give the same
	// metrics as the run folder they come from; without energies the
	// reweighting baselines are left out, with a note.
	out3 := filepath.Join(dir, "eval3")
	files := filepath.Join(ref, "features_kT0.200.npy") + "," + filepath.Join(ref, "features_kT0.300.npy") + "," + filepath.Join(ref, "features_kT0.500.npy")
	mustRun(t, "evaluate", "-model", model, "-md", files, "-md-temps", "0.2,0.3,0.5", "-n", "400", "-seed", "7", "-quiet", "-out", out3)
	var c map[string]any
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(out3, "metrics.json")), &c))
	var noRW []any
	for _, s := range a["summary"].([]any) {
		if !strings.HasPrefix(s.(map[string]any)["method_key"].(string), "rw_") {
			noRW = append(noRW, s)
		}
	}
	assert.Equal(t, noRW, c["summary"])
	assert.Contains(t, string(readFile(t, filepath.Join(out3, "report.md"))), "Reweighting baselines omitted")

	// -denoise-from adds one diagnostic row per step; from step 0 the
	// prior barely moves the independent MD's latents (noise 0.01·σ_T), so
	// at a training kT that row is the nearest-kT MD (the same frames) up to
	// a few points changing bins.
	out4 := filepath.Join(dir, "eval4")
	mustRun(t, "evaluate", "-model", model, "-md", ref, "-n", "400", "-seed", "7", "-denoise-from", "0,60", "-bootstrap", "20", "-quiet", "-out", out4)
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(out4, "metrics.json")), &m))
	rows := map[string]map[float64]float64{}
	for _, r := range m.PerSeed[0].Rows {
		if rows[r.MethodKey] == nil {
			rows[r.MethodKey] = map[float64]float64{}
		}
		rows[r.MethodKey][r.KT] = r.Metrics["sym_kl_md"]
	}
	require.Len(t, rows["denoise0"], 3)
	require.Len(t, rows["denoise60"], 3)
	for _, kT := range []float64{0.2, 0.5} {
		assert.InEpsilon(t, rows["nearest_dspib"][kT], rows["denoise0"][kT], 0.1, "kT %v: denoised from step 0 against the same frames undenoised", kT)
	}
	assert.Contains(t, string(readFile(t, filepath.Join(out4, "report.md"))), "D-SPIB from MD noised to step 60 (diagnostic)")
	for _, bad := range [][]string{{"-denoise-from", "100"}, {"-denoise-from", "x"}, {"-denoise-from", "5", "-exact-n", "100"}} {
		r := runCLI(t.Context(), append([]string{"evaluate", "-model", model, "-md", ref, "-quiet", "-out", filepath.Join(dir, "bad")}, bad...)...)
		assert.Equal(t, 2, r.code, "%v: %s", bad, r.stderr)
		assert.Contains(t, r.stderr, bad[0], "%v", bad)
	}

	// encode: a user's own features (.npy) and a whole run folder give the
	// same latents for the same frames.
	feat := filepath.Join(ref, "features_kT0.300.npy")
	enc1, enc2 := filepath.Join(dir, "enc1"), filepath.Join(dir, "enc2")
	mustRun(t, "encode", "-model", model, "-in", feat, "-quiet", "-out", enc1)
	mustRun(t, "encode", "-model", model, "-in", ref, "-quiet", "-out", enc2)
	z := readNPY(t, filepath.Join(enc1, "latents.npy"), 1200, 2)
	s, err := traj.ReadNPYInts(filepath.Join(enc1, "states.npy"))
	require.NoError(t, err)
	require.Len(t, s, 1200)
	require.True(t, bytes.Equal(readFile(t, filepath.Join(enc1, "latents.npy")), readFile(t, filepath.Join(enc2, "latents_kT0.300.npy"))))
	require.NotEqual(t, z[0], z[2*1199])
}

// evaluate and encode refuse missing flags and data they cannot use, naming
// the problem.
func TestEvaluateEncodeBadInput(t *testing.T) {
	ctx := t.Context()
	for _, args := range [][]string{
		{"evaluate", "-md", "x", "-out", "y"},
		{"evaluate", "-model", "x", "-out", "y"},
		{"evaluate", "-model", "x", "-md", "y", "-out", "z", "-n", "1"},
		{"encode", "-in", "x.npy", "-out", "y"},
		{"train", "-features", "a.npy", "-temps", "1", "-out", "m", "-labels", "l.npy", "-label-cols", "0"},
	} {
		r := runCLI(ctx, args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
	}
	r := runCLI(ctx, "evaluate", "-model", filepath.Join(t.TempDir(), "none"), "-md", "x", "-out", t.TempDir())
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "none")
}

// train takes the user's own initial labels (-labels) or separate k-means
// coordinates (-label-features): labels that put every frame in one of two
// states by x below or above its median give a two-state model without
// k-means, and
// k-means on a file equal to the -label-cols column gives the same model as
// -label-cols itself.
func TestTrainLabelFiles(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim")
	mustRun(t, "simulate", "-system", "threehole", "-temps", "1", "-frames", "1500", "-stride", "50", "-seed", "4", "-quiet", "-out", sim)
	f := filepath.Join(sim, "traj_kT1.000.npy")
	x := readNPY(t, f, 1500, 2)
	labels := make([]int, 1500)
	col0 := make([]float64, 1500)
	for i := range col0 {
		col0[i] = x[2*i]
	}
	med := slices.Clone(col0)
	slices.Sort(med)
	for i, v := range col0 {
		if v > med[750] {
			labels[i] = 1
		}
	}
	lf, kf := filepath.Join(dir, "labels.npy"), filepath.Join(dir, "km.npy")
	require.NoError(t, traj.WriteNPYInts(lf, labels))
	require.NoError(t, traj.WriteNPY(kf, 1500, 1, col0))
	spibArgs := []string{"-features", f, "-temps", "1", "-phase", "spib", "-refinements", "-1", "-k", "5", "-lag", "2",
		"-epochs1", "20", "-lr", "1e-2", "-batch", "64", "-quiet", "-seed", "3"}
	m1 := filepath.Join(dir, "m1")
	mustRun(t, append([]string{"train", "-labels", lf, "-out", m1}, spibArgs...)...)
	var sum struct {
		States    int    `json:"states"`
		LabelCols string `json:"label_columns"`
	}
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(m1, "summary.json")), &sum))
	assert.Equal(t, 2, sum.States)
	assert.Contains(t, sum.LabelCols, "user labels")
	m2, m3 := filepath.Join(dir, "m2"), filepath.Join(dir, "m3")
	mustRun(t, append([]string{"train", "-label-features", kf, "-out", m2}, spibArgs...)...)
	mustRun(t, append([]string{"train", "-label-cols", "0", "-out", m3}, spibArgs...)...)
	assert.Equal(t, readFile(t, filepath.Join(m3, "latents.npy")), readFile(t, filepath.Join(m2, "latents.npy")))
	r := runCLI(t.Context(), append([]string{"train", "-labels", lf + "," + lf, "-out", filepath.Join(dir, "m4")}, spibArgs...)...)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "2 files for 1 inputs")
}

// On a three-hole run folder, evaluate also compares every method with the
// exact Boltzmann density on the catalogue's quadrature box (sym_kl_exact),
// which an LJ7 folder (no box) does not get; -exact-n adds the large-sample
// comparison (sym_kl_exact_n) and -scan-temps the overlap scan at
// temperatures without MD, in the report and in metrics.json. Both are
// refused without an exact density or without -exact-n.
func TestEvaluateThreeHoleExact(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model")
	}
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim")
	mustRun(t, "simulate", "-system", "threehole", "-temps", "0.8,1.2", "-frames", "1500", "-seed", "2", "-quiet", "-out", sim)
	model := filepath.Join(dir, "model")
	mustRun(t, "train", "-in", sim, "-out", model, "-k", "5", "-lag", "2", "-epochs1", "4", "-epochs2", "2",
		"-refinements", "-1", "-batch", "64", "-lr", "5e-3", "-replicas", "4", "-quiet", "-seed", "3")
	out := filepath.Join(dir, "eval")
	mustRun(t, "evaluate", "-model", model, "-md", sim, "-burn-in", "100", "-n", "300", "-exact-n", "1000",
		"-scan-temps", "0.5,2", "-seed", "7", "-quiet", "-out", out)
	var m struct {
		PerSeed []struct {
			Rows []struct {
				MethodKey string             `json:"method_key"`
				Metrics   map[string]float64 `json:"metrics"`
			} `json:"rows"`
			Scan []struct {
				KT        float64 `json:"kT"`
				MethodKey string  `json:"method_key"`
				SymKL     float64 `json:"sym_kl_exact_n"`
				ESS       float64 `json:"ess"`
			} `json:"overlap_scan"`
		} `json:"per_seed"`
	}
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(out, "metrics.json")), &m))
	n := 0
	for _, r := range m.PerSeed[0].Rows {
		if r.MethodKey != "spib" && r.MethodKey != "dspib" {
			continue
		}
		for _, k := range []string{"sym_kl_exact", "sym_kl_exact_n"} {
			v, ok := r.Metrics[k]
			assert.True(t, ok && v >= 0 && !math.IsInf(v, 0), "%s: %s = %v (present %v)", r.MethodKey, k, v, ok)
		}
		n++
	}
	assert.Equal(t, 4, n, "a SPIB and a D-SPIB row at each kT")
	scan := map[string]int{}
	for _, r := range m.PerSeed[0].Scan {
		scan[r.MethodKey]++
		assert.True(t, r.SymKL >= 0 && !math.IsInf(r.SymKL, 0), "%s kT %v: %v", r.MethodKey, r.KT, r.SymKL)
		if strings.HasPrefix(r.MethodKey, "rw_") {
			assert.True(t, r.ESS > 0 && r.ESS <= 1, "%s kT %v: ESS %v", r.MethodKey, r.KT, r.ESS)
		}
	}
	assert.Equal(t, map[string]int{"dspib": 2, "nearest_dspib": 2, "rw_nearest_dspib": 2, "rw_mbar_dspib": 2}, scan,
		"the scan judges the temperature-aware generator in its own latent space")
	report := string(readFile(t, filepath.Join(out, "report.md")))
	for _, want := range []string{"symKL vs exact", "Overlap scan", "D-SPIB below MD reweighted (nearest kT, dspib encoder)"} {
		assert.Contains(t, report, want)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-md", sim, "-scan-temps", "2"}, 2, "-scan-temps: needs -exact-n"},
		{[]string{"-md", sim, "-exact-n", "-5"}, 2, "-exact-n: must be ≥ 0"},
		{[]string{"-md", filepath.Join(sim, "traj_kT0.800.npy"), "-md-temps", "0.8", "-train-temps", "0.8", "-exact-n", "100"}, 1, "not of a system with an exact density"},
	} {
		r := runCLI(t.Context(), append([]string{"evaluate", "-model", model, "-out", filepath.Join(dir, "bad")}, c.args...)...)
		assert.Equal(t, c.code, r.code, "%v: %s", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want, "%v", c.args)
	}
}
