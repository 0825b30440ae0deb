package dspib

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/spib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	fitOnce sync.Once
	fitRes  *Result
	fitErr  error
)

// sharedFit is one tiny two-phase fit shared by the model tests.
func sharedFit(t *testing.T) *Result {
	t.Helper()
	fitOnce.Do(func() {
		trajs := tinyThreeHole(t, 3, 1000, 5)
		cfg := tinyConfig()
		cfg.MaxEpochs = 3
		fitRes, fitErr = Fit(context.Background(), trajs, cfg, rand.NewPCG(7, 7))
	})
	require.NoError(t, fitErr, "shared D-SPIB fit")
	return fitRes
}

// originalFrames returns n frames of the fit's data in original units.
func originalFrames(res *Result, n int) []float64 {
	d := res.Data
	x := make([]float64, n*d.D)
	for i := range x {
		j := i % d.D
		x[i] = d.X[i]*d.Std.Std[j] + d.Std.Mean[j]
	}
	return x
}

// TestSaveLoad: a saved and re-loaded model encodes, generates and samples
// its VampPrior bit-identically; a SPIB-only model refuses to generate.
func TestSaveLoad(t *testing.T) {
	res := sharedFit(t)
	dir := filepath.Join(t.TempDir(), "model")
	require.NoError(t, res.Model.Save(dir))
	got, err := Load(dir)
	require.NoError(t, err)
	x := originalFrames(res, 200)
	za, la, err := res.Model.Encode(x, 2)
	require.NoError(t, err)
	zb, lb, err := got.Encode(x, 1)
	require.NoError(t, err)
	sameFloats(t, "z_mean", za, zb)
	sameFloats(t, "logvar", la, lb)
	temps := []float64{1, 1.25, 2}
	ga, err := res.Model.Generate(temps, 100, 3)
	require.NoError(t, err)
	gb, err := got.Generate(temps, 100, 3)
	require.NoError(t, err)
	for k := range temps {
		sameFloats(t, "generated", ga[k], gb[k])
	}
	va, _ := res.Model.SampleVampPrior(500, 4)
	vb, _ := got.SampleVampPrior(500, 4)
	sameFloats(t, "VampPrior samples", va, vb)

	// The phase-1 model has no prior; saving it over the folder removes the
	// stale prior file.
	require.NoError(t, res.Phase1.Save(dir))
	p1, err := Load(dir)
	require.NoError(t, err)
	require.Nil(t, p1.Prior, "SPIB-only model loaded with a prior")
	_, err = p1.Generate(temps, 10, 1)
	require.ErrorIs(t, err, ErrNoPrior, "generate without prior")
	_, err = p1.SampleVampPrior(10, 1)
	require.NoError(t, err)
}

// TestLoadMismatch: parts of different shapes are refused with errors
// naming the files.
func TestLoadMismatch(t *testing.T) {
	rng := newRand(1)
	cfg, _ := spib.Config{}.Validate()
	sm := spib.NewModel(cfg, 2, 3, spib.Standardizer{Mean: []float64{0, 0}, Std: []float64{1, 1}}, rng)
	p, err := diffusion.New(diffusion.Config{Dim: 3, KTRef: 1, Hidden: []int{8, 8}}, rng)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, (&Model{SPIB: sm, Prior: p}).Save(dir))
	_, err = Load(dir)
	wantErr(t, err, "prior.ckpt", "latent dimension 3", "SPIB part 2")
	_, err = Load(t.TempDir())
	wantErr(t, err, "model.json")
}

// TestGenerateDeterministic: the same seed gives bit-identical samples with
// GOMAXPROCS 1, 2 and 3 (fixed chunks with their own PCG streams); another
// seed gives different ones.
func TestGenerateDeterministic(t *testing.T) {
	res := sharedFit(t)
	run := func(procs int, seed uint64) ([][]float64, []float64) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		g, err := res.Model.Generate([]float64{0.8, 1.2}, 300, seed)
		require.NoError(t, err)
		v, err := res.Phase1.SampleVampPrior(3000, seed)
		require.NoError(t, err)
		return g, v
	}
	g1, v1 := run(1, 9)
	g2, v2 := run(2, 9)
	for k := range g1 {
		sameFloats(t, "generated", g1[k], g2[k])
	}
	sameFloats(t, "VampPrior", v1, v2)
	g3w, v3w := run(3, 9)
	for k := range g1 {
		sameFloats(t, "generated, 3 workers", g1[k], g3w[k])
	}
	sameFloats(t, "VampPrior, 3 workers", v1, v3w)
	g3, v3 := run(2, 10)
	assert.False(t, g3[0][0] == g1[0][0] || v3[0] == v1[0], "another seed gave the same first sample")
}

