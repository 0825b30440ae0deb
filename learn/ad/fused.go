package ad

import (
	"fmt"
	"unsafe"
)

// Precision selects the arithmetic of a fused network (CondMLP).
type Precision int

const (
	// Float32 (the zero value, so the default) runs it in float32: twice
	// the SIMD lanes and half the memory traffic of float64. Inputs,
	// parameters and gradients stay float64 at the op's boundary, and the
	// per-row losses are accumulated in float64. It needs AVX-512F; on
	// other CPUs it computes in float64 (see float32Path).
	Float32 Precision = iota
	// Float64 runs the fused network in float64, the reference arithmetic
	// that is gradient-checked against finite differences.
	Float64
)

// String returns the precision's name.
func (p Precision) String() string {
	switch p {
	case Float64:
		return "float64"
	case Float32:
		return "float32"
	}
	return fmt.Sprintf("Precision(%d)", int(p))
}

// FusedLayer names the tape nodes of one layer of a CondMLP: the weight W
// (out×in, PyTorch layout), an optional bias B (1×out) and, for a
// conditioned layer, one table per key slot (Tables[j] is n_j×out and row
// keys[r·nKeys+j] of it is added to the pre-activation of row r).
type FusedLayer struct {
	W, B   *Node
	Tables []*Node
}

// CondMLP is a residual MLP with per-row additive conditioning, fused into
// one tape op (forward and backward layer by layer over cache-resident tiles
// of rows, no tape nodes inside). For rows x_r, with keys κ_{r,j}:
//
//	h_0 = x_r
//	a_k = h_{k−1}·W_kᵀ + b_k + Σ_j T_{k,j}[κ_{r,j}]        (hidden layers k = 1…L−1)
//	h_k = act(a_k) (+ h_{k−1} if Residual[k−1])
//	y_r = h_{L−1}·W_Lᵀ + b_L                                (output layer, no activation)
//
// and Loss returns ½ Σ_r c_r ‖y_r − target_r‖². With a Head, the loss is
// ½ Σ_r c_r ‖h_r(y_r) − target_r‖² instead: a per-row differentiable map
// from the output layer to the prediction (for example one that depends on
// a per-row temperature in a prescribed way). Tables turn an additive
// embedding projection e·Pᵀ that takes few distinct values (a diffusion
// step index, a temperature) into lookups: the caller builds T = E·Pᵀ on
// the tape, so their gradient Σ_{rows with key κ} ∂/∂a reaches P there.
//
// Loss computes the gradient of every input in the same pass over a tile
// (unless the tape is in NoGrad mode) and keeps it until Backward scales it
// by the upstream gradient, so the network's activations never leave the
// cache. A CondMLP holds that state: one Loss per CondMLP per tape pass,
// and not concurrently.
type CondMLP struct {
	Act       Act    // hidden activation: ActIdentity, ActReLU or ActSiLU
	Residual  []bool // per hidden layer: add its input (widths must agree)
	Precision Precision
	// Head, if not nil, maps each row's output to its prediction (see
	// CondMLP and Head); it must not change until Backward.
	Head Head

	s64 fusedState[float64]
	s32 fusedState[float32]
	ins []*Node
}

// Head is a per-row differentiable map h_r from a CondMLP's output row y
// (the output layer's width) to the prediction p compared with the target
// (the target's width).
type Head interface {
	// Apply writes p = h_r(y) for row r.
	Apply(r int, y, p []float64)
	// Grad writes dy = (∂h_r/∂y)ᵀ·dp for row r. CondMLP calls it right
	// after Apply of the same row and y, so a head may reuse what Apply
	// computed.
	Grad(r int, y, dp, dy []float64)
}

// fusedTile is the number of rows a CondMLP pushes through all layers at
// once: 64 rows of the widest (64) layer are 16 KiB in float32, so the
// activations of all layers of a tile stay in L2.
const fusedTile = 64

