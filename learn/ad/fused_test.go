package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// fusedCase is a small CondMLP problem: widths 3→5→5→4→2 with a residual
// on the 5→5 layer, two key slots (tables of 4 and 3 rows), a bias on the
// first hidden layer and on the output.
type fusedCase struct {
	R, nKeys     int
	keys         []int
	target, coef []float64
	vars         []varSpec
}

func newFusedCase(rng *rand.Rand, R int) fusedCase {
	c := fusedCase{R: R, nKeys: 2}
	for range R {
		c.keys = append(c.keys, rng.IntN(4), rng.IntN(3))
		c.coef = append(c.coef, 0.1+rng.Float64())
	}
	for range R * 2 {
		c.target = append(c.target, rng.NormFloat64())
	}
	c.vars = []varSpec{{rows: R, cols: 3},
		{rows: 5, cols: 3}, {rows: 1, cols: 5}, {rows: 4, cols: 5}, {rows: 3, cols: 5}, // layer 0: W, B, tables
		{rows: 5, cols: 5}, {rows: 4, cols: 5}, {rows: 3, cols: 5}, // layer 1 (residual)
		{rows: 4, cols: 5}, {rows: 4, cols: 4}, {rows: 3, cols: 4}, // layer 2
		{rows: 2, cols: 4}, {rows: 1, cols: 2}} // output W, B
	return c
}

// layers arranges the inputs v (in the order of vars) as FusedLayers.
func (c fusedCase) layers(v []*Node) (*Node, []FusedLayer) {
	return v[0], []FusedLayer{
		{W: v[1], B: v[2], Tables: []*Node{v[3], v[4]}},
		{W: v[5], Tables: []*Node{v[6], v[7]}},
		{W: v[8], Tables: []*Node{v[9], v[10]}},
		{W: v[11], B: v[12]},
	}
}

// lossGrads records f on a fresh tape with ps as parameters, back-propagates
// seed·loss and returns the loss and a copy of every parameter's gradient.
func lossGrads(ps []*Param, seed float64, f func(tp *Tape, v []*Node) *Node) (float64, [][]float64) {
	ParamSet(ps).ZeroGrad()
	tp := NewTape()
	v := make([]*Node, len(ps))
	for i, p := range ps {
		v[i] = tp.Param(p)
	}
	loss := f(tp, v)
	tp.Backward(tp.Scale(loss, seed))
	var g [][]float64
	for _, p := range ps {
		g = append(g, append([]float64(nil), p.Grad...))
	}
	return loss.Scalar(), g
}

func (c fusedCase) op(act Act, p Precision) *CondMLP {
	return &CondMLP{Act: act, Residual: []bool{false, true, false}, Precision: p}
}

// forKernelPaths runs f with the AVX-512 kernels, with AVX2/FMA only and
// with the Go loops (each as far as the CPU has it), naming the path; off
// AVX-512, Float32 is forced to the float32 Go loops.
func forKernelPaths(t *testing.T, f func(path string)) {
	for _, p := range []struct {
		name     string
		avx, fma bool
	}{{"avx512", true, true}, {"avx2", false, true}, {"go", false, false}} {
		oldA, oldF := setAVX512(p.avx), setFMA(p.fma)
		forceFloat32 = !p.avx // run Float32 in float32 Go loops
		f(p.name)
		forceFloat32 = false
		setAVX512(oldA)
		setFMA(oldF)
	}
}

// TestCondMLPGrad checks the float64 CondMLP's gradient against finite
// differences (checkGrad) with every activation, on both kernel paths and
// with a row count that leaves a partial tile and a tail of < 4 rows.
func TestCondMLPGrad(t *testing.T) {
	forKernelPaths(t, func(path string) {
		for _, act := range []Act{ActSiLU, ActReLU, ActIdentity} {
			rng := rand.New(rand.NewPCG(7, uint64(act)))
			fc := newFusedCase(rng, fusedTile+7)
			op := fc.op(act, Float64)
			checkGrad(t, gradCase{
				name: fmt.Sprintf("CondMLP/%v/%s", act, path),
				vars: fc.vars,
				f: func(tp *Tape, v []*Node) *Node {
					x, ls := fc.layers(v)
					return op.Loss(tp, x, ls, fc.keys, fc.nKeys, fc.target, fc.coef)
				},
			}, 3)
		}
	})
}