// TestVampPriorMoments: samples of the VampPrior mixture have the mixture's
// mean Σ w_k μ_k and covariance Σ w_k (diag σ_k² + μ_k μ_kᵀ) − mean meanᵀ.
// With n = 2·10⁵ samples the standard error of a mean is √(Var/n) and of a
// covariance entry √((Var_i Var_j + C_ij²)/n) (Gaussian approximation);
// we allow 6 standard errors. Passing σ where σ² is expected (the reference's
// defect) changes the variances by far more (e^{−1} vs e^{−1/2}).
func TestVampPriorMoments(t *testing.T) {
	rng := newRand(2)
	const D, K, d, n = 3, 4, 2, 200000
	cfg, _ := spib.Config{}.Validate()
	sm := spib.NewModel(cfg, D, K, spib.Standardizer{Mean: make([]float64, D), Std: []float64{1, 1, 1}}, rng)
	rep := make([]float64, K*D)
	for i := range rep {
		rep[i] = 3 * rng.NormFloat64()
	}
	require.NoError(t, sm.SetRepresentatives(rep))
	copy(sm.PriorParams()[0].Data, []float64{0.5, -1, 0, 1})
	copy(sm.EncoderParams().Lookup("enc.logvar").Data, []float64{-1, 0.5})
	m := &Model{SPIB: sm}
	w, mu, v := m.VampPrior()
	mean := make([]float64, d)
	cov := make([]float64, d*d)
	for k := range K {
		for i := range d {
			mean[i] += w[k] * mu[k*d+i]
			for j := range d {
				c := mu[k*d+i] * mu[k*d+j]
				if i == j {
					c += v[k*d+i]
				}
				cov[i*d+j] += w[k] * c
			}
		}
	}
	for i := range d {
		for j := range d {
			cov[i*d+j] -= mean[i] * mean[j]
		}
	}
	z, err := m.SampleVampPrior(n, 11)
	require.NoError(t, err)
	sm1 := make([]float64, d)
	for r := range n {
		for i := range d {
			sm1[i] += z[r*d+i] / n
		}
	}
	sc := make([]float64, d*d)
	for r := range n {
		for i := range d {
			for j := range d {
				sc[i*d+j] += (z[r*d+i] - sm1[i]) * (z[r*d+j] - sm1[j]) / n
			}
		}
	}
	for i := range d {
		testutil.InDelta(t, mean[i], sm1[i], 6*math.Sqrt(cov[i*d+i]/n), "mean[%d] against the mixture's (6 SE)", i)
		for j := range d {
			se := math.Sqrt((cov[i*d+i]*cov[j*d+j] + cov[i*d+j]*cov[i*d+j]) / n)
			testutil.InDelta(t, cov[i*d+j], sc[i*d+j], 6*se, "cov[%d][%d] against the mixture's (6 SE)", i, j)
		}
	}
}

// TestBadInput: errors name the problem.
func TestBadInput(t *testing.T) {
	res := sharedFit(t)
	for _, tc := range []struct {
		temps []float64
		n     int
		want  string
	}{
		{[]float64{1, 0}, 10, "temperature 1 is kT = 0"},
		{[]float64{-0.5}, 10, "temperature 0 is kT = -0.5"},
		{[]float64{math.NaN()}, 10, "kT = NaN"},
		{[]float64{math.Inf(1)}, 10, "kT = +Inf"},
		{nil, 10, "no temperatures"},
		{[]float64{1}, 0, "n = 0"},
	} {
		_, err := res.Model.Generate(tc.temps, tc.n, 1)
		wantErr(t, err, tc.want)
	}
	_, err := res.Model.SampleVampPrior(0, 1)
	wantErr(t, err, "n = 0")

	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Lambda: -1}, "Lambda"},
		{Config{Prior: diffusion.Config{Dim: 3}}, "Prior.Dim"},
		{Config{Prior: diffusion.Config{KTRef: -1}}, "Prior.KTRef"},
		{Config{SPIB: spib.Config{Checkpoint: "x.ckpt"}}, "SPIB.Checkpoint"},
		{Config{LRDecay: 2}, "LRDecay"},
		{Config{MaxEpochs: -1}, "MaxEpochs"},
		{Config{LearningRate: math.Inf(1)}, "LearningRate"},
		{Config{SPIB: spib.Config{BatchSize: -1}}, "BatchSize"},
	} {
		_, err := tc.cfg.Validate()
		wantErr(t, err, tc.want)
	}
	trajs := tinyThreeHole(t, 3, 50, 3)
	_, err = Fit(context.Background(), trajs, Config{}, nil)
	wantErr(t, err, "nil *rand.PCG")
	_, err = Fit(context.Background(), trajs, Config{Lambda: math.NaN()}, rand.NewPCG(1, 1))
	wantErr(t, err, "Lambda")
	trajs[1].KT = -1
	_, err = Fit(context.Background(), trajs, Config{}, rand.NewPCG(1, 1))
	wantErr(t, err, "trajectory 1", "KT = -1")
}
