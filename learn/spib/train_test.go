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

	"github.com/dspib/dspib/learn/ad"
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
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, c := run(1, 1, 1), run(2, 2, 1), run(2, 2, 2)
	pa, pb := a.Model.Params(), b.Model.Params()
	if len(pa) != len(pb) {
		t.Fatalf("%d vs %d parameters", len(pa), len(pb))
	}
	for i := range pa {
		if pa[i].Name != pb[i].Name || !slices.Equal(pa[i].Data, pb[i].Data) {
			t.Errorf("parameter %s differs between GOMAXPROCS 1 and 2", pa[i].Name)
		}
	}
	if !slices.Equal(a.ZMean, b.ZMean) || !slices.Equal(a.ZSample, b.ZSample) || !slices.Equal(a.Labels, b.Labels) {
		t.Error("latents or labels differ between GOMAXPROCS 1 and 2")
	}
	for i := range a.History {
		if a.History[i].TrainLoss != b.History[i].TrainLoss || a.History[i].TestLoss != b.History[i].TestLoss {
			t.Errorf("epoch %d: losses differ", i)
		}
	}
	if slices.Equal(a.ZMean, c.ZMean) {
		t.Error("another seed gave the same latents")
	}
}

func TestSaveLoadEncodesIdentically(t *testing.T) {
	for _, cfg := range []Config{smallConfig, {Lag: 2, MaxEpochs: 3, Refinements: -1, BatchSize: 64, LearningRate: 5e-3, Encoder: Linear, LogVar: PerSampleLogVar}} {
		trajs := smallThreeHole(t, 3, 2000, 4)
		res, err := Train(trajs, cfg, newRand(4))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "spib.ckpt")
		if err := res.Model.Save(path); err != nil {
			t.Fatal(err)
		}
		m2, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		var x []float64
		for _, f := range trajs[0].Features {
			x = append(x, f...)
		}
		z1, lv1, _ := res.Model.Encode(x, 1)
		z2, lv2, err := m2.Encode(x, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(z1, z2) || !slices.Equal(lv1, lv2) {
			t.Errorf("%s/%s: save → load → encode is not bit-identical", cfg.Encoder, cfg.LogVar)
		}
		// Encode of the original frames reproduces the training result.
		if !slices.Equal(z1, res.ZMean) {
			t.Errorf("%s: Encode(original frames) != Result.ZMean", cfg.Encoder)
		}
		l1, p1, _ := res.Model.Predict(x, 1)
		l2, p2, _ := m2.Predict(x, 1)
		if !slices.Equal(l1, l2) || !slices.Equal(p1, p2) || !slices.Equal(m2.RepInputs, res.Model.RepInputs) {
			t.Errorf("%s: loaded model predicts differently", cfg.Encoder)
		}
		if cfg.LogVar == PerSampleLogVar {
			// The head is −10·sigmoid(·) ∈ (−10, 0).
			for i, v := range lv1 {
				if !(v > -10 && v < 0) {
					t.Fatalf("per-sample logvar[%d] = %v outside (−10, 0)", i, v)
				}
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
	if err != nil && !errors.Is(err, ErrTooFewStates) {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m")
	if err := res.Model.Save(path); err != nil {
		t.Fatal(err)
	}
	b, _ := readFile(path + ".json")
	if err := writeFile(path+".json", bytes.Replace(b, []byte(`"states"`), []byte(`"colour": 1, "states"`), 1)); err != nil {
		t.Fatal(err)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	W, b, err := res.Model.LinearWeights()
	if err != nil {
		t.Fatal(err)
	}
	d, D := 2, 2
	for f, row := range trajs[0].Features {
		for k := range d {
			z := b[k]
			for j := range D {
				z += W[k*D+j] * row[j]
			}
			want := res.ZMean[f*d+k]
			if math.Abs(z-want) > 1e-12*(1+math.Abs(want)) {
				t.Fatalf("frame %d z%d: W x + b = %v, z_mean = %v", f, k, z, want)
			}
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
		if !found {
			t.Errorf("representative %d %v is not an input frame", k, rep[2*k:2*k+2])
		}
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
		if err != nil {
			t.Fatal(err)
		}
		data.Weights = make([]float64, data.N)
		rng := newRand(3)
		for i := range data.Weights {
			data.Weights[i] = 0.5 + rng.Float64()
		}
		m := NewModel(cfg, data.D, data.NumStates, data.Std, rng)
		if err := m.SetRepresentatives(initialRepresentatives(data, rng)); err != nil {
			t.Fatal(err)
		}
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
			if math.Abs(c.got-c.want) > 1e-10*(1+math.Abs(c.want)) {
				t.Errorf("%s: %s tape %v, direct %v", lvKind, c.name, c.got, c.want)
			}
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
	unl := []Trajectory{{Features: trajs[0].Features, Temp: 1}}
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
	if !errors.Is(err, ErrTooFewStates) {
		t.Fatalf("err = %v, want ErrTooFewStates", err)
	}
	if res == nil || res.Model == nil || !strings.Contains(res.Stopped, "1 populated state") {
		t.Fatalf("result %+v", res)
	}
}

func TestProgressAndCallback(t *testing.T) {
	var buf bytes.Buffer
	calls := 0
	cfg := smallConfig
	cfg.Progress = &buf
	cfg.ProgressEvery = 1 << 62 // only the forced end-of-round lines
	cfg.OnEpoch = func(EpochStats) { calls++ }
	res, err := Train(smallThreeHole(t, 5, 1500, 4), cfg, newRand(1))
	if err != nil && !errors.Is(err, ErrTooFewStates) {
		t.Fatal(err)
	}
	if calls != len(res.History) {
		t.Errorf("OnEpoch called %d times for %d epochs", calls, len(res.History))
	}
	// Rate limit: the first epoch and every round end, nothing else.
	lines := strings.Count(buf.String(), "\n")
	if lines != 1+len(res.Rounds) || !strings.Contains(buf.String(), "states") {
		t.Errorf("%d progress lines for %d rounds:\n%s", lines, len(res.Rounds), buf.String())
	}
}

// TestUniformWeightsChangeNothing: weights enter as weighted means
// Σ w·ℓ / Σ w, so a constant weight 2 (exact in floating point) must train
// the same model as no weights, up to rounding in the summation order
// (1e−9 after three short epochs); weights 0 on half the frames must not.
func TestUniformWeightsChangeNothing(t *testing.T) {
	cfg := Config{Lag: 2, MaxEpochs: 3, Refinements: -1, BatchSize: 64, LearningRate: 5e-3}
	plain := smallThreeHole(t, 4, 1500, 3)
	res0, err := Train(plain, cfg, newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	wtd := smallThreeHole(t, 4, 1500, 3)
	wtd[0].Weights = make([]float64, len(wtd[0].Features))
	for i := range wtd[0].Weights {
		wtd[0].Weights[i] = 2
	}
	res2, err := Train(wtd, cfg, newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	for i := range res0.ZMean {
		if math.Abs(res0.ZMean[i]-res2.ZMean[i]) > 1e-9 {
			t.Fatalf("z_mean[%d]: %v unweighted, %v with weights 2", i, res0.ZMean[i], res2.ZMean[i])
		}
	}
	for i := range wtd[0].Weights {
		if i%2 == 0 {
			wtd[0].Weights[i] = 0
		}
	}
	resH, err := Train(wtd, cfg, newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(resH.ZMean, res0.ZMean) {
		t.Error("zero weights on half the frames changed nothing")
	}
	// Populations are weighted: only odd frames count.
	cnt := make([]float64, resH.Model.K)
	for f, l := range resH.Labels {
		if f%2 == 1 {
			cnt[l]++
		}
	}
	for k := range cnt {
		if want := cnt[k] / float64(len(resH.Labels)/2); math.Abs(resH.Populations[k]-want) > 1e-12 {
			t.Errorf("weighted population %d: %v, want %v", k, resH.Populations[k], want)
		}
	}
}

// TestLRDecayRestartsEachRound: the learning rate is multiplied by LRDecay
// after every epoch (compared to lr·γ^(epoch−1) to 1e−14 relative: a few
// roundings) and restarts from LearningRate with each fresh optimiser.
func TestLRDecayRestartsEachRound(t *testing.T) {
	cfg := smallConfig
	cfg.LRDecay = 0.9
	res, err := Train(smallThreeHole(t, 5, 3000, 6), cfg, newRand(1))
	if err != nil && !errors.Is(err, ErrTooFewStates) {
		t.Fatal(err)
	}
	for _, st := range res.History {
		if want := cfg.LearningRate * math.Pow(0.9, float64(st.Epoch-1)); math.Abs(st.LR-want) > 1e-14*want {
			t.Errorf("round %d epoch %d: lr %v, want %v", st.Round, st.Epoch, st.LR, want)
		}
	}
	if len(res.Rounds) < 2 {
		t.Errorf("only %d round(s): the restart was not exercised", len(res.Rounds))
	}
	_, _, err = res.Model.Encode([]float64{1, 2, 3}, 1)
	wantErr(t, err, "3 values", "D = 2")
	_, _, err = res.Model.Predict([]float64{1}, 1)
	wantErr(t, err, "1 values", "D = 2")
}

func TestCloneAndEncodeData(t *testing.T) {
	res, err := Train(smallThreeHole(t, 5, 3000, 6), smallConfig, newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	c := res.Model.Clone()
	z, lv, lab, err := c.EncodeData(res.Data, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(z, res.ZMean) || !slices.Equal(lab, res.Labels) || len(lv) != len(z) {
		t.Error("clone's EncodeData differs from the result")
	}
	// The clone is deep: changing it leaves the original alone.
	for _, p := range c.Params() {
		p.Data[0] += 1
	}
	z0, _, _, _ := res.Model.EncodeData(res.Data, 1)
	if !slices.Equal(z0, res.ZMean) {
		t.Error("modifying the clone changed the original")
	}
}

func TestConvergenceRule(t *testing.T) {
	c := Convergence{Tol: 1e-3, Patience: 2}
	// Relative changes: -, 0.5, 1e-4, 1e-4, 1e-2 (reset), 1e-4, 1e-4, 1e-4.
	losses := []float64{1, 0.5, 0.50005, 0.5000, 0.505, 0.50505, 0.505, 0.50505}
	want := []bool{false, false, false, false, false, false, false, true}
	for i, l := range losses {
		if got := c.Update(l); got != want[i] {
			t.Errorf("epoch %d (loss %v): converged %v, want %v", i, l, got, want[i])
		}
	}
	c.Reset()
	if c.Update(0.50505) {
		t.Error("converged right after Reset")
	}
	// In training: Tolerance 1 (a change is "unchanged" unless the loss
	// doubles) with Patience 0 (negative in Config) ends every round after
	// 2 epochs.
	cfg := smallConfig
	cfg.Tolerance, cfg.Patience, cfg.MaxEpochs = 1, -1, 50
	res, err := Train(smallThreeHole(t, 5, 3000, 6), cfg, newRand(1))
	if err != nil && !errors.Is(err, ErrTooFewStates) {
		t.Fatal(err)
	}
	t.Logf("rounds %+v", res.Rounds)
	for i, r := range res.Rounds {
		if !r.Converged || r.Epochs != 2 {
			t.Errorf("round %d: %+v, want converged after 2 epochs", i, r)
		}
	}
}
