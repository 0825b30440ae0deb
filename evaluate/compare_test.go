package evaluate

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/analysis/plots"
	"github.com/dspib/dspib/learn"
)

// comparison builds a synthetic comparison: "MD" at kT is N((kT, 0), I)
// (reference and an independent run), trained at kT 1 and 2, evaluated at
// 1, 1.5, 2 and 3; "good" generates N((kT, 0), I) (it has learned how the
// distribution moves with kT), "frozen" N((1.5, 0), I) at every kT.
func comparison(t *testing.T, n int) *Comparison {
	rng := rand.New(rand.NewPCG(1, 2))
	c := &Comparison{
		Design: Design{Name: "toy", Title: "toy", Train: []float64{1, 2}, Eval: []float64{1, 1.5, 2, 3}},
		Methods: []*Method{
			{Name: "good", Key: "good", EncKey: "id", Enc: twoStates{}, Gen: shiftGen{1}, TempAware: true},
			{Name: "frozen", Key: "frozen", EncKey: "id", Enc: twoStates{}, Gen: shiftGen{0}},
		},
		Ref: map[float64][]float64{}, Independent: map[float64][]float64{}, N: n, Seed: 3,
		Config: Config{Bootstrap: 20}, // intervals are tested in bootstrap_test.go
	}
	for _, kT := range c.Design.Eval {
		c.Ref[kT] = gauss2(rng, 2*n, kT, 0, 1) // thinned to n by Run
		c.Independent[kT] = gauss2(rng, n, kT, 0, 1)
	}
	c.Methods[1].Gen = frozenGen{}
	return c
}

type frozenGen struct{}

func (frozenGen) Generate(_ float64, n int, seed uint64) ([]float64, error) {
	return gauss2(rand.New(rand.NewPCG(seed, 9)), n, 1.5, 0, 1), nil
}

// Run compares every method and the nearest-temperature baseline at every
// temperature: the baseline at a trained kT is the noise floor, the good
// generator sits on it everywhere, and the baseline is far off at the
// extrapolated kT 3 (nearest trained: 2, a shift of 1).
func TestRun(t *testing.T) {
	const n = 5000
	c := comparison(t, n)
	c.LatentsDir = t.TempDir()
	res, err := Run(c)
	require.NoError(t, err)
	require.Equal(t, n, res.N)
	require.Len(t, res.Methods, 3)
	require.Equal(t, "nearest_id", res.Methods[2].Key)
	require.Len(t, res.Rows, 3*4)
	get := func(key string, kT float64) map[string]float64 {
		for _, r := range res.Rows {
			if r.MethodKey == key && r.KT == kT {
				assert.Equal(t, n, r.N)
				assert.Equal(t, c.Design.Regime(kT), r.Regime)
				return r.Metrics
			}
		}
		t.Fatalf("no row %s kT %v", key, kT)
		return nil
	}
	floor := get("nearest_id", 1)["sym_kl_md"]
	// Two samples of one distribution: the plug-in floor; a shift of 1
	// (true symKL 0.5) is far above it.
	assert.Greater(t, get("nearest_id", 3)["sym_kl_md"], floor+0.3)
	for _, kT := range c.Design.Eval {
		assert.Less(t, get("good", kT)["sym_kl_md"], floor*1.5, "good at kT %v", kT)
	}
	assert.Greater(t, get("frozen", 3)["sym_kl_md"], floor+0.5)
	// Latents are written; generation is deterministic for the seed.
	_, err = os.Stat(filepath.Join(c.LatentsDir, "good_kT1.500.npy"))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(c.LatentsDir, "md_id_kT3.000.npy"))
	require.NoError(t, err)
	again, err := Run(comparison(t, n))
	require.NoError(t, err)
	require.Equal(t, res.Rows, again.Rows)

	// Errors name the problem.
	bad := comparison(t, n)
	delete(bad.Independent, 2)
	_, err = Run(bad)
	require.ErrorContains(t, err, "no independent MD frames at the training kT 2")
	bad = comparison(t, n)
	delete(bad.Ref, 1.5)
	_, err = Run(bad)
	require.ErrorContains(t, err, "no reference frames at kT 1.5")
	bad = comparison(t, n)
	bad.Ref[3] = bad.Ref[3][:7]
	_, err = Run(bad)
	require.ErrorContains(t, err, "not rows of the encoders' 2 features")
}