// Loss records ½ Σ_r coef[r]·‖net(x_r) − target_r‖² on t as a 1×1 node (see
// CondMLP). x is R×in, layers the hidden layers then the output layer,
// keys R×nKeys row-major, target R×out and coef len R; keys, target and
// coef must not change until Backward. It panics on inconsistent shapes or
// out-of-range keys, naming the layer.
func (o *CondMLP) Loss(t *Tape, x *Node, layers []FusedLayer, keys []int, nKeys int, target, coef []float64) *Node {
	o.check(x, layers, keys, nKeys, target, coef)
	o.ins = append(o.ins[:0], x)
	for _, l := range layers {
		o.ins = append(o.ins, l.W)
		if l.B != nil {
			o.ins = append(o.ins, l.B)
		}
		o.ins = append(o.ins, l.Tables...)
	}
	n := t.Custom(o, 1, 1, o.ins...)
	grad := n.Grad != nil && !t.NoGrad()
	if o.float32() {
		n.Data[0] = o.s32.run(o, x, layers, keys, nKeys, target, coef, grad)
	} else {
		n.Data[0] = o.s64.run(o, x, layers, keys, nKeys, target, coef, grad)
	}
	return n
}

func (o *CondMLP) check(x *Node, layers []FusedLayer, keys []int, nKeys int, target, coef []float64) {
	R := x.Rows
	if len(layers) < 1 {
		panic("ad: CondMLP.Loss: no layers")
	}
	if len(o.Residual) != len(layers)-1 {
		panic(fmt.Sprintf("ad: CondMLP.Loss: %d Residual flags for %d hidden layers", len(o.Residual), len(layers)-1))
	}
	if o.Act != ActIdentity && o.Act != ActReLU && o.Act != ActSiLU {
		panic(fmt.Sprintf("ad: CondMLP.Loss: activation %v not supported", o.Act))
	}
	if nKeys < 0 || len(keys) != R*nKeys {
		panic(fmt.Sprintf("ad: CondMLP.Loss: len(keys) = %d, want %d rows × %d keys", len(keys), R, nKeys))
	}
	in := x.Cols
	for k, l := range layers {
		if l.W.Cols != in {
			panic(fmt.Sprintf("ad: CondMLP.Loss: layer %d: W is %d×%d, input width %d", k, l.W.Rows, l.W.Cols, in))
		}
		out := l.W.Rows
		if l.B != nil && (l.B.Rows != 1 || l.B.Cols != out) {
			panic(fmt.Sprintf("ad: CondMLP.Loss: layer %d: bias is %d×%d, want 1×%d", k, l.B.Rows, l.B.Cols, out))
		}
		if k < len(layers)-1 {
			if len(l.Tables) != nKeys {
				panic(fmt.Sprintf("ad: CondMLP.Loss: layer %d: %d tables for %d keys", k, len(l.Tables), nKeys))
			}
			if o.Residual[k] && in != out {
				panic(fmt.Sprintf("ad: CondMLP.Loss: layer %d: residual from width %d to %d", k, in, out))
			}
		} else if len(l.Tables) != 0 {
			panic("ad: CondMLP.Loss: the output layer has tables")
		}
		for j, tb := range l.Tables {
			if tb.Cols != out {
				panic(fmt.Sprintf("ad: CondMLP.Loss: layer %d table %d has %d columns, want %d", k, j, tb.Cols, out))
			}
			for r := range R {
				if v := keys[r*nKeys+j]; v < 0 || v >= tb.Rows {
					panic(fmt.Sprintf("ad: CondMLP.Loss: keys[%d][%d] = %d outside table %d×%d of layer %d", r, j, v, tb.Rows, tb.Cols, k))
				}
			}
		}
		in = out
	}
	if o.Head != nil && R > 0 {
		in = len(target) / R // the head's prediction width
	}
	if len(target) != R*in || len(coef) != R {
		panic(fmt.Sprintf("ad: CondMLP.Loss: len(target) = %d, len(coef) = %d, want %d×%d and %d", len(target), len(coef), R, in, R))
	}
}

// float32Path reports whether a fused op computes in float32: when
// Precision asks for it and the CPU has the AVX-512 kernels or AVX2/FMA
// (8-lane float32 products, gemm32Avx2; the other element-wise loops in
// Go). Without either, Float32 computes in float64, which is faster there
// (Go loops without the float32 conversions and float64 exponentials);
// results then match Float64. Tests set forceFloat32 to cover the float32
// Go loops, and setAVX512(false) for the AVX2 path.
func float32Path(p Precision) bool { return p == Float32 && (hasAVX512 || hasFMA || forceFloat32) }

var forceFloat32 = false

func (o *CondMLP) float32() bool { return float32Path(o.Precision) }

