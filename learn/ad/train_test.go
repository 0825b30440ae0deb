package ad

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAdamConstantGradient: with a constant gradient g the bias-corrected
// moments are exactly m̂ = g and v̂ = g², so every step moves a parameter by
// lr·g/(|g|+ε) (Kingma & Ba 2015, §3). Rounding in m, v and the powers of β
// accumulates to ~10 ulps over 50 steps; tolerance 1e-12 relative.
func TestAdamConstantGradient(t *testing.T) {
	p := NewParam("p", 1, 3)
	g := []float64{0.3, -2, 1e-3}
	p0 := []float64{1, 2, 3}
	copy(p.Data, p0)
	opt, err := NewAdam([]*Param{p}, AdamConfig{LR: 0.01})
	require.NoError(t, err)
	const steps = 50
	for range steps {
		copy(p.Grad, g)
		opt.Step()
	}
	for i := range g {
		want := p0[i] - steps*0.01*g[i]/(math.Abs(g[i])+1e-8)
		assertNear(t, p.Data[i], want, 1e-12, "p[%d]", i)
	}
	assert.Equal(t, steps, opt.Steps(), "Steps()")
}

// TestAdamTextbook compares Step with the textbook form of Kingma & Ba
// (m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ), p −= lr·m̂/(√v̂+ε)) on random gradients,
// with learning-rate decay and Reset. The two forms are algebraically equal
// (PyTorch divides by √(1−β2ᵗ) after the square root); they differ by
// rounding only, ~1e-15 relative per step, so 1e-12 over 20 steps.
func TestAdamTextbook(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	p := NewParam("p", 2, 2)
	copy(p.Data, randSlice(rng, 4))
	cfg := AdamConfig{LR: 0.05, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6}
	opt, err := NewAdam([]*Param{p}, cfg)
	require.NoError(t, err)
	ref := append([]float64(nil), p.Data...)
	m, v := make([]float64, 4), make([]float64, 4)
	lr := cfg.LR
	for round := 0; round < 2; round++ {
		for step := 1; step <= 10; step++ {
			g := randSlice(rng, 4)
			copy(p.Grad, g)
			opt.Step()
			for i := range g {
				m[i] = cfg.Beta1*m[i] + (1-cfg.Beta1)*g[i]
				v[i] = cfg.Beta2*v[i] + (1-cfg.Beta2)*g[i]*g[i]
				mh := m[i] / (1 - math.Pow(cfg.Beta1, float64(step)))
				vh := v[i] / (1 - math.Pow(cfg.Beta2, float64(step)))
				ref[i] -= lr * mh / (math.Sqrt(vh) + cfg.Eps)
			}
			if step%5 == 0 {
				opt.Decay(0.5)
				lr *= 0.5
			}
		}
		for i := range ref {
			require.True(t, assertNear(t, p.Data[i], ref[i], 1e-12, "round %d: p[%d] against the textbook update", round, i))
		}
		require.Equal(t, lr, opt.LR(), "LR()")
		// A fresh state: moments and step count forgotten, lr restored.
		opt.Reset()
		clear(m)
		clear(v)
		lr = cfg.LR
		require.Zero(t, opt.Steps(), "after Reset: Steps")
		require.Equal(t, cfg.LR, opt.LR(), "after Reset: LR")
	}
}

func TestAdamConfigErrors(t *testing.T) {
	p := NewParam("p", 1, 1)
	for _, c := range []struct {
		cfg  AdamConfig
		want string
	}{
		{AdamConfig{LR: -1}, "AdamConfig.LR"},
		{AdamConfig{Beta1: 1}, "AdamConfig.Beta1"},
		{AdamConfig{Beta2: -0.5}, "AdamConfig.Beta2"},
		{AdamConfig{Eps: math.Inf(1)}, "AdamConfig.Eps"},
	} {
		_, err := NewAdam([]*Param{p}, c.cfg)
		assert.ErrorContains(t, err, c.want, "%+v", c.cfg)
	}
	_, err := NewAdam([]*Param{p, p}, AdamConfig{})
	assert.ErrorContains(t, err, `duplicate parameter name "p"`, "duplicate params")
	opt, err := NewAdam([]*Param{p}, AdamConfig{})
	require.NoError(t, err)
	assert.Equal(t, AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, opt.Config(), "defaults")
}

// TestLinearInit: PyTorch's bound U(±1/√in) for weights and biases. With
// n = 64·100 + 64 draws from U(−b, b), the sample variance has standard error
// ≈ b²·0.075/√n ≈ 1e-3·b² and is checked against b²/3 within 5 standard
// errors; every draw must lie inside the bound.
func TestLinearInit(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	l := NewLinear("l", 100, 64, rng)
	b := 1 / math.Sqrt(100)
	all := append(append([]float64(nil), l.W.Data...), l.B.Data...)
	ss := 0.0
	for _, v := range all {
		require.LessOrEqual(t, math.Abs(v), b, "init value %v outside ±%v", v, b)
		ss += v * v
	}
	n := float64(len(all))
	variance := ss / n
	// Var of X² for X ~ U(−b,b) is b⁴(1/5 − 1/9) = 4b⁴/45.
	se := math.Sqrt(4.0/45/n) * b * b
	testutil.InDelta(t, b*b/3, variance, 5*se, "init variance")
	assert.Equal(t, [3]any{64, 100, "l.W"}, [3]any{l.W.Rows, l.W.Cols, l.W.Name}, "layout of W")
	assert.Equal(t, [3]any{1, 64, "l.b"}, [3]any{l.B.Rows, l.B.Cols, l.B.Name}, "layout of b")
}

