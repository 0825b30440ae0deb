package spib

import (
	"bytes"
	"errors"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/monitor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSameSeedSameModel trains twice with one seed, once serially
// (GOMAXPROCS = 1, one worker) and once with GOMAXPROCS = 2 and two
// workers, and requires bit-identical parameters, latents and losses; a
// third run with another seed must differ.
func TestSameSeedSameModel(t *testing.T) {
	run := func(procs, workers int, seed uint64) *Result {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		cfg := smallConfig
		cfg.Workers = workers
		res, err := Train(smallThreeHole(t, 5, 3000, 6), cfg, newRand(seed))
		require.NoError(t, err)
		return res
	}
	a, b, c := run(1, 1, 1), run(2, 2, 1), run(2, 2, 2)
	pa, pb := a.Model.Params(), b.Model.Params()
	require.Len(t, pb, len(pa), "parameters")
	for i := range pa {
		assert.True(t, pa[i].Name == pb[i].Name && slices.Equal(pa[i].Data, pb[i].Data), "parameter %s differs between GOMAXPROCS 1 and 2", pa[i].Name)
	}
	assert.True(t, slices.Equal(a.ZMean, b.ZMean) && slices.Equal(a.ZSample, b.ZSample) && slices.Equal(a.Labels, b.Labels),
		"latents or labels differ between GOMAXPROCS 1 and 2")
	for i := range a.History {
		assert.True(t, a.History[i].TrainLoss == b.History[i].TrainLoss && a.History[i].TestLoss == b.History[i].TestLoss, "epoch %d: losses differ", i)
	}
	assert.False(t, slices.Equal(a.ZMean, c.ZMean), "another seed gave the same latents")
}

func TestSaveLoadEncodesIdentically(t *testing.T) {
	for _, cfg := range []Config{smallConfig, {Lag: 2, MaxEpochs: 3, Refinements: -1, BatchSize: 64, LearningRate: 5e-3, Encoder: Linear, LogVar: PerSampleLogVar}} {
		trajs := smallThreeHole(t, 3, 2000, 4)
		res, err := Train(trajs, cfg, newRand(4))
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "spib.ckpt")
		require.NoError(t, res.Model.Save(path))
		m2, err := Load(path)
		require.NoError(t, err)
		var x []float64
		for _, f := range trajs[0].Features {
			x = append(x, f...)
		}
		z1, lv1, _ := res.Model.Encode(x, 1)
		z2, lv2, err := m2.Encode(x, 2)
		require.NoError(t, err)
		assert.True(t, slices.Equal(z1, z2) && slices.Equal(lv1, lv2), "%s/%s: save → load → encode is not bit-identical", cfg.Encoder, cfg.LogVar)
		// Encode of the original frames reproduces the training result.
		assert.True(t, slices.Equal(z1, res.ZMean), "%s: Encode(original frames) != Result.ZMean", cfg.Encoder)
		l1, p1, _ := res.Model.Predict(x, 1)
		l2, p2, _ := m2.Predict(x, 1)
		assert.True(t, slices.Equal(l1, l2) && slices.Equal(p1, p2) && slices.Equal(m2.RepInputs, res.Model.RepInputs), "%s: loaded model predicts differently", cfg.Encoder)
		if cfg.LogVar == PerSampleLogVar {
			// The head is −10·sigmoid(·) ∈ (−10, 0).
			for i, v := range lv1 {
				require.True(t, v > -10 && v < 0, "per-sample logvar[%d] = %v outside (−10, 0)", i, v)
			}
		}
	}
	// Bad files: missing sidecar, unknown key.
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "none"))
	wantErr(t, err, "none.json")
}

func TestLoadRejectsBadSidecar(t *testing.T) {
	res, err := Train(smallThreeHole(t, 3, 1000, 3), Config{Lag: 2, MaxEpochs: 1, Refinements: -1}, newRand(1))
	if !errors.Is(err, ErrTooFewStates) {
		require.NoError(t, err)
	}
	path := filepath.Join(t.TempDir(), "m")
	require.NoError(t, res.Model.Save(path))
	b, _ := readFile(path + ".json")
	require.NoError(t, writeFile(path+".json", bytes.Replace(b, []byte(`"states"`), []byte(`"colour": 1, "states"`), 1)))
	_, err = Load(path)
	wantErr(t, err, "colour")
}

