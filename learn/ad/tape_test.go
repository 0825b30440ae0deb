package ad

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// near reports |a−b| ≤ tol·max(1,|b|).
// assertNear asserts |got − want| ≤ tol·max(1, |want|) (relative above 1,
// absolute below), failing on NaN.
func assertNear(t testing.TB, got, want, tol float64, msgAndArgs ...any) bool {
	t.Helper()
	return testutil.InDelta(t, want, got, tol*math.Max(1, math.Abs(want)), msgAndArgs...)
}

// TestFanOut: one node feeding two losses must receive the sum of both
// gradients. y = tanh(x), L = Σ y² + mean(y), so ∂L/∂x = (2y + 1/n)(1 − y²),
// derived by hand. Exact up to rounding (tolerance 1e-14 relative).
func TestFanOut(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := randSlice(rng, 6)
	tp := NewTape()
	xn := tp.Input(2, 3, x)
	y := tp.Tanh(xn)
	loss := tp.Add(tp.Sum(tp.Mul(y, y)), tp.Mean(y))
	tp.Backward(loss)
	for i, v := range x {
		yv := math.Tanh(v)
		want := (2*yv + 1.0/6) * (1 - yv*yv)
		assertNear(t, xn.Grad[i], want, 1e-14, "∂L/∂x[%d]", i)
	}
}