// WriteFigures and WriteResults produce the files the report links, and
// metrics.json carries every row of every seed.
func TestWriteResults(t *testing.T) {
	c := comparison(t, 2000)
	c.Config = Config{SurfaceBins: 15, Bootstrap: 20}
	res, err := Run(c)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "figures"), 0o755))
	files, err := WriteFigures(filepath.Join(dir, "figures"), res)
	require.NoError(t, err)
	// surfaces and 2 profiles per generative method, populations per kT.
	require.Len(t, files, 2*3+4)
	rep := &Report{Title: "toy report", Intro: "Intro.\n\n", Settings: [][2]string{{"a", "b"}},
		Designs: []Design{c.Design}, Notes: map[string][]string{"toy": {"a note"}},
		Seeds: []*SeedResult{{Seed: 3, Rows: res.Rows, NEval: map[string]int{"toy": res.N}, Figures: files}},
		JSON:  map[string]any{"system": "toy"}}
	require.NoError(t, WriteResults(dir, rep))
	b, err := os.ReadFile(filepath.Join(dir, "report.md"))
	require.NoError(t, err)
	md := string(b)
	for _, want := range []string{"# toy report", "## Settings", "## Experiment `toy`", "- a note", "### What the numbers mean",
		"(figures/toy_surfaces_good.png)", "symKL vs MD", "extrapolated"} {
		assert.Contains(t, md, want)
	}
	assert.NotContains(t, md, "symKL vs exact")
	for _, f := range files {
		fi, err := os.Stat(filepath.Join(dir, "figures", f))
		require.NoError(t, err)
		assert.Greater(t, fi.Size(), int64(1000), f)
	}
	var m struct {
		System  string    `json:"system"`
		Summary []Summary `json:"summary"`
		PerSeed []struct {
			Rows []Row `json:"rows"`
		} `json:"per_seed"`
	}
	b, err = os.ReadFile(filepath.Join(dir, "metrics.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, "toy", m.System)
	require.Len(t, m.PerSeed, 1)
	assert.Len(t, m.PerSeed[0].Rows, len(res.Rows))
	assert.True(t, strings.HasPrefix(m.Summary[0].Experiment, "toy"))
}

var _ learn.Generator = frozenGen{}

// The report's reading of a comparison without a SPIB method or a floor
// run names the floor from the baseline that is there (the independent run
// at the trained kT), not a missing one as 0.
func TestVerdictWithoutSPIB(t *testing.T) {
	c := comparison(t, 2000)
	c.Config.Bootstrap = 50
	res, err := Run(c)
	require.NoError(t, err)
	seeds := []*SeedResult{{Seed: 3, Rows: res.Rows}}
	by := index(Summarise(seeds))
	v := verdict(&res.Design, methodsOf(seeds[0], "toy"), by, seeds, res.Design.Eval, false)
	floor := by[sumKey{"toy", 1, "nearest_id", "sym_kl_md"}].Mean
	assert.Contains(t, v, "the noise floor "+plots.FormatFloat(floor, 3))
	assert.NotContains(t, v, "VampPrior")
	// With a method keyed "spib" (SPIB's VampPrior) the trained-kT line
	// judges the generator against it: "frozen" N((1.5, 0), I) is 0.5 off
	// at kT 1 and 2 (true symKL 0.125), which n = 2000 resolves.
	c.Methods[1].Key = "spib"
	res, err = Run(c)
	require.NoError(t, err)
	seeds = []*SeedResult{{Seed: 3, Rows: res.Rows}}
	v = verdict(&res.Design, methodsOf(seeds[0], "toy"), index(Summarise(seeds)), seeds, res.Design.Eval, false)
	assert.Contains(t, v, "Against SPIB's VampPrior (")
}

// boltzmannComparison is a comparison whose MD is exact Boltzmann sampling
// of U = ½|x|² (x ~ N(0, kT I)), with the energies of the independent runs,
// so reweighting is exact up to sampling noise; "good" generates the exact
// distribution.
func boltzmannComparison(n int) *Comparison {
	rng := rand.New(rand.NewPCG(4, 5))
	c := &Comparison{
		Design:  Design{Name: "harm", Train: []float64{1, 2}, Eval: []float64{1, 1.5, 2, 3}},
		Methods: []*Method{{Name: "good", Key: "good", EncKey: "id", Enc: twoStates{}, Gen: widthGen{}, TempAware: true}},
		Ref:     map[float64][]float64{}, Independent: map[float64][]float64{}, Energies: map[float64][]float64{}, N: n, Seed: 3,
		Config: Config{KLBins: 20, Bootstrap: 20}, // 100² bins would leave the KL noise-dominated at this n
	}
	for _, kT := range c.Design.Eval {
		s := math.Sqrt(kT)
		c.Ref[kT] = gauss2(rng, n, 0, 0, s)
		x := gauss2(rng, 2*n, 0, 0, s) // thinned to n by Run, energies alike
		c.Independent[kT] = x
		u := make([]float64, 2*n)
		for i := range u {
			u[i] = 0.5 * (x[2*i]*x[2*i] + x[2*i+1]*x[2*i+1])
		}
		c.Energies[kT] = u
	}
	return c
}

// widthGen generates the exact N(0, kT I).
type widthGen struct{}

func (widthGen) Generate(kT float64, n int, seed uint64) ([]float64, error) {
	return gauss2(rand.New(rand.NewPCG(seed, 1)), n, 0, 0, math.Sqrt(kT)), nil
}

// With energies, Run adds the reweighting baselines: at a training kT the
// nearest-kT reweighting keeps every frame (ESS = n); MBAR has n/2 frames of
// each run, so its ESS is at most n and, between the two, more than half. Away from the training kT both move the distribution
// to the right width: at kT 1.5 their symKL beats the plain nearest-kT MD
// (width √2 vs √1.5); at the extrapolated kT 3 their ESS drops below n and
// their free-energy profiles beat it (width √2 vs √3, 0.44 vs 0.19 kT
// measured), while at this n their symKL does not: the tails of kT 3 that
// the kT-2 frames never visit cost the same ε-penalty either way, and the
// up-weighted rare frames make the tails noisier (they win at 5× the n). The
// reweighted predictions' weights are written beside their latents.
func TestRunReweighted(t *testing.T) {
	const n = 4000
	c := boltzmannComparison(n)
	c.LatentsDir = t.TempDir()
	res, err := Run(c)
	require.NoError(t, err)
	require.Len(t, res.Methods, 4)
	assert.Equal(t, "rw_nearest_id", res.Methods[2].Key)
	assert.Equal(t, "rw_mbar_id", res.Methods[3].Key)
	get := func(key string, kT float64) map[string]float64 {
		for _, r := range res.Rows {
			if r.MethodKey == key && r.KT == kT {
				return r.Metrics
			}
		}
		t.Fatalf("no row %s kT %v", key, kT)
		return nil
	}
	assert.InDelta(t, n, get("rw_nearest_id", 1)["ess"], 1e-6)
	assert.LessOrEqual(t, get("rw_mbar_id", 1.5)["ess"], float64(n)+1e-6)
	assert.Greater(t, get("rw_mbar_id", 1.5)["ess"], float64(n)/2)
	assert.NotContains(t, get("good", 1.5), "ess")
	for _, key := range []string{"rw_nearest_id", "rw_mbar_id"} {
		m := get(key, 3)
		assert.Less(t, m["ess"], float64(n), key)
		assert.Less(t, m["fe_rmse_z1"], get("nearest_id", 3)["fe_rmse_z1"]-0.1, key)
		assert.Less(t, get(key, 1.5)["sym_kl_md"], get("nearest_id", 1.5)["sym_kl_md"]-0.1, key)
	}
	// MBAR's f_2 − f_1 = −ln(Z_2/Z_1) = −ln 2 for a 2-D harmonic well.
	assert.InDelta(t, -math.Ln2, res.Info["mbar_f_id_kT2.000"], 0.05)
	_, err = os.Stat(filepath.Join(c.LatentsDir, "rw_mbar_id_kT3.000_weights.npy"))
	require.NoError(t, err)

	bad := boltzmannComparison(100)
	bad.Energies[2] = bad.Energies[2][:7]
	_, err = Run(bad)
	require.ErrorContains(t, err, "7 energies for 200 MD frames at kT 2")
	bad = boltzmannComparison(100)
	delete(bad.Energies, 1)
	_, err = Run(bad)
	require.ErrorContains(t, err, "no energies of the MD at the training kT 1")
	bad = boltzmannComparison(100)
	bad.Energies[1][2] = math.NaN() // a frame kept by the thinning to n
	_, err = Run(bad)
	require.ErrorContains(t, err, "energy of frame")
}

// The report's reading names the reweighting baselines at held-out kT, in
// words and in the paired-difference and winners tables.
func TestVerdictReweighted(t *testing.T) {
	c := boltzmannComparison(1000)
	c.Config.Bootstrap = 50
	res, err := Run(c)
	require.NoError(t, err)
	seeds := []*SeedResult{{Seed: 3, Rows: res.Rows}}
	by := index(Summarise(seeds))
	v := verdict(&res.Design, methodsOf(seeds[0], "harm"), by, seeds, res.Design.Eval, false)
	for _, want := range []string{"good against MBAR at the held-out temperatures", "good against reweighted (nearest kT)",
		"vs MBAR", "best on symKL vs MD", "ESS MBAR"} {
		assert.Contains(t, v, want)
	}
}

// TestFmtSummarySeedCount checks that a summary resting on fewer seeds than
// the report has (a metric undefined in some seed) says so.
func TestFmtSummarySeedCount(t *testing.T) {
	s := &Summary{Values: []float64{1, 3}, Mean: 2, SD: math.Sqrt2}
	assert.NotContains(t, fmtSummary(s, 2), "seeds")
	assert.Contains(t, fmtSummary(s, 3), "(2 of 3 seeds)")
	assert.Equal(t, "–", fmtSummary(nil, 3))
}