// mixHead is a test Head: an output row [u | v] (2m wide) maps to
// μ_r·u + ν_r·v + κ_r·u⊙v (the product term makes it non-linear).
type mixHead struct{ f []float64 } // μ, ν, κ per row

func (h mixHead) Apply(r int, y, p []float64) {
	m := len(p)
	mu, nu, ka := h.f[3*r], h.f[3*r+1], h.f[3*r+2]
	for j := range p {
		p[j] = mu*y[j] + nu*y[m+j] + ka*y[j]*y[m+j]
	}
}

func (h mixHead) Grad(r int, y, dp, dy []float64) {
	m := len(dp)
	mu, nu, ka := h.f[3*r], h.f[3*r+1], h.f[3*r+2]
	for j, g := range dp {
		dy[j] = (mu + ka*y[m+j]) * g
		dy[m+j] = (nu + ka*y[j]) * g
	}
}

// TestCondMLPHeadGrad gradient-checks a CondMLP with a Head (an output
// layer twice the target's width, combined per row, non-linearly) and
// compares its loss with the same head built from tape ops.
func TestCondMLPHeadGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	fc := newFusedCase(rng, fusedTile+5)
	fc.vars[11], fc.vars[12] = varSpec{rows: 4, cols: 4}, varSpec{rows: 1, cols: 4}
	mix := make([]float64, 3*fc.R)
	for i := range mix {
		mix[i] = rng.NormFloat64()
		if i%3 == 2 {
			// A small product term: with κ ~ N(0, 1) the quartic loss
			// grows until the finite differences' rounding error
			// (~1e−16·|L|/h) reaches the 1e−6 tolerance.
			mix[i] *= 0.1
		}
	}
	op := fc.op(ActSiLU, Float64)
	op.Head = mixHead{mix}
	fused := func(tp *Tape, v []*Node) *Node {
		x, ls := fc.layers(v)
		return op.Loss(tp, x, ls, fc.keys, fc.nKeys, fc.target, fc.coef)
	}
	checkGrad(t, gradCase{name: "CondMLP/Head", vars: fc.vars, f: fused}, 3)

	// The loss is that of μ_r·u_r + ν_r·v_r + κ_r·u_r⊙v_r for the rows
	// [u_r | v_r] of the same network built from tape ops.
	ps := newVars(gradCase{vars: fc.vars}, rng)
	l1, g1 := lossGrads(ps, 1, fused)
	l0, g0 := lossGrads(ps, 1, func(tp *Tape, v []*Node) *Node {
		x, ls := fc.layers(v)
		h := fc.tapeNet(tp, x, ls)
		mu, nu, ka := make([]float64, fc.R), make([]float64, fc.R), make([]float64, fc.R)
		for r := range fc.R {
			mu[r], nu[r], ka[r] = mix[3*r], mix[3*r+1], mix[3*r+2]
		}
		u, w := tp.SliceCols(h, 0, 2), tp.SliceCols(h, 2, 4)
		y := tp.Add(tp.Add(tp.ScaleRows(u, mu), tp.ScaleRows(w, nu)), tp.ScaleRows(tp.Mul(u, w), ka))
		d := tp.RowSum(tp.Square(tp.Sub(y, tp.Const(fc.R, 2, fc.target))))
		return tp.Scale(tp.Sum(tp.Mul(d, tp.Const(fc.R, 1, fc.coef))), 0.5)
	})
	require.InDelta(t, l0, l1, 1e-12*math.Abs(l0))
	for i := range g0 {
		for j := range g0[i] {
			require.InDelta(t, g0[i][j], g1[i][j], 1e-11*max(1, math.Abs(g0[i][j])), "input %d [%d]", i, j)
		}
	}
}

