package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/ad"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
)

// TestLossGradient checks ∂L_diff/∂θ and ∂L_diff/∂z of the tape against
// central finite differences, for both embeddings and activations, with
// and without row weights. The draws
// of Loss come from a generator re-seeded for every evaluation, so L is a
// deterministic smooth function of (θ, z). Tolerance: central differences
// with gonum's step h ≈ 6e−6 have truncation error ~h²|L⁽³⁾| ≈ 1e−10 and
// rounding error ~1e−16·|L|/h ≈ 1e−11 for |L| ~ 1, so 1e−6 relative (to
// max(1, |g|)) has four orders of margin; a wrong gradient term is O(|g|).
func TestLossGradient(t *testing.T) {
	for _, c := range []struct {
		emb Embedding
		act Activation
		w   []float64
		cp  Coupling
		k   int // experts
		inF int // input frequencies
	}{{Smooth, SiLU, nil, CouplingEmbedded, 0, 0}, {Fourier, SiLU, nil, CouplingEmbedded, 0, 0}, {Smooth, ReLU, nil, CouplingEmbedded, 0, 0},
		{Smooth, SiLU, []float64{0.5, 2, 0}, CouplingEmbedded, 0, 0}, {Smooth, SiLU, nil, CouplingLinear, 0, 0},
		{Fourier, SiLU, []float64{0.5, 2, 0}, CouplingEmbeddedLinear, 0, 0}, {Smooth, SiLU, nil, CouplingLinear, 3, 0},
		{Smooth, SiLU, nil, CouplingEmbedded, 0, 3}, {Smooth, SiLU, nil, CouplingEmbedded, 0, -2}} {
		name := fmt.Sprintf("%v/%v/%v/K=%d/F=%d", c.emb, c.act, c.cp, c.k, c.inF)
		if c.w != nil {
			name += "/weighted"
		}
		t.Run(name, func(t *testing.T) {
			cfg := tinyConfig(c.emb, c.act)
			cfg.Exponent = 0.5
			cfg.Coupling, cfg.Experts = c.cp, c.k
			cfg.FourierScale = 0.3 // keep the Fourier features slow so finite differences resolve them
			if c.inF != 0 {
				// input features up to 0.8 cycles per unit: the third
				// derivative grows as (2πf)³, still far inside the tolerance;
				// a negative count means gated features
				cfg.InputFrequencies, cfg.InputMaxFrequency, cfg.InputGated = max(c.inF, -c.inF), 0.8, c.inF < 0
			}
			p, err := New(cfg, newRNG(1))
			if p != nil {
				p.SetPrecision(ad.Float64) // the reference, against finite differences
			}
			require.NoError(t, err)
			const B = 3
			z := []float64{0.3, -1.2, 0.8, 0.1, -0.5, 1.7}
			temps := []float64{1, 1.6, 0.7}
			tape := ad.NewTape()
			eval := func() (float64, *ad.Node, *ad.Node) {
				tape.Reset()
				zn := tape.Input(B, 2, z)
				l, err := p.LossWeighted(tape, zn, temps, c.w, newRNG(99))
				require.NoError(t, err)
				return l.Scalar(), l, zn
			}
			ad.ParamSet(p.Params()).ZeroGrad()
			_, loss, zn := eval()
			tape.Backward(loss)
			// Flatten (θ, z) into one vector for fd.
			var slots [][]float64
			var analytic []float64
			for _, q := range p.Params() {
				slots = append(slots, q.Data)
				analytic = append(analytic, q.Grad...)
			}
			slots = append(slots, z)
			analytic = append(analytic, zn.Grad...)
			var x0 []float64
			for _, s := range slots {
				x0 = append(x0, s...)
			}
			set := func(x []float64) {
				o := 0
				for _, s := range slots {
					o += copy(s, x[o:o+len(s)])
				}
			}
			numeric := fd.Gradient(nil, func(x []float64) float64 {
				set(x)
				l, _, _ := eval()
				return l
			}, x0, &fd.Settings{Formula: fd.Central})
			set(x0)
			nz := len(z)
			bad := 0
			for j := range numeric {
				if tol := 1e-6 * math.Max(1, math.Abs(numeric[j])); !(math.Abs(analytic[j]-numeric[j]) <= tol) {
					what := "θ"
					if j >= len(numeric)-nz {
						what = "z"
					}
					if bad++; bad < 10 {
						testutil.InDelta(t, numeric[j], analytic[j], tol, "∂L/∂%s[%d]: tape against the finite difference", what, j)
					}
				}
			}
			// The z gradient must be non-trivial, or the check is vacuous.
			nonzero := 0
			for _, g := range analytic[len(analytic)-nz:] {
				if math.Abs(g) > 1e-6 {
					nonzero++
				}
			}
			assert.GreaterOrEqual(t, nonzero, nz/3, "non-zero z-gradient entries of %d", nz)
		})
	}
}