// TestForwardValues checks op outputs against independent formulas: gonum's
// distuv.Normal for the Gaussian densities, gonum/mat for products, math for
// the rest. Both sides are exact formulas evaluated in float64, so the
// tolerance is a few ulps amplified by the O(10) terms summed: 1e-12.
func TestForwardValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tp := NewTape()
	const B, d, K = 5, 2, 3
	z, mu, lv := randSlice(rng, B*d), randSlice(rng, K*d), randSlice(rng, K*d)
	theta := randSlice(rng, K)
	zn, mun, lvn, thn := tp.Const(B, d, z), tp.Const(K, d, mu), tp.Const(K, d, lv), tp.Const(1, K, theta)

	// Gaussian log-density with broadcast mean/logvar (row 0 of mu, lv).
	g := tp.GaussLogPDF(zn, tp.Const(1, d, mu[:d]), tp.Const(1, d, lv[:d]))
	// Mixture, by direct summation of probabilities.
	mix := tp.MixtureLogPDF(zn, mun, lvn, thn)
	wsum := 0.0
	for _, v := range theta {
		wsum += math.Exp(v)
	}
	for i := 0; i < B; i++ {
		want := 0.0
		for j := 0; j < d; j++ {
			want += distuv.Normal{Mu: mu[j], Sigma: math.Exp(0.5 * lv[j])}.LogProb(z[i*d+j])
		}
		assertNear(t, g.Data[i], want, 1e-12, "GaussLogPDF row %d", i)
		p := 0.0
		for k := 0; k < K; k++ {
			pk := math.Exp(theta[k]) / wsum
			for j := 0; j < d; j++ {
				pk *= distuv.Normal{Mu: mu[k*d+j], Sigma: math.Exp(0.5 * lv[k*d+j])}.Prob(z[i*d+j])
			}
			p += pk
		}
		assertNear(t, mix.Data[i], math.Log(p), 1e-12, "MixtureLogPDF row %d", i)
	}

	// Affine against gonum/mat: x·wᵀ + b.
	x, w, b := randSlice(rng, B*3), randSlice(rng, 4*3), randSlice(rng, 4)
	aff := tp.Affine(tp.Const(B, 3, x), tp.Const(4, 3, w), tp.Const(1, 4, b))
	var want mat.Dense
	want.Mul(mat.NewDense(B, 3, x), mat.NewDense(4, 3, w).T())
	for i := 0; i < B; i++ {
		for j := 0; j < 4; j++ {
			assertNear(t, aff.At(i, j), want.At(i, j)+b[j], 1e-12, "Affine[%d,%d]", i, j)
		}
	}

	// AffineAct2 equals the unfused graph (same products, same order: exact).
	x2, w2 := randSlice(rng, B*2), randSlice(rng, 4*2)
	f1 := tp.AffineAct2(tp.Const(B, 3, x), tp.Const(4, 3, w), tp.Const(B, 2, x2), tp.Const(4, 2, w2), tp.Const(1, 4, b), ActTanh)
	f2 := tp.Tanh(tp.Add(tp.Affine(tp.Const(B, 3, x), tp.Const(4, 3, w), tp.Const(1, 4, b)), tp.Affine(tp.Const(B, 2, x2), tp.Const(4, 2, w2), nil)))
	for i := range f1.Data {
		assertNear(t, f1.Data[i], f2.Data[i], 1e-14, "AffineAct2[%d] against unfused", i)
	}

	// LogSoftmax rows exponentiate to probability vectors, also for huge logits.
	ls := tp.LogSoftmax(tp.Const(2, 3, []float64{1000, 1001, 999, -3, 0, 2}))
	for i := 0; i < 2; i++ {
		s := 0.0
		for j := 0; j < 3; j++ {
			s += math.Exp(ls.At(i, j))
		}
		assertNear(t, s, 1, 1e-14, "LogSoftmax row %d: sum of probabilities", i)
	}
	assertNear(t, ls.At(0, 1), -math.Log(1+math.Exp(-1)+math.Exp(-2)), 1e-14, "LogSoftmax(1000,1001,999)[1]")

	// Softplus is stable at large |x|.
	sp := tp.Softplus(tp.Const(1, 3, []float64{800, -800, 0}))
	assert.Equal(t, 800.0, sp.Data[0], "Softplus(800)")
	assert.True(t, sp.Data[1] >= 0 && sp.Data[1] <= 1e-300, "Softplus(-800) = %v, want in [0, 1e-300]", sp.Data[1])
	assertNear(t, sp.Data[2], math.Ln2, 1e-15, "Softplus(0)")

	// Weighted NLL by hand.
	nll := tp.NLL(tp.Const(2, 2, []float64{-0.1, -2.3, -1.2, -0.4}), []int{1, 0}, []float64{3, 1})
	assertNear(t, nll.Scalar(), (3*2.3+1.2)/4, 1e-15, "weighted NLL")

	// Layouts: RepeatRows, ConcatCols with broadcast, Fourier.
	rep := tp.RepeatRows(tp.Const(2, 1, []float64{1, 2}), 3)
	assert.Equal(t, []float64{1, 1, 1, 2, 2, 2}, rep.Data, "RepeatRows")
	gr := tp.GatherRows(tp.Const(3, 1, []float64{10, 20, 30}), []int{2, 2, 0})
	assert.Equal(t, []float64{30, 30, 10}, gr.Data, "GatherRows")
	cc := tp.ConcatCols(tp.Const(2, 1, []float64{1, 2}), tp.Const(1, 2, []float64{7, 8}))
	assert.Equal(t, []float64{1, 7, 8, 2, 7, 8}, cc.Data, "ConcatCols")
	f := tp.Fourier(tp.Const(1, 1, []float64{0.3}), []float64{0.5, 2})
	wantF := []float64{math.Sin(math.Pi * 0.3), math.Sin(4 * math.Pi * 0.3), math.Cos(math.Pi * 0.3), math.Cos(4 * math.Pi * 0.3)}
	for i := range wantF {
		assertNear(t, f.Data[i], wantF[i], 1e-15, "Fourier[%d]", i)
	}
	// Reparam with ε = 1 gives μ + σ.
	rp := tp.Reparam(tp.Const(1, 2, []float64{1, 2}), tp.Const(1, 2, []float64{0, math.Log(4)}), tp.Const(1, 2, []float64{1, 1}))
	assertNear(t, rp.Data[0], 2, 1e-15, "Reparam[0] = μ + σ")
	assertNear(t, rp.Data[1], 4, 1e-15, "Reparam[1] = μ + σ")
}