// Backward adds s·(saved gradient) into every input's Grad, s = out.Grad[0].
func (o *CondMLP) Backward(out *Node, ins []*Node) {
	if o.float32() {
		o.s32.backward(out.Grad[0], ins)
	} else {
		o.s64.backward(out.Grad[0], ins)
	}
}

// Float is the element type of the fused kernels.
type Float interface{ ~float32 | ~float64 }

// fusedState holds a CondMLP's converted parameters, tile buffers and
// saved gradients for one precision. Per layer k: w (out×in), b (out or
// nil), tab (one converted table per key slot); h[k] is the tile's input of
// layer k (h[L] the output), g[k] the activation's derivative.
type fusedState[F Float] struct {
	in, out  []int
	w, wt, b [][]F
	tab      [][][]F
	dw, db   [][]F
	dtab     [][][]F
	h, g     [][]F
	dh, dh2  []F
	da       []F
	dx       []float64
	grad     bool

	hy, hp, hdy []float64 // one row's output, prediction and output gradient (Head)
}

func growT[F Float](b []F, n int) []F {
	if cap(b) < n {
		return make([]F, n)
	}
	return b[:n]
}

func toF[F Float](dst []F, src []float64) {
	for i, v := range src[:len(dst)] {
		dst[i] = F(v)
	}
}

// setup sizes the buffers and converts the parameters.
func (s *fusedState[F]) setup(x *Node, layers []FusedLayer, grad bool) {
	L := len(layers)
	if len(s.w) != L {
		s.in, s.out = make([]int, L), make([]int, L)
		s.w, s.wt, s.b, s.dw, s.db = make([][]F, L), make([][]F, L), make([][]F, L), make([][]F, L), make([][]F, L)
		s.tab, s.dtab = make([][][]F, L), make([][][]F, L)
		s.h, s.g = make([][]F, L+1), make([][]F, L)
	}
	maxW := x.Cols
	s.h[0] = growT(s.h[0], fusedTile*x.Cols)
	for k, l := range layers {
		in, out := l.W.Cols, l.W.Rows
		maxW = max(maxW, out)
		s.setLayer(k, l.W.Data, in, out)
		s.b[k] = s.b[k][:0]
		if l.B != nil {
			s.b[k] = growT(s.b[k], out)
			toF(s.b[k], l.B.Data)
		}
		if len(s.tab[k]) != len(l.Tables) {
			s.tab[k], s.dtab[k] = make([][]F, len(l.Tables)), make([][]F, len(l.Tables))
		}
		for j, tb := range l.Tables {
			s.tab[k][j] = growT(s.tab[k][j], len(tb.Data))
			toF(s.tab[k][j], tb.Data)
		}
		if grad {
			s.dw[k] = growT(s.dw[k], out*in)
			clear(s.dw[k])
			s.db[k] = growT(s.db[k], len(s.b[k]))
			clear(s.db[k])
			for j, tb := range l.Tables {
				s.dtab[k][j] = growT(s.dtab[k][j], len(tb.Data))
				clear(s.dtab[k][j])
			}
		}
	}
	s.dh = growT(s.dh, fusedTile*maxW)
	s.dh2 = growT(s.dh2, fusedTile*maxW)
	s.da = growT(s.da, fusedTile*maxW)
	if grad {
		s.dx = growT(s.dx, x.Rows*x.Cols)
	}
	s.grad = grad
}