// TestInferMatchesTape checks that the allocation-free forward pass of the
// sampler computes the same ε_θ as the tape network (up to summation order:
// relative 1e−12).
func TestInferMatchesTape(t *testing.T) {
	for _, emb := range []Embedding{Smooth, Fourier} {
		for _, prec := range []ad.Precision{ad.Float64, ad.Float32} {
			// default (full-size) network, with every coupling
			cfg := Config{KTRef: 0.5, Embedding: emb, Coupling: Coupling(int(prec)+2*int(emb)) % 3}
			if cfg.Coupling == CouplingLinear {
				cfg.Experts = 3
			}
			if emb == Fourier {
				cfg.InputFrequencies = 5 // and sinusoidal input features,
				cfg.InputGated = prec == ad.Float32
			}
			p, err := New(cfg, newRNG(2))
			require.NoError(t, err)
			p.SetPrecision(prec)
			// float64: summation order only; float32: a few ulps (6e−8) per
			// operation through 7 layers of up to 64 terms.
			tol := 1e-12
			if prec == ad.Float32 {
				tol = 1e-4
			}
			const m, T = 70, 0.8 // a full tile and a partial one
			rng := newRNG(3)
			z := make([]float64, m*2)
			for j := range z {
				z[j] = rng.NormFloat64()
			}
			f := p.newInfer()
			f.setTemp(T / cfg.KTRef)
			for _, i := range []int{0, 37, 99} {
				f.eps = make([]float64, m*2)
				got := append([]float64(nil), f.predict(z, m, i)...)
				ne := p.embDim()
				e, rr, sq := make([]float64, m*ne), make([]float64, m), make([]float64, m)
				for r := range m {
					p.tapeEmb(e[r*ne:(r+1)*ne], i, T/cfg.KTRef)
					rr[r] = T / cfg.KTRef
					sq[r] = math.Sqrt(p.sched.AlphaBar(i))
				}
				tape := ad.NewTape()
				want := p.tapeNetwork(tape, tape.Const(m, 2, z), tape.Const(m, ne, e), rr, sq).Data
				for j := range want {
					testutil.InDelta(t, want[j], got[j], tol*math.Max(1, math.Abs(want[j])), "%v %v %v step %d: ε[%d] against the tape", emb, prec, cfg.Coupling, i, j)
				}
			}
		}
	}
}

// TestCouplingLinearForm checks the temperature dependence that
// CouplingLinear builds in: at fixed (z, i), ε_θ/r^(2a−1) is affine in
// r = T/T_ref, so its second difference over r = 1, 2, 3 vanishes (to
// rounding: the three predictions are O(1), float64, so 1e−12), for a = ½
// and a = 1; with the temperature embedded (CouplingEmbedded) it does not,
// which shows the check can fail.
func TestCouplingLinearForm(t *testing.T) {
	secondDiff := func(cp Coupling, a float64) float64 {
		cfg := tinyConfig(Smooth, SiLU)
		cfg.Coupling, cfg.Exponent = cp, a
		p, err := New(cfg, newRNG(4))
		require.NoError(t, err)
		p.SetPrecision(ad.Float64)
		f := p.newInfer()
		z := []float64{0.4, -1.1, 1.3, 0.2}
		var eps [3][]float64
		for k := range eps {
			r := float64(k + 1)
			f.setTemp(r)
			eps[k] = append([]float64(nil), f.predict(z, 2, 3)...)
			for j := range eps[k] {
				eps[k][j] /= math.Pow(r, 2*a-1)
			}
		}
		worst := 0.0
		for j := range z {
			worst = max(worst, math.Abs(eps[2][j]-2*eps[1][j]+eps[0][j]))
		}
		return worst
	}
	for _, a := range []float64{0.5, 1} {
		assert.Less(t, secondDiff(CouplingLinear, a), 1e-12, "linear coupling, a = %g: ε/r^(2a−1) not affine in r", a)
	}
	assert.Greater(t, secondDiff(CouplingEmbedded, 0.5), 1e-6, "embedded coupling: affine in r, so the check is vacuous")
	c, err := ParseCoupling("embedded+linear")
	require.NoError(t, err)
	assert.Equal(t, CouplingEmbeddedLinear, c)
	_, err = ParseCoupling("affine")
	testutil.WantErr(t, err, "coupling")
	_, err = New(Config{KTRef: 1, Coupling: 3}, newRNG(1))
	testutil.WantErr(t, err, "Coupling")
	_, err = New(Config{KTRef: 1, Experts: 2}, newRNG(1))
	testutil.WantErr(t, err, "Experts = 2 needs a linear Coupling")
	_, err = New(Config{KTRef: 1, Coupling: CouplingLinear, Experts: maxExperts + 1}, newRNG(1))
	testutil.WantErr(t, err, "Experts")
}