// TestLinearWeightsOriginalUnits: for the Linear encoder, W x + b with the
// returned (original-unit) coefficients equals z_mean up to rounding
// (relative 1e−12: a few operations in float64).
func TestLinearWeightsOriginalUnits(t *testing.T) {
	trajs := smallThreeHole(t, 8, 2000, 4)
	for i := range trajs[0].Features { // make the units matter: scale x, shift y
		trajs[0].Features[i][0] *= 7
		trajs[0].Features[i][1] += 3
	}
	res, err := Train(trajs, Config{Lag: 2, MaxEpochs: 3, Refinements: -1, BatchSize: 64, LearningRate: 5e-3, Encoder: Linear}, newRand(2))
	require.NoError(t, err)
	W, b, err := res.Model.LinearWeights()
	require.NoError(t, err)
	d, D := 2, 2
	for f, row := range trajs[0].Features {
		for k := range d {
			z := b[k]
			for j := range D {
				z += W[k*D+j] * row[j]
			}
			want := res.ZMean[f*d+k]
			require.True(t, testutil.InDelta(t, want, z, 1e-12*(1+math.Abs(want)), "frame %d z%d: W x + b against z_mean", f, k))
		}
	}
	// Representatives come back in original units: one of the frames.
	rep := res.Model.Representatives()
	for k := 0; k < res.Model.K; k++ {
		found := false
		for _, row := range trajs[0].Features {
			if math.Abs(row[0]-rep[2*k]) < 1e-9 && math.Abs(row[1]-rep[2*k+1]) < 1e-9 {
				found = true
				break
			}
		}
		assert.True(t, found, "representative %d %v is not an input frame", k, rep[2*k:2*k+2])
	}
	cfgNL, _ := Config{}.Validate()
	_, _, err = NewModel(cfgNL, 2, 3, res.Model.Std, newRand(1)).LinearWeights()
	wantErr(t, err, "Linear encoder")
}

// TestLossMatchesDirect recomputes the SPIB loss of one batch without the
// tape, from the tape-free encoder/decoder and the formulas of docs/method.md §2,
// and compares (relative 1e−10: same maths, different summation order).
func TestLossMatchesDirect(t *testing.T) {
	for _, lvKind := range []LogVarKind{SharedLogVar, PerSampleLogVar} {
		cfg, _ := Config{Lag: 2, Beta: 0.3, LogVar: lvKind}.Validate()
		data, err := NewData(smallThreeHole(t, 9, 500, 4), cfg, newRand(1))
		require.NoError(t, err)
		data.Weights = make([]float64, data.N)
		rng := newRand(3)
		for i := range data.Weights {
			data.Weights[i] = 0.5 + rng.Float64()
		}
		m := NewModel(cfg, data.D, data.NumStates, data.Std, rng)
		require.NoError(t, m.SetRepresentatives(initialRepresentatives(data, rng)))
		m.theta.Data[1] = 0.7 // non-uniform prior weights
		var b Batch
		idx := data.Train[:37]
		data.Gather(&b, idx)
		eps := make([]float64, len(idx)*2)
		for i := range eps {
			eps[i] = rng.NormFloat64()
		}
		tape := ad.NewTape()
		loss, ce, kl := m.LossTape(tape, tape.Const(len(idx), 2, b.X), eps, b.Labels, b.Weights)

		sc := m.newScratch()
		K := m.K
		muK, lvK := make([]float64, K*2), make([]float64, K*2)
		for k := range K {
			m.encodeRow(muK[2*k:2*k+2], lvK[2*k:2*k+2], m.RepInputs[2*k:2*k+2], sc)
		}
		logw := make([]float64, K)
		lse := math.Inf(-1)
		for k := range K {
			lse = logAdd(lse, m.theta.Data[k])
		}
		for k := range K {
			logw[k] = m.theta.Data[k] - lse
		}
		logN := func(z, mu, lv []float64) float64 {
			s := 0.0
			for j := range z {
				s += -0.5 * (math.Log(2*math.Pi) + lv[j] + (z[j]-mu[j])*(z[j]-mu[j])/math.Exp(lv[j]))
			}
			return s
		}
		var sw, sce, skl float64
		mu, lv, z := make([]float64, 2), make([]float64, 2), make([]float64, 2)
		for i := range idx {
			m.encodeRow(mu, lv, b.X[2*i:2*i+2], sc)
			for j := range 2 {
				z[j] = mu[j] + math.Exp(0.5*lv[j])*eps[2*i+j]
			}
			lp := m.decodeRow(z, sc, true)
			logr := math.Inf(-1)
			for k := range K {
				logr = logAdd(logr, logw[k]+logN(z, muK[2*k:2*k+2], lvK[2*k:2*k+2]))
			}
			w := b.Weights[i]
			sw += w
			sce += -w * lp[b.Labels[i]]
			skl += w * (logN(z, mu, lv) - logr)
		}
		wantCE, wantKL := sce/sw, skl/sw
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"CE", ce.Scalar(), wantCE}, {"KL", kl.Scalar(), wantKL}, {"loss", loss.Scalar(), wantCE + 0.3*wantKL}} {
			testutil.InDelta(t, c.want, c.got, 1e-10*(1+math.Abs(c.want)), "%s: %s, tape against direct", lvKind, c.name)
		}
	}
}