// run computes the loss and, if grad, the gradients with unit seed.
func (s *fusedState[F]) run(o *CondMLP, x *Node, layers []FusedLayer, keys []int, nKeys int, target, coef []float64, grad bool) float64 {
	s.setup(x, layers, grad)
	R, L := x.Rows, len(layers)
	loss := 0.0
	for r0 := 0; r0 < R; r0 += fusedTile {
		nr := min(fusedTile, R-r0)
		toF(s.h[0][:nr*x.Cols], x.Data[r0*x.Cols:])
		// Forward.
		for k := range L {
			in, out := s.in[k], s.out[k]
			a, h := s.h[k+1][:nr*out], s.h[k][:nr*in]
			if len(s.b[k]) > 0 {
				for r := range nr {
					copy(a[r*out:(r+1)*out], s.b[k])
				}
			} else {
				clear(a)
			}
			for j, tb := range s.tab[k] {
				tableRows(a, tb, keys[r0*nKeys+j:], nKeys, nr, out, false)
			}
			gemmAcc(a, out, h, in, 1, s.wt[k], out, nr, out, in)
			if k < L-1 {
				actFwd(o.Act, a, s.g[k][:nr*out])
				if o.Residual[k] {
					vadd(a, h)
				}
			}
		}
		// Loss and its gradient at the output, dh = c_r (y_r − t_r), or
		// through the head, dh = c_r (∂h_r/∂y)ᵀ (h_r(y_r) − t_r).
		out := s.out[L-1]
		y := s.h[L][:nr*out]
		dh := s.dh[:nr*out]
		if o.Head == nil {
			for r := range nr {
				c := coef[r0+r]
				sum := 0.0
				for j := range out {
					d := float64(y[r*out+j]) - target[(r0+r)*out+j]
					sum += d * d
					dh[r*out+j] = F(c * d)
				}
				loss += 0.5 * c * sum
			}
		} else {
			m := len(target) / R
			s.hy, s.hp, s.hdy = growT(s.hy, out), growT(s.hp, m), growT(s.hdy, out)
			for r := range nr {
				for j := range out {
					s.hy[j] = float64(y[r*out+j])
				}
				o.Head.Apply(r0+r, s.hy, s.hp)
				c := coef[r0+r]
				sum := 0.0
				for j := range m {
					d := s.hp[j] - target[(r0+r)*m+j]
					sum += d * d
					s.hp[j] = c * d
				}
				loss += 0.5 * c * sum
				o.Head.Grad(r0+r, s.hy, s.hp, s.hdy)
				for j := range out {
					dh[r*out+j] = F(s.hdy[j])
				}
			}
		}
		if !grad {
			continue
		}
		// Backward, with dh the gradient of the current layer's output.
		for k := L - 1; k >= 0; k-- {
			in, out := s.in[k], s.out[k]
			dh, h := s.dh[:nr*out], s.h[k][:nr*in]
			da := dh // the output layer has no activation
			if k < L-1 {
				da = s.da[:nr*out]
				vmulTo(da, dh, s.g[k][:nr*out])
			}
			// dW += daᵀ·h, db += Σ_r da_r, table rows += da_r.
			gemmAcc(s.dw[k], in, da, 1, out, h, in, out, in, nr)
			if len(s.db[k]) > 0 {
				for r := range nr {
					vadd(s.db[k], da[r*out:(r+1)*out])
				}
			}
			for j, dt := range s.dtab[k] {
				tableRows(da, dt, keys[r0*nKeys+j:], nKeys, nr, out, true)
			}
			// dh_prev = da·W, plus dh itself through a residual skip.
			if k < L-1 && o.Residual[k] {
				gemmAcc(dh, in, da, out, 1, s.w[k], in, nr, in, out)
				continue
			}
			dp := s.dh2[:nr*in]
			clear(dp)
			gemmAcc(dp, in, da, out, 1, s.w[k], in, nr, in, out)
			s.dh, s.dh2 = s.dh2, s.dh
		}
		dxt := s.dh[:nr*x.Cols]
		for i, v := range dxt {
			s.dx[r0*x.Cols+i] = float64(v)
		}
	}
	return loss
}

func (s *fusedState[F]) backward(seed float64, ins []*Node) {
	if !s.grad {
		panic("ad: CondMLP: Backward on a pass recorded with NoGrad")
	}
	add := func(n *Node, g []F) {
		if n.Grad == nil {
			return
		}
		for i, v := range g {
			n.Grad[i] += seed * float64(v)
		}
	}
	x := ins[0]
	if x.Grad != nil {
		for i, v := range s.dx[:len(x.Grad)] {
			x.Grad[i] += seed * v
		}
	}
	i := 1
	for k := range s.w {
		add(ins[i], s.dw[k])
		i++
		if len(s.b[k]) > 0 {
			add(ins[i], s.db[k])
			i++
		}
		for j := range s.tab[k] {
			add(ins[i], s.dtab[k][j])
			i++
		}
	}
}

// isF32 reports whether F is float32 (a constant per instantiation).
func isF32[F Float]() bool { var z F; return unsafe.Sizeof(z) == 4 }