// TestLossWeighted checks LossWeighted against Loss: equal weights give the
// same value, and weights (1, 0) give the loss of the first row alone (the
// draws for row 0 come first from the same seed).
func TestLossWeighted(t *testing.T) {
	p, _ := New(tinyConfig(Smooth, SiLU), newRNG(1))
	p.SetPrecision(ad.Float64) // identities to 1e−14
	z := []float64{0.3, -1.2, 0.8, 0.1}
	temps := []float64{1, 1.6}
	tape := ad.NewTape()
	val := func(rows int, w []float64) float64 {
		tape.Reset()
		l, err := p.LossWeighted(tape, tape.Const(rows, 2, z[:2*rows]), temps[:rows], w, newRNG(5))
		require.NoError(t, err)
		return l.Scalar()
	}
	plain := val(2, nil)
	testutil.InDelta(t, plain, val(2, []float64{3, 3}), 1e-14*plain, "equal weights against unweighted")
	first := val(1, nil)
	testutil.InDelta(t, first, val(2, []float64{1, 0}), 1e-14*first, "weights (1, 0) against the loss of row 0 alone")
	assert.False(t, math.Abs(val(2, []float64{1, 0})-plain) < 1e-6*plain, "weights (1, 0) give the unweighted loss: weights ignored")
	tape.Reset()
	for _, w := range [][]float64{{1}, {1, -1}, {0, 0}, {1, math.NaN()}} {
		_, err := p.LossWeighted(tape, tape.Const(2, 2, z), temps, w, newRNG(5))
		assert.Error(t, err, "weights %v", w)
	}
}

// tapeNetwork records ε_θ on t from tape ops, one node per layer, for noised
// latents zi (R×d), the embedding matrix e (R×embDim, rows from tapeEmb)
// the rows' reduced temperatures r and √ᾱ of their steps sqab: the
// reference the fused network (Prior.network) and the sampler are tested
// against.
func (p *Prior) tapeNetwork(t *ad.Tape, zi, e *ad.Node, r, sqab []float64) *ad.Node {
	h := p.inputs(t, zi, sqab)
	last := len(p.layers) - 1
	act := p.cfg.Act.ad()
	for _, l := range p.layers[:last] {
		a := t.AffineAct2(h, t.Param(l.W), e, t.Param(l.P), t.Param(l.B), act)
		if l.residual {
			a = t.Add(a, h)
		}
		h = a
	}
	out := p.layers[last]
	y := t.Affine(h, t.Param(out.W), t.Param(out.B))
	if !p.cfg.Coupling.linearHead() {
		return y
	}
	// ε = Σ_k w_k (μ A_k + ν B_k), w = softmax(s − e/r), from tape ops.
	d, K := p.cfg.Dim, p.cfg.Experts
	mu, nu, ir := make([]float64, len(r)), make([]float64, len(r)), make([]float64, len(r))
	for k, v := range r {
		mu[k] = math.Pow(v, 2*p.cfg.exponent()-1)
		nu[k] = mu[k] * (v - 1)
		ir[k] = 1 / v
	}
	form := func(k int) *ad.Node {
		return t.Add(t.ScaleRows(t.SliceCols(y, k*d, (k+1)*d), mu), t.ScaleRows(t.SliceCols(y, (K+k)*d, (K+k+1)*d), nu))
	}
	if K == 1 {
		return form(0)
	}
	o := 2 * K * d
	w := t.Exp(t.LogSoftmax(t.Sub(t.SliceCols(y, o, o+K), t.ScaleRows(t.SliceCols(y, o+K, o+2*K), ir))))
	var eps *ad.Node
	for k := range K {
		wk := t.SliceCols(w, k, k+1)
		wd := wk
		for range d - 1 {
			wd = t.ConcatCols(wd, wk)
		}
		term := t.Mul(wd, form(k))
		if eps == nil {
			eps = term
		} else {
			eps = t.Add(eps, term)
		}
	}
	return eps
}

// tapeEmb writes the embedding row of step i and reduced temperature r
// (len embDim) into dst.
func (p *Prior) tapeEmb(dst []float64, i int, r float64) {
	ed := p.emb.dim()
	p.emb.step(dst[:ed], i)
	if p.cfg.Coupling.embedsTemp() {
		p.emb.temp(dst[ed:2*ed], r)
	}
}