// tapeNet builds fc's network from tape ops (AffineAct, GatherRows, Add)
// and returns its output rows.
func (fc fusedCase) tapeNet(tp *Tape, x *Node, ls []FusedLayer) *Node {
	k0, k1 := make([]int, fc.R), make([]int, fc.R)
	for r := range fc.R {
		k0[r], k1[r] = fc.keys[2*r], fc.keys[2*r+1]
	}
	h := x
	for k, l := range ls {
		if k == len(ls)-1 {
			return tp.Affine(h, l.W, l.B)
		}
		a := tp.Affine(h, l.W, l.B)
		a = tp.Add(a, tp.Add(tp.GatherRows(l.Tables[0], k0), tp.GatherRows(l.Tables[1], k1)))
		a = tp.Activate(a, ActSiLU)
		if k == 1 {
			a = tp.Add(a, h)
		}
		h = a
	}
	return h
}

// TestCondMLPMatchesTape compares the fused float64 loss and gradients with
// the same network built from tape ops (AffineAct, GatherRows, Add, MSE).
func TestCondMLPMatchesTape(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 2))
	fc := newFusedCase(rng, 2*fusedTile+3)
	ps := newVars(gradCase{vars: fc.vars}, rng)
	run := func(fused bool) (float64, [][]float64) {
		return lossGrads(ps, 1.7, func(tp *Tape, v []*Node) *Node {
			x, ls := fc.layers(v)
			if fused {
				return fc.op(ActSiLU, Float64).Loss(tp, x, ls, fc.keys, fc.nKeys, fc.target, fc.coef)
			}
			h := fc.tapeNet(tp, x, ls)
			d := tp.RowSum(tp.Square(tp.Sub(h, tp.Const(fc.R, 2, fc.target))))
			return tp.Scale(tp.Sum(tp.Mul(d, tp.Const(fc.R, 1, fc.coef))), 0.5)
		})
	}
	l0, g0 := run(false)
	l1, g1 := run(true)
	// Same maths in another summation order: agreement to ~1e−15 relative.
	require.InDelta(t, l0, l1, 1e-12*math.Abs(l0))
	for i := range g0 {
		for j := range g0[i] {
			require.InDelta(t, g0[i][j], g1[i][j], 1e-11*max(1, math.Abs(g0[i][j])), "input %d [%d]", i, j)
		}
	}
}

// TestCondMLPFloat32 checks the float32 path against float64 on both
// kernel paths: relative differences of a few float32 ulps (ε = 6e−8) per
// operation, accumulated over ~10 layers and sums of ~100 terms, stay below
// 1e−4 of the gradient's scale.
func TestCondMLPFloat32(t *testing.T) {
	forKernelPaths(t, func(path string) {
		rng := rand.New(rand.NewPCG(5, 9))
		fc := newFusedCase(rng, 3*fusedTile+5)
		ps := newVars(gradCase{vars: fc.vars}, rng)
		run := func(p Precision) (float64, [][]float64) {
			return lossGrads(ps, 1, func(tp *Tape, v []*Node) *Node {
				x, ls := fc.layers(v)
				return fc.op(ActSiLU, p).Loss(tp, x, ls, fc.keys, fc.nKeys, fc.target, fc.coef)
			})
		}
		l64, g64 := run(Float64)
		l32, g32 := run(Float32)
		require.InDelta(t, l64, l32, 1e-5*math.Abs(l64), path)
		for i := range g64 {
			scale := 0.0
			for _, v := range g64[i] {
				scale = max(scale, math.Abs(v))
			}
			for j := range g64[i] {
				require.InDelta(t, g64[i][j], g32[i][j], 1e-4*scale, "%s: input %d [%d]", path, i, j)
			}
		}
	})
}

// TestFusedKernels compares the assembly kernels with the Go loops on
// shapes that exercise every mask and tail: the AVX2/FMA float32 path
// (forced with setAVX512(false) on an AVX-512 machine) and the AVX-512
// kernels.
func TestFusedKernels(t *testing.T) {
	t.Run("avx2", func(t *testing.T) {
		if !hasFMA {
			t.Skip("no AVX2/FMA")
		}
		old := setAVX512(false)
		defer setAVX512(old)
		rng := rand.New(rand.NewPCG(3, 4))
		testGemmKernel[float32](t, rng, 1e-5)
		checkSiLU32(t, rng, func(a, g []float32) { actFwd(ActSiLU, a, g) })
	})
	t.Run("avx512", func(t *testing.T) {
		if !cpuHasAVX512 {
			t.Skip("no AVX-512")
		}
		rng := rand.New(rand.NewPCG(1, 2))
		testGemmKernel[float32](t, rng, 1e-5)
		testGemmKernel[float64](t, rng, 1e-13)
		checkSiLU32(t, rng, func(a, g []float32) { silu32(&a[0], &g[0], len(a)) })
	})
}