// sinData returns n points x ∈ [−π, π] and y = sin x.
func sinData(n int) (x, y []float64) {
	x, y = make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = -math.Pi + 2*math.Pi*float64(i)/float64(n-1)
		y[i] = math.Sin(x[i])
	}
	return x, y
}

// fitSin trains a 1→32→32→1 tanh MLP on y = sin x with full-batch Adam and
// returns the final MSE and the model.
func fitSin(seed uint64, steps int) (float64, *MLP) {
	rng := rand.New(rand.NewPCG(seed, 0))
	net := NewMLP("f", []int{1, 32, 32, 1}, ActTanh, rng)
	ps := ParamSet(net.Params())
	opt, err := NewAdam(ps, AdamConfig{LR: 1e-2})
	if err != nil {
		panic(err)
	}
	x, y := sinData(128)
	tp := NewTape()
	var loss float64
	for range steps {
		tp.Reset()
		ps.ZeroGrad()
		l := tp.MSE(net.Forward(tp, tp.Const(len(x), 1, x)), tp.Const(len(y), 1, y))
		tp.Backward(l)
		opt.Step()
		loss = l.Scalar()
	}
	return loss, net
}

// TestFitSin: an MLP must fit sin on [−π, π] to MSE < 1e-5 (sin has
// variance 0.5 there, so this is R² > 0.99998) in 500 full-batch Adam steps.
// Training is deterministic for the seed; it reaches 3.8e-6, and a wrong
// gradient anywhere in the chain stalls far above 1e-3.
func TestFitSin(t *testing.T) {
	mse, _ := fitSin(1, 500)
	assert.Less(t, mse, 1e-5, "MSE after training")
	t.Logf("sin fit MSE = %.3g", mse)
}

// blobs draws n points from each of K isotropic Gaussian blobs (σ = 0.7)
// centred on a circle of radius 3 in 2-D; returns row-major points and labels.
func blobs(rng *rand.Rand, K, n int) ([]float64, []int) {
	x := make([]float64, 0, 2*K*n)
	y := make([]int, 0, K*n)
	for i := 0; i < K*n; i++ {
		k := i % K
		a := 2 * math.Pi * float64(k) / float64(K)
		x = append(x, 3*math.Cos(a)+0.7*rng.NormFloat64(), 3*math.Sin(a)+0.7*rng.NormFloat64())
		y = append(y, k)
	}
	return x, y
}

// trainClassifier trains a 2→16→16→K ReLU MLP with NLL on blobs and returns
// it with its parameters.
func trainClassifier(seed uint64, K int) (*MLP, ParamSet) {
	rng := rand.New(rand.NewPCG(seed, 0))
	net := NewMLP("c", []int{2, 16, 16, K}, ActReLU, rng)
	ps := ParamSet(net.Params())
	opt, err := NewAdam(ps, AdamConfig{LR: 1e-2})
	if err != nil {
		panic(err)
	}
	x, y := blobs(rng, K, 100)
	tp := NewTape()
	for range 200 {
		tp.Reset()
		ps.ZeroGrad()
		logp := tp.LogSoftmax(net.Forward(tp, tp.Const(len(y), 2, x)))
		tp.Backward(tp.NLL(logp, y, nil))
		opt.Step()
	}
	return net, ps
}

// TestClassifier: three blobs whose centres are 5.2 apart with σ = 0.7 have a
// Bayes error ≈ 2·Φ(−3.7) ≈ 2e-4. On 900 fresh test points the accuracy of a
// near-Bayes classifier has standard error ≈ √(p(1−p)/900) < 0.005, so 0.97
// is > 5 standard errors below what a correct learner reaches.
func TestClassifier(t *testing.T) {
	net, _ := trainClassifier(11, 3)
	x, y := blobs(rand.New(rand.NewPCG(12, 0)), 3, 300)
	tp := NewTape()
	out := net.Forward(tp, tp.Const(len(y), 2, x))
	correct := 0
	for i, k := range y {
		best := 0
		for j := 1; j < out.Cols; j++ {
			if out.At(i, j) > out.At(i, best) {
				best = j
			}
		}
		if best == k {
			correct++
		}
	}
	acc := float64(correct) / float64(len(y))
	assert.GreaterOrEqual(t, acc, 0.97, "test accuracy")
	t.Logf("3-class accuracy %.4f", acc)
}

// TestDeterminism: the same seed gives bit-identical parameters after
// training; another seed does not.
func TestDeterminism(t *testing.T) {
	_, a := trainClassifier(21, 2)
	_, b := trainClassifier(21, 2)
	_, c := trainClassifier(22, 2)
	same, differ := true, false
	for i := range a {
		for j := range a[i].Data {
			if math.Float64bits(a[i].Data[j]) != math.Float64bits(b[i].Data[j]) {
				same = false
			}
			if a[i].Data[j] != c[i].Data[j] {
				differ = true
			}
		}
	}
	if !same {
		t.Error("same seed gave different parameters")
	}
	if !differ {
		t.Error("different seeds gave identical parameters")
	}
}