// CondMLPInfer evaluates a CondMLP's network without a tape for rows that
// share their conditioning, as in a diffusion sampler where one chunk of
// rows is at one step and one temperature: the tables' rows are then
// folded into a per-layer bias, h_k = act(h_{k−1}·W_kᵀ + c_k) (+ h_{k−1}).
// SetWeights converts the weights once; SetBias sets c_k; Forward runs.
// Not safe for concurrent use (one per goroutine).
type CondMLPInfer struct {
	Act       Act
	Residual  []bool
	Precision Precision

	s64 fusedState[float64]
	s32 fusedState[float32]
	f32 bool // computing in float32 (see CondMLP), set by SetWeights
}

// SetWeights sets the layers' weights ws[k] (out×in, row-major, of the
// given widths: layer k maps widths[k] to widths[k+1]) and clears the
// biases. It allocates only when the shapes grow.
func (f *CondMLPInfer) SetWeights(ws [][]float64, widths []int) {
	if len(ws) != len(widths)-1 || len(f.Residual) != len(ws)-1 {
		panic(fmt.Sprintf("ad: CondMLPInfer.SetWeights: %d weights, %d widths, %d residual flags", len(ws), len(widths), len(f.Residual)))
	}
	f.f32 = float32Path(f.Precision)
	if f.f32 {
		f.s32.setWeights(ws, widths)
	} else {
		f.s64.setWeights(ws, widths)
	}
}

// SetBias sets the bias c_k of layer k (len = its output width).
func (f *CondMLPInfer) SetBias(k int, c []float64) {
	if f.f32 {
		toF(f.s32.b[k], c)
	} else {
		copy(f.s64.b[k], c)
	}
}

// Forward writes the network's output for the rows×in matrix x into y
// (rows×out).
func (f *CondMLPInfer) Forward(y, x []float64, rows int) {
	if f.f32 {
		f.s32.infer(f.Act, f.Residual, y, x, rows)
	} else {
		f.s64.infer(f.Act, f.Residual, y, x, rows)
	}
}

func (s *fusedState[F]) setWeights(ws [][]float64, widths []int) {
	L := len(ws)
	if len(s.w) != L {
		s.in, s.out = make([]int, L), make([]int, L)
		s.w, s.wt, s.b = make([][]F, L), make([][]F, L), make([][]F, L)
		s.h, s.g = make([][]F, L+1), make([][]F, L)
	}
	s.h[0] = growT(s.h[0], fusedTile*widths[0])
	for k, w := range ws {
		in, out := widths[k], widths[k+1]
		if len(w) != out*in {
			panic(fmt.Sprintf("ad: CondMLPInfer.SetWeights: layer %d has %d weights, want %d×%d", k, len(w), out, in))
		}
		s.setLayer(k, w, in, out)
		s.b[k] = growT(s.b[k], out)
		clear(s.b[k])
	}
}

// setLayer converts layer k's weights w (out×in) to F, with their
// transpose, and sizes the layer's tile buffers.
func (s *fusedState[F]) setLayer(k int, w []float64, in, out int) {
	s.in[k], s.out[k] = in, out
	s.w[k] = growT(s.w[k], out*in)
	toF(s.w[k], w)
	s.wt[k] = growT(s.wt[k], in*out)
	for o := range out {
		for i := range in {
			s.wt[k][i*out+o] = s.w[k][o*in+i]
		}
	}
	s.h[k+1] = growT(s.h[k+1], fusedTile*out)
	s.g[k] = growT(s.g[k], fusedTile*out)
}

func (s *fusedState[F]) infer(act Act, residual []bool, y, x []float64, rows int) {
	L := len(s.w)
	in0, outL := s.in[0], s.out[L-1]
	for r0 := 0; r0 < rows; r0 += fusedTile {
		nr := min(fusedTile, rows-r0)
		toF(s.h[0][:nr*in0], x[r0*in0:])
		for k := range L {
			in, out := s.in[k], s.out[k]
			a, h := s.h[k+1][:nr*out], s.h[k][:nr*in]
			for r := range nr {
				copy(a[r*out:(r+1)*out], s.b[k])
			}
			gemmAcc(a, out, h, in, 1, s.wt[k], out, nr, out, in)
			if k < L-1 {
				var g []F // act' is not needed, but the float32 kernel writes it
				if isF32[F]() {
					g = s.g[k][:nr*out]
				}
				actFwd(act, a, g)
				if residual[k] {
					vadd(a, h)
				}
			}
		}
		for i, v := range s.h[L][:nr*outL] {
			y[r0*outL+i] = float64(v)
		}
	}
}