// tapeLoss is LossWeighted built from tape ops with the same draws: the
// reference of the fused loss.
func (p *Prior) tapeLoss(t *ad.Tape, z *ad.Node, temps, w []float64, rng *rand.Rand) *ad.Node {
	d, M, ne := p.cfg.Dim, p.cfg.Replicas, p.embDim()
	R := z.Rows * M
	sqab, noise, eps, emb, wr, rr := make([]float64, R), make([]float64, R*d), make([]float64, R*d), make([]float64, R*ne), make([]float64, R), make([]float64, R)
	for b, T := range temps {
		sig := math.Pow(T/p.cfg.KTRef, p.cfg.Exponent)
		for m := range M {
			r := b*M + m
			i := p.drawStep(rng)
			ab := p.sched.AlphaBar(i)
			sqab[r] = math.Sqrt(ab)
			for k := range d {
				e := sig * rng.NormFloat64()
				eps[r*d+k], noise[r*d+k] = e, math.Sqrt(1-ab)*e
			}
			p.tapeEmb(emb[r*ne:(r+1)*ne], i, T/p.cfg.KTRef)
			rr[r] = T / p.cfg.KTRef
			wr[r] = 1
			if w != nil {
				wr[r] = w[b]
			}
		}
	}
	zi := t.Add(t.ScaleRows(t.RepeatRows(z, M), sqab), t.Const(R, d, noise))
	pred := p.tapeNetwork(t, zi, t.Const(R, ne, emb), rr, sqab)
	perRow := t.RowSum(t.Square(t.Sub(pred, t.Const(R, d, eps))))
	return t.Scale(t.WeightedMeanRows(perRow, wr), 0.5/float64(d))
}

// TestFusedLossMatchesTape checks the fused loss (embedding tables, one
// CondMLP op) against the tape reference with the same draws: value and
// gradients of every parameter and of z agree to 1e−11 relative in float64
// (summation order only) and to 1e−4 of each gradient's scale in float32.
func TestFusedLossMatchesTape(t *testing.T) {
	for _, emb := range []Embedding{Smooth, Fourier} {
		for _, prec := range []ad.Precision{ad.Float64, ad.Float32} {
			// every coupling, and a = ½ (where Linear's prefactor is 1) and 1
			cp := Coupling(int(prec)+2*int(emb)) % 3
			cfg := Config{KTRef: 0.5, Embedding: emb, Replicas: 5, Coupling: cp}
			if cp == CouplingEmbeddedLinear {
				cfg.Experts = 4
			}
			if emb == Fourier {
				cfg.InputFrequencies = 5 // and sinusoidal input features
			}
			if emb == Fourier {
				cfg.Exponent = 0.5
			}
			p, err := New(cfg, newRNG(2))
			require.NoError(t, err)
			p.SetPrecision(prec)
			rng := newRNG(3)
			const B = 37
			z, temps, w := make([]float64, B*2), make([]float64, B), make([]float64, B)
			for b := range B {
				z[2*b], z[2*b+1] = rng.NormFloat64(), rng.NormFloat64()
				temps[b] = []float64{0.5, 0.8, 1.1}[b%3]
				w[b] = 0.2 + rng.Float64()
			}
			for _, wt := range [][]float64{nil, w} {
				grads := func(fused bool) (float64, [][]float64) {
					ad.ParamSet(p.Params()).ZeroGrad()
					tp := ad.NewTape()
					zn := tp.Input(B, 2, z)
					var l *ad.Node
					if fused {
						l, err = p.LossWeighted(tp, zn, temps, wt, newRNG(9))
						require.NoError(t, err)
					} else {
						l = p.tapeLoss(tp, zn, temps, wt, newRNG(9))
					}
					tp.Backward(tp.Scale(l, 1.3))
					g := [][]float64{append([]float64(nil), zn.Grad...)}
					for _, q := range p.Params() {
						g = append(g, append([]float64(nil), q.Grad...))
					}
					return l.Scalar(), g
				}
				l0, g0 := grads(false)
				l1, g1 := grads(true)
				tol := 1e-11
				if prec == ad.Float32 {
					tol = 1e-4
				}
				require.InDelta(t, l0, l1, tol*l0, "%v %v %v", emb, prec, cp)
				for i := range g0 {
					scale := 0.0
					for _, v := range g0[i] {
						scale = max(scale, math.Abs(v))
					}
					if prec == ad.Float64 {
						scale = 1
					}
					for j := range g0[i] {
						require.InDelta(t, g0[i][j], g1[i][j], tol*max(scale, math.Abs(g0[i][j])), "%v %v weighted %v: gradient %d [%d]", emb, prec, wt != nil, i, j)
					}
				}
			}
		}
	}
}