// checkSiLU32 checks a float32 SiLU kernel (a ← SiLU(a), g ← SiLU'(a))
// against float64 maths, to 3e−7 relative (a few float32 ulps).
func checkSiLU32(t *testing.T, rng *rand.Rand, silu func(a, g []float32)) {
	for _, n := range []int{1, 7, 16, 17, 33, 64, 100, 300} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(12 * rng.NormFloat64())
		}
		x[0] = 95 // e^{−x} near float32 underflow
		if n > 1 {
			x[1] = -95 // and overflow
		}
		a, g := append([]float32(nil), x...), make([]float32, n)
		silu(a, g)
		for i, v := range x {
			s := 1 / (1 + math.Exp(-float64(v)))
			u := float64(v) * s
			require.InDelta(t, u, float64(a[i]), 3e-7*max(1, math.Abs(u)), "silu(%g)", v)
			require.InDelta(t, s+u*(1-s), float64(g[i]), 3e-7*max(1, math.Abs(u)), "silu'(%g)", v)
		}
	}
}

func testGemmKernel[F Float](t *testing.T, rng *rand.Rand, tol float64) {
	fill := func(n int) []F {
		x := make([]F, n)
		for i := range x {
			x[i] = F(rng.NormFloat64())
		}
		return x
	}
	for _, m := range []int{1, 3, 4, 8, 9} {
		for _, n := range []int{1, 2, 8, 15, 16, 17, 31, 32, 33, 64, 65, 100} {
			for _, k := range []int{1, 2, 3, 16, 64} {
				for _, tr := range []bool{false, true} {
					ars, acs := k, 1
					if tr {
						ars, acs = 1, m
					}
					ldc, ldb := n+3, n+1
					a, b, c := fill(m*k), fill(k*ldb), fill(m*ldc)
					want := append([]F(nil), c...)
					gemmAccGo(want, ldc, a, ars, acs, b, ldb, m, n, k)
					gemmAcc(c, ldc, a, ars, acs, b, ldb, m, n, k)
					for i := range c {
						require.InDelta(t, float64(want[i]), float64(c[i]), tol*float64(k+1), "m %d n %d k %d tr %v [%d]", m, n, k, tr, i)
					}
				}
			}
		}
	}
	for _, w := range []int{1, 7, 8, 16, 17, 33, 64, 65} {
		const rows, ks, nt = 21, 2, 5
		seq, tab := fill(rows*w), fill(nt*w)
		keys := make([]int, rows*ks)
		for i := range keys {
			keys[i] = rng.IntN(nt) // repeated keys: the scatter must add each row
			if i >= 2 && rng.IntN(2) == 0 {
				keys[i] = keys[i-2] // runs of equal keys in slot i mod 2
			}
		}
		for _, scatter := range []bool{false, true} {
			s0, t0 := append([]F(nil), seq...), append([]F(nil), tab...)
			s1, t1 := append([]F(nil), seq...), append([]F(nil), tab...)
			tableRows(s0, t0, keys[1:], ks, rows, w, scatter)
			old, oldF := setAVX512(false), setFMA(false) // the Go loops
			tableRows(s1, t1, keys[1:], ks, rows, w, scatter)
			setAVX512(old)
			setFMA(oldF)
			require.Equal(t, s1, s0, "width %d scatter %v", w, scatter)
			require.Equal(t, t1, t0, "width %d scatter %v", w, scatter)
		}
	}
	for _, n := range []int{1, 5, 8, 16, 17, 40} {
		x, y, d := fill(n), fill(n), fill(n)
		want := make([]F, n)
		for i := range want {
			want[i] = d[i] + x[i]
		}
		vadd(d, x)
		require.Equal(t, want, d)
		for i := range want {
			want[i] = x[i] * y[i]
		}
		vmulTo(d, x, y)
		require.Equal(t, want, d)
	}
}