func equalSlices(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestConstGraphHasNoGradient: a graph of constants needs no gradient, and
// Backward on it is a no-op rather than a crash.
func TestConstGraphHasNoGradient(t *testing.T) {
	tp := NewTape()
	c := tp.Const(1, 2, []float64{1, 2})
	l := tp.Sum(tp.Exp(c))
	require.Nil(t, l.Grad, "Sum(Exp(Const)) has a gradient buffer")
	tp.Backward(l)
	d := tp.Detach(tp.Input(1, 2, []float64{1, 2}))
	require.Nil(t, d.Grad, "Detach output has a gradient buffer")
}

// TestShapeErrors: every shape error panics with the op name and both shapes.
func TestShapeErrors(t *testing.T) {
	tp := NewTape()
	a := tp.Const(2, 3, make([]float64, 6))
	b := tp.Const(3, 2, make([]float64, 6))
	cases := []struct {
		name, want string
		f          func()
	}{
		{"Add", "Add: shape mismatch: 2×3 vs 3×2", func() { tp.Add(a, b) }},
		{"Affine", "AffineAct: x.Cols != w.Cols: 2×3 vs 3×2", func() { tp.Affine(a, b, nil) }},
		{"NLL label", "label[1] = 7 out of range [0, 3)", func() { tp.NLL(a, []int{0, 7}, nil) }},
		{"weights", "weight w[0] = -1", func() { tp.WeightedMeanRows(a, []float64{-1, 2}) }},
		{"Const len", "len(data) = 6, want 2×2", func() { tp.Const(2, 2, make([]float64, 6)) }},
		{"logvar", "logvar is 3×2, want 2×3 or 1×3", func() { tp.GaussLogPDF(a, a, b) }},
		{"gather", "GatherRows: idx[1] = 2 out of range [0, 2)", func() { tp.GatherRows(a, []int{0, 2}) }},
	}
	for _, c := range cases {
		func() {
			defer func() {
				r := recover()
				if assert.NotNil(t, r, "%s: no panic", c.name) {
					assert.Contains(t, r, c.want, "%s: panic message", c.name)
				}
			}()
			c.f()
		}()
	}
	// A node from before Reset is rejected by Backward.
	old := tp.Sum(tp.Input(1, 1, []float64{1}))
	tp.Reset()
	tp.Const(1, 1, []float64{1})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Backward of a stale node did not panic")
			}
		}()
		tp.Backward(old)
	}()
}

// TestParamRecordedTwice: a layer applied to two inputs records its
// parameters twice; both leaves accumulate into the same Param.Grad, which
// must equal the finite-difference gradient of the total (tolerance gradTol,
// see gradcheck_test.go).
func TestParamRecordedTwice(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	l := NewLinear("l", 3, 2, rng)
	x1, x2 := randSlice(rng, 4*3), randSlice(rng, 5*3)
	tp := NewTape()
	loss := func() *Node {
		tp.Reset()
		a := l.Forward(tp, tp.Const(4, 3, x1))
		b := l.ForwardAct(tp, tp.Const(5, 3, x2), ActTanh)
		return tp.Add(tp.Sum(a), tp.Sum(tp.Square(b)))
	}
	for _, p := range l.Params() {
		clear(l.W.Grad)
		clear(l.B.Grad)
		tp.Backward(loss())
		analytic := append([]float64(nil), p.Grad...)
		x0 := append([]float64(nil), p.Data...)
		numeric := fd.Gradient(nil, func(x []float64) float64 {
			copy(p.Data, x)
			return loss().Scalar()
		}, x0, &fd.Settings{Formula: fd.Central})
		copy(p.Data, x0)
		for j := range numeric {
			assertNear(t, analytic[j], numeric[j], gradTol, "%s[%d]: gradient against the finite difference", p.Name, j)
		}
	}
}