func logAdd(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

func TestTrainErrors(t *testing.T) {
	trajs := smallThreeHole(t, 1, 300, 3)
	_, err := Train(trajs, Config{Lag: 2}, nil)
	wantErr(t, err, "nil *rand.Rand")
	_, err = Train(trajs, Config{Lag: 300}, newRand(1))
	wantErr(t, err, "lag 300", "length 300")
	_, err = Train(trajs, Config{BatchSize: -1}, newRand(1))
	wantErr(t, err, "Config.BatchSize")
	unl := []Trajectory{{Features: trajs[0].Features, KT: 1}}
	_, err = Train(unl, Config{}, newRand(1))
	wantErr(t, err, "no initial labels", "KMeansLabels")
	cfg, _ := Config{Lag: 2}.Validate()
	data, _ := NewData(trajs, cfg, newRand(1))
	_, err = TrainData(data, Config{Lag: 3}, newRand(1))
	wantErr(t, err, "lag 2", "Config.Lag = 3")
	err = KMeansLabels(trajs, 3, []int{0, 2}, newRand(1))
	wantErr(t, err, "cols[1] = 2")
	err = KMeansLabels(trajs, 0, nil, newRand(1))
	wantErr(t, err, "KMeansLabels")
}

// TestTooFewStates: labels that carry no information about the future (a
// random 80/20 split) leave the decoder predicting the majority label
// everywhere, so relabelling leaves one state: Train must stop with
// ErrTooFewStates and still return the model.
func TestTooFewStates(t *testing.T) {
	trajs := smallThreeHole(t, 2, 2000, 2)
	rng := newRand(9)
	for i := range trajs[0].Labels {
		trajs[0].Labels[i] = 0
		if rng.Float64() < 0.2 {
			trajs[0].Labels[i] = 1
		}
	}
	res, err := Train(trajs, Config{Lag: 2, MaxEpochs: 3, LearningRate: 1e-2}, rng)
	require.ErrorIs(t, err, ErrTooFewStates)
	require.NotNil(t, res, "result")
	require.NotNil(t, res.Model, "result %+v: model", res)
	require.Contains(t, res.Stopped, "1 populated state", "result %+v: reason stopped", res)
}

func TestProgressAndCallback(t *testing.T) {
	var buf bytes.Buffer
	calls := 0
	cfg := smallConfig
	cfg.Observers = []monitor.Observer{
		&monitor.Progress{W: &buf, Interval: 1 << 62}, // only the forced end-of-round lines
		monitor.Func(func(monitor.Epoch) error { calls++; return nil }),
	}
	res, err := Train(smallThreeHole(t, 5, 1500, 4), cfg, newRand(1))
	if !errors.Is(err, ErrTooFewStates) {
		require.NoError(t, err)
	}
	assert.Equal(t, len(res.History), calls, "observer calls against epochs")
	// Rate limit: the first epoch and every round end, nothing else.
	lines := strings.Count(buf.String(), "\n")
	assert.Equal(t, 1+len(res.Rounds), lines, "progress lines for %d rounds:\n%s", len(res.Rounds), buf.String())
	assert.Contains(t, buf.String(), "states", "progress lines")
}

// TestUniformWeightsChangeNothing: weights enter as weighted means
// Σ w·ℓ / Σ w, so a constant weight 2 (exact in floating point) must train
// the same model as no weights, up to rounding in the summation order
// (1e−9 after three short epochs); weights 0 on half the frames must not.
func TestUniformWeightsChangeNothing(t *testing.T) {
	cfg := Config{Lag: 2, MaxEpochs: 3, Refinements: -1, BatchSize: 64, LearningRate: 5e-3}
	plain := smallThreeHole(t, 4, 1500, 3)
	res0, err := Train(plain, cfg, newRand(1))
	require.NoError(t, err)
	wtd := smallThreeHole(t, 4, 1500, 3)
	wtd[0].Weights = make([]float64, len(wtd[0].Features))
	for i := range wtd[0].Weights {
		wtd[0].Weights[i] = 2
	}
	res2, err := Train(wtd, cfg, newRand(1))
	require.NoError(t, err)
	for i := range res0.ZMean {
		require.True(t, testutil.InDelta(t, res0.ZMean[i], res2.ZMean[i], 1e-9, "z_mean[%d]: with weights 2 against unweighted", i))
	}
	for i := range wtd[0].Weights {
		if i%2 == 0 {
			wtd[0].Weights[i] = 0
		}
	}
	resH, err := Train(wtd, cfg, newRand(1))
	require.NoError(t, err)
	assert.False(t, slices.Equal(resH.ZMean, res0.ZMean), "zero weights on half the frames changed nothing")
	// Populations are weighted: only odd frames count.
	cnt := make([]float64, resH.Model.K)
	for f, l := range resH.Labels {
		if f%2 == 1 {
			cnt[l]++
		}
	}
	for k := range cnt {
		testutil.InDelta(t, cnt[k]/float64(len(resH.Labels)/2), resH.Populations[k], 1e-12, "weighted population %d", k)
	}
}

// TestLRDecayRestartsEachRound: the learning rate is multiplied by LRDecay
// after every epoch (compared to lr·γ^(epoch−1) to 1e−14 relative: a few
// roundings) and restarts from LearningRate with each fresh optimiser.
func TestLRDecayRestartsEachRound(t *testing.T) {
	cfg := smallConfig
	cfg.LRDecay = 0.9
	res, err := Train(smallThreeHole(t, 5, 3000, 6), cfg, newRand(1))
	if !errors.Is(err, ErrTooFewStates) {
		require.NoError(t, err)
	}
	for _, st := range res.History {
		want := cfg.LearningRate * math.Pow(0.9, float64(st.Epoch-1))
		testutil.InDelta(t, want, st.LR, 1e-14*want, "round %d epoch %d: lr", st.Round, st.Epoch)
	}
	assert.GreaterOrEqual(t, len(res.Rounds), 2, "rounds: the restart was not exercised")
	_, _, err = res.Model.Encode([]float64{1, 2, 3}, 1)
	wantErr(t, err, "3 values", "D = 2")
	_, _, err = res.Model.Predict([]float64{1}, 1)
	wantErr(t, err, "1 values", "D = 2")
}

func TestCloneAndEncodeData(t *testing.T) {
	res, err := Train(smallThreeHole(t, 5, 3000, 6), smallConfig, newRand(1))
	require.NoError(t, err)
	c := res.Model.Clone()
	z, lv, lab, err := c.EncodeData(res.Data, 2)
	require.NoError(t, err)
	assert.True(t, slices.Equal(z, res.ZMean) && slices.Equal(lab, res.Labels) && len(lv) == len(z), "clone's EncodeData differs from the result")
	// The clone is deep: changing it leaves the original alone.
	for _, p := range c.Params() {
		p.Data[0] += 1
	}
	z0, _, _, _ := res.Model.EncodeData(res.Data, 1)
	assert.True(t, slices.Equal(z0, res.ZMean), "modifying the clone changed the original")
}

func TestConvergenceRule(t *testing.T) {
	c := Convergence{Tol: 1e-3, Patience: 2}
	// Relative changes: -, 0.5, 1e-4, 1e-4, 1e-2 (reset), 1e-4, 1e-4, 1e-4.
	losses := []float64{1, 0.5, 0.50005, 0.5000, 0.505, 0.50505, 0.505, 0.50505}
	want := []bool{false, false, false, false, false, false, false, true}
	for i, l := range losses {
		assert.Equal(t, want[i], c.Update(l), "epoch %d (loss %v): converged", i, l)
	}
	c.Reset()
	assert.False(t, c.Update(0.50505), "converged right after Reset")
	// In training: Tolerance 1 (a change is "unchanged" unless the loss
	// doubles) with Patience 0 (negative in Config) ends every round after
	// 2 epochs.
	cfg := smallConfig
	cfg.Tolerance, cfg.Patience, cfg.MaxEpochs = 1, -1, 50
	res, err := Train(smallThreeHole(t, 5, 3000, 6), cfg, newRand(1))
	if !errors.Is(err, ErrTooFewStates) {
		require.NoError(t, err)
	}
	t.Logf("rounds %+v", res.Rounds)
	for i, r := range res.Rounds {
		assert.True(t, r.Converged && r.Epochs == 2, "round %d: %+v, want converged after 2 epochs", i, r)
	}
}
