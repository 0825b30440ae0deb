package ad

import (
	"fmt"
	"math"
)

// Act selects an elementwise activation for fused ops and MLP.
type Act int

// Activations. SiLU(x) = x·σ(x) (Hendrycks & Gimpel 2016; Elfwing et al. 2018),
// σ(x) = 1/(1+e^{−x}).
const (
	ActIdentity Act = iota
	ActReLU
	ActSiLU
	ActTanh
	ActSigmoid
)

// String returns the activation's name.
func (a Act) String() string {
	switch a {
	case ActIdentity:
		return "identity"
	case ActReLU:
		return "relu"
	case ActSiLU:
		return "silu"
	case ActTanh:
		return "tanh"
	case ActSigmoid:
		return "sigmoid"
	}
	return fmt.Sprintf("Act(%d)", int(a))
}

type opKind int

const (
	opConst opKind = iota
	opInput
	opParam
	opAffine
	opMatMul
	opActivate
	opExp
	opLog
	opSoftplus
	opSquare
	opScale
	opAddScalar
	opScaleRows
	opDetach
	opAdd
	opSub
	opMul
	opAddRow
	opMulRow
	opConcat
	opSlice
	opRepeat
	opSum
	opMean
	opRowSum
	opWMean
	opLogSoftmax
	opPick
	opNLL
	opReparam
	opGaussLogPDF
	opMixture
	opMSE
	opFourier
	opAffine2
	opGather
	opCustom
)

var opNames = [...]string{"Const", "Input", "Param", "AffineAct", "MatMul", "Activate", "Exp", "Log",
	"Softplus", "Square", "Scale", "AddScalar", "ScaleRows", "Detach", "Add", "Sub", "Mul",
	"AddRowBroadcast", "MulRowBroadcast", "ConcatCols", "SliceCols", "RepeatRows", "Sum", "Mean",
	"RowSum", "WeightedMeanRows", "LogSoftmax", "PickCols", "NLL", "Reparam", "GaussLogPDF",
	"MixtureLogPDF", "MSE", "Fourier", "AffineAct2", "GatherRows", "Custom"}

func (o opKind) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", int(o))
}

func shapePanic(op opKind, what string, a, b *Node) {
	panic(fmt.Sprintf("ad: %s: %s: %d×%d vs %d×%d", op, what, a.Rows, a.Cols, b.Rows, b.Cols))
}

func sameShape(op opKind, a, b *Node) {
	if a.Rows != b.Rows || a.Cols != b.Cols {
		shapePanic(op, "shape mismatch", a, b)
	}
}

// rowOrBroadcast checks that r is either a.Rows×cols or 1×cols.
func rowOrBroadcast(op opKind, what string, r *Node, rows, cols int) {
	if r.Cols != cols || (r.Rows != rows && r.Rows != 1) {
		panic(fmt.Sprintf("ad: %s: %s is %d×%d, want %d×%d or 1×%d", op, what, r.Rows, r.Cols, rows, cols, cols))
	}
}

func anyGrad(ns ...*Node) bool {
	for _, n := range ns {
		if n != nil && n.Grad != nil {
			return true
		}
	}
	return false
}

// relu returns max(x, 0) without a branch (signs of activations are
// unpredictable, and a mispredicted branch costs more than the arithmetic).
// −0 and negative NaNs map to +0.
func relu(x float64) float64 {
	b := math.Float64bits(x)
	return math.Float64frombits(b &^ uint64(int64(b)>>63))
}

// reluMask returns g if y > 0 and 0 otherwise, for y = relu(x) ≥ +0,
// without a branch: the bits of y are zero exactly when y = +0.
func reluMask(y, g float64) float64 {
	b := math.Float64bits(y)
	mask := -((b | -b) >> 63) // all ones if b ≠ 0
	return math.Float64frombits(math.Float64bits(g) & mask)
}

// sigmoid returns 1/(1+e^{−x}); for x → −∞, e^{−x} = +Inf gives exactly 0,
// so no branch is needed for stability.
func sigmoid(x float64) float64 {
	return 1 / (1 + math.Exp(-x))
}

// ---- linear algebra ----

// Affine returns x·wᵀ + b: x is B×in, w is out×in (PyTorch layout), b is 1×out
// or nil; the result is B×out.
func (t *Tape) Affine(x, w, b *Node) *Node { return t.AffineAct(x, w, b, ActIdentity) }

// AffineAct returns act(x·wᵀ + b) in one node (saves a pass and a buffer).
func (t *Tape) AffineAct(x, w, b *Node, act Act) *Node {
	if x.Cols != w.Cols {
		shapePanic(opAffine, "x.Cols != w.Cols", x, w)
	}
	if b != nil && (b.Rows != 1 || b.Cols != w.Rows) {
		shapePanic(opAffine, "bias must be 1×w.Rows", b, w)
	}
	n := t.newNode(opAffine, x.Rows, w.Rows, anyGrad(x, w, b))
	n.a, n.b, n.c, n.act = x, w, b, act
	B, out := x.Rows, w.Rows
	y := n.Data
	if b != nil {
		gemmNTBias(B, out, x.Cols, x.Data, w.Data, b.Data, y, &n.aux2)
	} else {
		gemmNT(B, out, x.Cols, x.Data, w.Data, 0, y, &n.aux2)
	}
	applyAct(act, y, n.sigBuf(act))
	return n
}

// sigBuf returns a buffer for σ(pre-activation) if the node has activation
// act = SiLU and needs a gradient, else nil.
func (n *Node) sigBuf(act Act) []float64 {
	if act != ActSiLU || n.Grad == nil {
		return nil
	}
	n.aux = grow(n.aux, len(n.Data))
	return n.aux
}

// applyAct overwrites y with act(y). For SiLU, if sig is non-nil it receives
// σ(y), which backward needs: SiLU'(x) = σ + SiLU(x)·(1 − σ).
func applyAct(act Act, y, sig []float64) {
	switch act {
	case ActIdentity:
	case ActReLU:
		if hasFMA && len(y) >= 4 {
			n4 := len(y) &^ 3
			reluKern(&y[0], &y[0], n4)
			y = y[n4:]
		}
		for i, v := range y {
			y[i] = relu(v)
		}
	case ActSiLU, ActSigmoid:
		if hasFMA && len(y) >= 4 {
			// σ, and SiLU, in one vector pass (the rest below).
			n4 := len(y) &^ 3
			mode, sp := 0, &y[0]
			if act == ActSiLU {
				mode = 1
				if sig != nil {
					mode, sp = 2, &sig[0]
					sig = sig[n4:]
				}
			}
			sigmoidKern(&y[0], sp, &y[0], n4, mode)
			y = y[n4:]
		}
		// σ = 1/(1+e^{−x}) with the exponentials vectorised in chunks.
		var buf [256]float64
		for lo := 0; lo < len(y); lo += len(buf) {
			yc := y[lo:min(lo+len(buf), len(y))]
			e := buf[:len(yc)]
			for i, v := range yc {
				e[i] = -v
			}
			expSlice(e, e)
			for i, v := range e {
				e[i] = 1 / (1 + v)
			}
			if act == ActSigmoid {
				copy(yc, e)
				continue
			}
			if sig != nil {
				copy(sig[lo:lo+len(yc)], e)
			}
			for i, v := range e {
				yc[i] *= v
			}
		}
	case ActTanh:
		for i, v := range y {
			y[i] = math.Tanh(v)
		}
	default:
		panic(fmt.Sprintf("ad: unknown activation %d", int(act)))
	}
}

// actGrad writes dz = dy ⊙ act'(pre) into dz, given output y and (for SiLU)
// sig = σ(pre) saved by applyAct. dz may alias sig.
func actGrad(act Act, dz, dy, y, sig []float64) {
	switch act {
	case ActIdentity:
		copy(dz, dy)
	case ActReLU:
		dy = dy[:len(y)]
		dz = dz[:len(y)]
		if hasFMA && len(y) >= 4 {
			n4 := len(y) &^ 3
			reluMaskKern(&dz[0], &dy[0], &y[0], n4)
			dz, dy, y = dz[n4:], dy[n4:], y[n4:]
		}
		for i, v := range y {
			dz[i] = reluMask(v, dy[i])
		}
	case ActSiLU:
		dy, y, sig = dy[:len(dz)], y[:len(dz)], sig[:len(dz)]
		if hasFMA && len(dz) >= 4 {
			n4 := len(dz) &^ 3
			siluGradKern(&dz[0], &dy[0], &y[0], &sig[0], n4)
			dz, dy, y, sig = dz[n4:], dy[n4:], y[n4:], sig[n4:]
		}
		for i, s := range sig {
			dz[i] = dy[i] * (s + y[i]*(1-s))
		}
	case ActTanh:
		for i, v := range y {
			dz[i] = dy[i] * (1 - v*v)
		}
	case ActSigmoid:
		for i, v := range y {
			dz[i] = dy[i] * v * (1 - v)
		}
	}
}

// AffineAct2 returns act(x1·w1ᵀ + x2·w2ᵀ + b) in one node: a layer fed by
// two inputs, e.g. a hidden state and a conditioning embedding (the D-SPIB
// noise network adds a projection of the time/temperature embedding in every
// hidden layer). x1 is B×in1, w1 out×in1, x2 B×in2, w2 out×in2, b 1×out or
// nil; the result is B×out. It equals act(Add(Affine(x1,w1,b), Affine(x2,w2,nil)))
// with one pass and one buffer instead of three.
func (t *Tape) AffineAct2(x1, w1, x2, w2, b *Node, act Act) *Node {
	if x1.Cols != w1.Cols {
		shapePanic(opAffine2, "x1.Cols != w1.Cols", x1, w1)
	}
	if x2.Cols != w2.Cols || x2.Rows != x1.Rows || w2.Rows != w1.Rows {
		shapePanic(opAffine2, "x2/w2 do not match x1/w1", x2, w2)
	}
	if b != nil && (b.Rows != 1 || b.Cols != w1.Rows) {
		shapePanic(opAffine2, "bias must be 1×w1.Rows", b, w1)
	}
	n := t.newNode(opAffine2, x1.Rows, w1.Rows, anyGrad(x1, w1, x2, w2, b))
	n.a, n.b, n.c, n.d, n.e, n.act = x1, w1, b, x2, w2, act
	B, out := x1.Rows, w1.Rows
	y := n.Data
	if b != nil {
		gemmNTBias(B, out, x1.Cols, x1.Data, w1.Data, b.Data, y, &n.aux2)
	} else {
		gemmNT(B, out, x1.Cols, x1.Data, w1.Data, 0, y, &n.aux2)
	}
	gemmNT(B, out, x2.Cols, x2.Data, w2.Data, 1, y, &n.aux2)
	applyAct(act, y, n.sigBuf(act))
	return n
}

// actDelta returns ∂L/∂(pre-activation) of an affine node, computed into an
// op-owned buffer (for SiLU in place of the saved σ).
func (n *Node) actDelta() []float64 {
	if n.act == ActIdentity {
		return n.Grad
	}
	if n.act != ActSiLU {
		n.aux = grow(n.aux, len(n.Grad))
	}
	actGrad(n.act, n.aux, n.Grad, n.Data, n.aux)
	return n.aux
}

func (n *Node) backAffine() {
	x, w, b := n.a, n.b, n.c
	B, out, in := x.Rows, w.Rows, w.Cols
	dz := n.actDelta()
	if n.op == opAffine2 {
		x2, w2 := n.d, n.e
		if x2.Grad != nil {
			gemmNNScratch(B, x2.Cols, out, dz, w2.Data, x2.Grad, &n.aux2)
		}
		if w2.Grad != nil {
			gemmTN(out, x2.Cols, B, dz, x2.Data, w2.Grad)
		}
	}
	if x.Grad != nil {
		gemmNNScratch(B, in, out, dz, w.Data, x.Grad, &n.aux2) // dx += dz·w (aux2: forward's scratch)
	}
	if w.Grad != nil {
		gemmTN(out, in, B, dz, x.Data, w.Grad) // dw += dzᵀ·x
	}
	if b != nil && b.Grad != nil {
		colSumAdd(b.Grad, dz, B, out)
	}
}

// MatMul returns a·b for a m×k and b k×n.
func (t *Tape) MatMul(a, b *Node) *Node {
	if a.Cols != b.Rows {
		shapePanic(opMatMul, "a.Cols != b.Rows", a, b)
	}
	n := t.newNode(opMatMul, a.Rows, b.Cols, anyGrad(a, b))
	n.a, n.b = a, b
	clear(n.Data)
	gemmNN(a.Rows, b.Cols, a.Cols, a.Data, b.Data, n.Data)
	return n
}

func (n *Node) backMatMul() {
	a, b := n.a, n.b
	if a.Grad != nil {
		gemmNT(a.Rows, a.Cols, b.Cols, n.Grad, b.Data, 1, a.Grad, &n.aux2) // da += dy·bᵀ
	}
	if b.Grad != nil {
		gemmTN(b.Rows, b.Cols, a.Rows, a.Data, n.Grad, b.Grad) // db += aᵀ·dy
	}
}

// ---- elementwise, one input ----

func (t *Tape) unary(op opKind, a *Node) *Node {
	n := t.newNode(op, a.Rows, a.Cols, a.Grad != nil)
	n.a = a
	return n
}

// Activate returns act(a) elementwise.
func (t *Tape) Activate(a *Node, act Act) *Node {
	n := t.unary(opActivate, a)
	n.act = act
	copy(n.Data, a.Data)
	applyAct(act, n.Data, n.sigBuf(act))
	return n
}

// ReLU returns max(a, 0) elementwise (gradient 0 at a = 0).
func (t *Tape) ReLU(a *Node) *Node { return t.Activate(a, ActReLU) }

// SiLU returns a·σ(a) elementwise.
func (t *Tape) SiLU(a *Node) *Node { return t.Activate(a, ActSiLU) }

// Tanh returns tanh(a) elementwise.
func (t *Tape) Tanh(a *Node) *Node { return t.Activate(a, ActTanh) }

// Sigmoid returns σ(a) = 1/(1+e^{−a}) elementwise.
func (t *Tape) Sigmoid(a *Node) *Node { return t.Activate(a, ActSigmoid) }

// Exp returns e^a elementwise.
func (t *Tape) Exp(a *Node) *Node {
	n := t.unary(opExp, a)
	expSlice(n.Data, a.Data)
	return n
}

// Log returns ln a elementwise (a > 0).
func (t *Tape) Log(a *Node) *Node {
	n := t.unary(opLog, a)
	for i, v := range a.Data {
		n.Data[i] = math.Log(v)
	}
	return n
}

// Softplus returns ln(1+e^a) elementwise, computed stably.
func (t *Tape) Softplus(a *Node) *Node {
	n := t.unary(opSoftplus, a)
	for i, v := range a.Data {
		n.Data[i] = math.Max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
	}
	return n
}

// Square returns a² elementwise.
func (t *Tape) Square(a *Node) *Node {
	n := t.unary(opSquare, a)
	for i, v := range a.Data {
		n.Data[i] = v * v
	}
	return n
}

// Scale returns c·a.
func (t *Tape) Scale(a *Node, c float64) *Node {
	n := t.unary(opScale, a)
	n.s = c
	for i, v := range a.Data {
		n.Data[i] = c * v
	}
	return n
}

// AddScalar returns a + c.
func (t *Tape) AddScalar(a *Node, c float64) *Node {
	n := t.unary(opAddScalar, a)
	for i, v := range a.Data {
		n.Data[i] = v + c
	}
	return n
}

// ScaleRows multiplies row i of a by the constant s[i] (len(s) = a.Rows; no
// gradient flows to s, which must not change until Backward is done).
func (t *Tape) ScaleRows(a *Node, s []float64) *Node {
	if len(s) != a.Rows {
		panic(fmt.Sprintf("ad: ScaleRows: len(s) = %d, want a.Rows = %d", len(s), a.Rows))
	}
	n := t.unary(opScaleRows, a)
	n.fs = s
	c := a.Cols
	for i, f := range s {
		for j, v := range a.Data[i*c : (i+1)*c] {
			n.Data[i*c+j] = f * v
		}
	}
	return n
}

// Detach returns a copy of a through which no gradient flows.
func (t *Tape) Detach(a *Node) *Node {
	n := t.newNode(opDetach, a.Rows, a.Cols, false)
	copy(n.Data, a.Data)
	return n
}

// ---- elementwise, two inputs ----

func (t *Tape) binary(op opKind, a, b *Node) *Node {
	sameShape(op, a, b)
	n := t.newNode(op, a.Rows, a.Cols, anyGrad(a, b))
	n.a, n.b = a, b
	return n
}

// Add returns a + b (same shapes).
func (t *Tape) Add(a, b *Node) *Node {
	n := t.binary(opAdd, a, b)
	for i, v := range a.Data {
		n.Data[i] = v + b.Data[i]
	}
	return n
}

// Sub returns a − b (same shapes).
func (t *Tape) Sub(a, b *Node) *Node {
	n := t.binary(opSub, a, b)
	for i, v := range a.Data {
		n.Data[i] = v - b.Data[i]
	}
	return n
}

// Mul returns a ⊙ b (elementwise product, same shapes).
func (t *Tape) Mul(a, b *Node) *Node {
	n := t.binary(opMul, a, b)
	for i, v := range a.Data {
		n.Data[i] = v * b.Data[i]
	}
	return n
}

// AddRowBroadcast returns a + row, adding the 1×a.Cols row to every row of a.
func (t *Tape) AddRowBroadcast(a, row *Node) *Node {
	if row.Rows != 1 || row.Cols != a.Cols {
		shapePanic(opAddRow, "row must be 1×a.Cols", row, a)
	}
	n := t.newNode(opAddRow, a.Rows, a.Cols, anyGrad(a, row))
	n.a, n.b = a, row
	c := a.Cols
	for i := 0; i < a.Rows; i++ {
		y := n.Data[i*c : (i+1)*c]
		for j, v := range a.Data[i*c : (i+1)*c] {
			y[j] = v + row.Data[j]
		}
	}
	return n
}

// MulRowBroadcast returns a ⊙ row, multiplying every row of a by the 1×a.Cols row.
func (t *Tape) MulRowBroadcast(a, row *Node) *Node {
	if row.Rows != 1 || row.Cols != a.Cols {
		shapePanic(opMulRow, "row must be 1×a.Cols", row, a)
	}
	n := t.newNode(opMulRow, a.Rows, a.Cols, anyGrad(a, row))
	n.a, n.b = a, row
	c := a.Cols
	for i := 0; i < a.Rows; i++ {
		y := n.Data[i*c : (i+1)*c]
		for j, v := range a.Data[i*c : (i+1)*c] {
			y[j] = v * row.Data[j]
		}
	}
	return n
}

// ---- shape ----

// ConcatCols returns [a | b] (B×(ca+cb)). If one of a, b has one row and the
// other has B > 1, the single row is broadcast to every row (a conditioning
// vector shared by all samples).
func (t *Tape) ConcatCols(a, b *Node) *Node {
	rows := a.Rows
	if a.Rows != b.Rows {
		switch {
		case a.Rows == 1:
			rows = b.Rows
		case b.Rows == 1:
		default:
			shapePanic(opConcat, "row counts differ", a, b)
		}
	}
	ca, cb := a.Cols, b.Cols
	n := t.newNode(opConcat, rows, ca+cb, anyGrad(a, b))
	n.a, n.b = a, b
	c := ca + cb
	for i := 0; i < rows; i++ {
		ia, ib := i, i
		if a.Rows == 1 {
			ia = 0
		}
		if b.Rows == 1 {
			ib = 0
		}
		copy(n.Data[i*c:i*c+ca], a.Data[ia*ca:(ia+1)*ca])
		copy(n.Data[i*c+ca:(i+1)*c], b.Data[ib*cb:(ib+1)*cb])
	}
	return n
}

func (n *Node) backConcat() {
	a, b := n.a, n.b
	ca, cb, c := a.Cols, b.Cols, n.Cols
	for i := 0; i < n.Rows; i++ {
		g := n.Grad[i*c : (i+1)*c]
		if a.Grad != nil {
			ia := i
			if a.Rows == 1 {
				ia = 0
			}
			da := a.Grad[ia*ca : (ia+1)*ca]
			for j, v := range g[:ca] {
				da[j] += v
			}
		}
		if b.Grad != nil {
			ib := i
			if b.Rows == 1 {
				ib = 0
			}
			db := b.Grad[ib*cb : (ib+1)*cb]
			for j, v := range g[ca:] {
				db[j] += v
			}
		}
	}
}

// SliceCols returns columns [from, to) of a.
func (t *Tape) SliceCols(a *Node, from, to int) *Node {
	if from < 0 || to > a.Cols || from > to {
		panic(fmt.Sprintf("ad: SliceCols: columns [%d, %d) of a %d×%d node", from, to, a.Rows, a.Cols))
	}
	n := t.newNode(opSlice, a.Rows, to-from, a.Grad != nil)
	n.a, n.k = a, from
	w := to - from
	for i := 0; i < a.Rows; i++ {
		copy(n.Data[i*w:(i+1)*w], a.Data[i*a.Cols+from:i*a.Cols+to])
	}
	return n
}

// RepeatRows replicates every row of a m times consecutively: row i of a
// becomes rows i·m … i·m+m−1 of the (a.Rows·m)×a.Cols result.
func (t *Tape) RepeatRows(a *Node, m int) *Node {
	if m < 1 {
		panic(fmt.Sprintf("ad: RepeatRows: m = %d, want ≥ 1", m))
	}
	n := t.newNode(opRepeat, a.Rows*m, a.Cols, a.Grad != nil)
	n.a, n.k = a, m
	c := a.Cols
	for i := 0; i < a.Rows; i++ {
		src := a.Data[i*c : (i+1)*c]
		for r := 0; r < m; r++ {
			copy(n.Data[(i*m+r)*c:], src)
		}
	}
	return n
}

// GatherRows returns the len(idx)×table.Cols matrix whose row r is row
// idx[r] of table (an embedding lookup; idx is constant and must not change
// until Backward is done). The gradient of a table row is the sum over the
// rows that picked it. Example: with only N diffusion steps, the projection
// of every step's embedding is an N×width table, gathered per replica
// instead of projecting 8192 identical embeddings.
func (t *Tape) GatherRows(table *Node, idx []int) *Node {
	for r, k := range idx {
		if k < 0 || k >= table.Rows {
			panic(fmt.Sprintf("ad: GatherRows: idx[%d] = %d out of range [0, %d)", r, k, table.Rows))
		}
	}
	n := t.newNode(opGather, len(idx), table.Cols, table.Grad != nil)
	n.a, n.is = table, idx
	c := table.Cols
	for r, k := range idx {
		copy(n.Data[r*c:(r+1)*c], table.Data[k*c:(k+1)*c])
	}
	return n
}

// ---- reductions ----

// Sum returns the 1×1 sum of all elements.
func (t *Tape) Sum(a *Node) *Node {
	n := t.newNode(opSum, 1, 1, a.Grad != nil)
	n.a = a
	s := 0.0
	for _, v := range a.Data {
		s += v
	}
	n.Data[0] = s
	return n
}

// Mean returns the 1×1 mean of all elements.
func (t *Tape) Mean(a *Node) *Node {
	if a.Len() == 0 {
		panic("ad: Mean of an empty node")
	}
	n := t.newNode(opMean, 1, 1, a.Grad != nil)
	n.a = a
	s := 0.0
	for _, v := range a.Data {
		s += v
	}
	n.Data[0] = s / float64(a.Len())
	return n
}

// RowSum returns the B×1 sums of each row.
func (t *Tape) RowSum(a *Node) *Node {
	n := t.newNode(opRowSum, a.Rows, 1, a.Grad != nil)
	n.a = a
	c := a.Cols
	for i := 0; i < a.Rows; i++ {
		s := 0.0
		for _, v := range a.Data[i*c : (i+1)*c] {
			s += v
		}
		n.Data[i] = s
	}
	return n
}

// weightSum validates row weights and returns their sum.
func weightSum(op opKind, w []float64, rows int) float64 {
	if w == nil {
		return float64(rows)
	}
	if len(w) != rows {
		panic(fmt.Sprintf("ad: %s: len(w) = %d, want %d rows", op, len(w), rows))
	}
	s := 0.0
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 1) {
			panic(fmt.Sprintf("ad: %s: weight w[%d] = %g, want finite and ≥ 0", op, i, v))
		}
		s += v
	}
	if !(s > 0) {
		panic(fmt.Sprintf("ad: %s: weights sum to %g, want > 0", op, s))
	}
	return s
}

func rowWeight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// WeightedMeanRows returns the 1×a.Cols weighted mean over rows,
// Σ_i w_i a_i / Σ_i w_i. w (len a.Rows, non-negative, positive sum) is a
// constant; nil means equal weights.
func (t *Tape) WeightedMeanRows(a *Node, w []float64) *Node {
	ws := weightSum(opWMean, w, a.Rows)
	n := t.newNode(opWMean, 1, a.Cols, a.Grad != nil)
	n.a, n.fs, n.s = a, w, ws
	clear(n.Data)
	c := a.Cols
	for i := 0; i < a.Rows; i++ {
		wi := rowWeight(w, i) / ws
		for j, v := range a.Data[i*c : (i+1)*c] {
			n.Data[j] += wi * v
		}
	}
	return n
}

// ---- probability ----

// LogSoftmax returns the rowwise log-softmax a_ij − log Σ_k exp(a_ik),
// computed stably: with m_i = max_k a_ik, y_ij = (a_ij − m_i) − log Σ_k
// e^{a_ik − m_i}, where every exponential is in [0, 1] and the sum ≥ 1. The
// exponentials of all rows are evaluated in one vectorised pass (lseRows)
// and kept, unnormalised, for backward together with 1/Σ.
func (t *Tape) LogSoftmax(a *Node) *Node {
	n := t.unary(opLogSoftmax, a)
	B, c := a.Rows, a.Cols
	c4 := pad4(c)
	// aux = [ e_ij = e^{a_ij − m_i} (B×c4, stride c4) | m (B) | 1/Σ_j e_ij (B) |
	//         log Σ_j e_ij (B) ].
	n.aux = grow(n.aux, B*c4+3*B)
	e, m, inv, lse := n.aux[:B*c4], n.aux[B*c4:B*c4+B], n.aux[B*c4+B:B*c4+2*B], n.aux[B*c4+2*B:B*c4+3*B]
	src := a.Data
	if c4 != c {
		// Rows padded with −Inf, as lseRows wants.
		for i := 0; i < B; i++ {
			row := e[i*c4 : (i+1)*c4]
			copy(row, a.Data[i*c:(i+1)*c])
			for j := c; j < c4; j++ {
				row[j] = math.Inf(-1)
			}
		}
		src = e
	}
	lseRows(e, src, m, inv, B, c4)
	logSlice(lse, inv)
	for i := 0; i < B; i++ {
		x := a.Data[i*c : (i+1)*c]
		y := n.Data[i*c : (i+1)*c]
		mi, ls := m[i], lse[i]
		inv[i] = 1 / inv[i]
		if hasFMA && c >= 4 {
			n4 := c &^ 3
			shiftSubKern(&y[0], &x[0], mi, ls, n4)
			x, y = x[n4:], y[n4:]
		}
		for j, v := range x {
			y[j] = (v - mi) - ls // not v − (m+ls): keeps precision for large logits
		}
	}
	return n
}

// PickCols returns the B×1 column of a[i, idx[i]] (idx constant, len a.Rows).
// It panics if an index is out of range, naming the row.
func (t *Tape) PickCols(a *Node, idx []int) *Node {
	checkLabels(opPick, idx, a.Rows, a.Cols)
	n := t.newNode(opPick, a.Rows, 1, a.Grad != nil)
	n.a, n.is = a, idx
	for i, k := range idx {
		n.Data[i] = a.Data[i*a.Cols+k]
	}
	return n
}

func checkLabels(op opKind, idx []int, rows, cols int) {
	if len(idx) != rows {
		panic(fmt.Sprintf("ad: %s: len(labels) = %d, want %d rows", op, len(idx), rows))
	}
	for i, k := range idx {
		if k < 0 || k >= cols {
			panic(fmt.Sprintf("ad: %s: label[%d] = %d out of range [0, %d)", op, i, k, cols))
		}
	}
}

// NLL returns the 1×1 negative log-likelihood −Σ_i w_i logp[i, labels[i]] / Σ_i w_i
// for rowwise log-probabilities logp (e.g. from LogSoftmax). w nil means the
// plain mean. labels and w must not change until Backward is done.
func (t *Tape) NLL(logp *Node, labels []int, w []float64) *Node {
	checkLabels(opNLL, labels, logp.Rows, logp.Cols)
	ws := weightSum(opNLL, w, logp.Rows)
	n := t.newNode(opNLL, 1, 1, logp.Grad != nil)
	n.a, n.is, n.fs, n.s = logp, labels, w, ws
	s := 0.0
	for i, k := range labels {
		s -= rowWeight(w, i) * logp.Data[i*logp.Cols+k]
	}
	n.Data[0] = s / ws
	return n
}

// Reparam returns z = μ + exp(½·logvar) ⊙ ε (Kingma & Welling 2014, "Auto-
// Encoding Variational Bayes"). mu and eps are B×d; logvar is B×d or a 1×d row
// broadcast to every sample; eps is normally a constant of N(0,1) draws.
func (t *Tape) Reparam(mu, logvar, eps *Node) *Node {
	sameShape(opReparam, mu, eps)
	rowOrBroadcast(opReparam, "logvar", logvar, mu.Rows, mu.Cols)
	n := t.newNode(opReparam, mu.Rows, mu.Cols, anyGrad(mu, logvar, eps))
	n.a, n.b, n.c = mu, logvar, eps
	n.aux = grow(n.aux, logvar.Len()) // σ = e^{½logvar}, reused by backward
	for i, v := range logvar.Data {
		n.aux[i] = 0.5 * v
	}
	expSlice(n.aux, n.aux)
	d := mu.Cols
	bc := logvar.Rows == 1
	for i := 0; i < mu.Rows; i++ {
		std := n.aux
		if !bc {
			std = n.aux[i*d : (i+1)*d]
		}
		for j := 0; j < d; j++ {
			n.Data[i*d+j] = mu.Data[i*d+j] + std[j]*eps.Data[i*d+j]
		}
	}
	return n
}

func (n *Node) backReparam() {
	mu, lv, eps := n.a, n.b, n.c
	d := mu.Cols
	bc := lv.Rows == 1
	for i := 0; i < n.Rows; i++ {
		off := i * d
		soff := off
		if bc {
			soff = 0
		}
		for j := 0; j < d; j++ {
			g := n.Grad[off+j]
			if mu.Grad != nil {
				mu.Grad[off+j] += g
			}
			std := n.aux[soff+j]
			if lv.Grad != nil {
				lv.Grad[soff+j] += 0.5 * g * std * eps.Data[off+j]
			}
			if eps.Grad != nil {
				eps.Grad[off+j] += g * std
			}
		}
	}
}

const ln2Pi = 1.8378770664093454835606594728112352797227949472755668

// GaussLogPDF returns the B×1 log-densities
// log N(z_i; μ_i, diag e^{logvar_i}) = −½ Σ_j [ln 2π + logvar_ij + (z_ij−μ_ij)² e^{−logvar_ij}].
// z is B×d; mu and logvar are each B×d or a broadcast 1×d row.
func (t *Tape) GaussLogPDF(z, mu, logvar *Node) *Node {
	rowOrBroadcast(opGaussLogPDF, "mu", mu, z.Rows, z.Cols)
	rowOrBroadcast(opGaussLogPDF, "logvar", logvar, z.Rows, z.Cols)
	n := t.newNode(opGaussLogPDF, z.Rows, 1, anyGrad(z, mu, logvar))
	n.a, n.b, n.c = z, mu, logvar
	n.aux = grow(n.aux, logvar.Len()) // e^{−logvar}, reused by backward
	for i, v := range logvar.Data {
		n.aux[i] = -v
	}
	expSlice(n.aux, n.aux)
	d := z.Cols
	for i := 0; i < z.Rows; i++ {
		mo, lo := rowOff(mu, i), rowOff(logvar, i)
		s := 0.0
		for j := 0; j < d; j++ {
			r := z.Data[i*d+j] - mu.Data[mo+j]
			s += ln2Pi + logvar.Data[lo+j] + r*r*n.aux[lo+j]
		}
		n.Data[i] = -0.5 * s
	}
	return n
}

// rowOff returns the offset of row i of n, or of row 0 if n is a broadcast row.
func rowOff(n *Node, i int) int {
	if n.Rows == 1 {
		return 0
	}
	return i * n.Cols
}

func (n *Node) backGauss() {
	z, mu, logvar := n.a, n.b, n.c
	d := z.Cols
	for i := 0; i < z.Rows; i++ {
		g := n.Grad[i]
		mo, lo := rowOff(mu, i), rowOff(logvar, i)
		for j := 0; j < d; j++ {
			r := z.Data[i*d+j] - mu.Data[mo+j]
			iv := n.aux[lo+j]
			if z.Grad != nil {
				z.Grad[i*d+j] -= g * r * iv
			}
			if mu.Grad != nil {
				mu.Grad[mo+j] += g * r * iv
			}
			if logvar.Grad != nil {
				logvar.Grad[lo+j] -= 0.5 * g * (1 - r*r*iv)
			}
		}
	}
}

// MixtureLogPDF returns the B×1 log-densities of a diagonal Gaussian mixture
// (the VampPrior of Tomczak & Welling 2018),
//
//	log r(z_i) = log Σ_k w_k N(z_i; μ_k, diag e^{logvar_k}),  w = softmax(θ),
//
// by log-sum-exp. z is B×d, mu is K×d, logvar is K×d or a broadcast 1×d row,
// theta is 1×K. Gradients flow to z, mu, logvar and theta.
//
// With responsibilities γ_ik = w_k N_ik / r(z_i), the gradients are
// ∂/∂z_i = −Σ_k γ_ik (z_i−μ_k)/σ_k², ∂/∂μ_k = Σ_i γ_ik (z_i−μ_k)/σ_k²,
// ∂/∂logvar_k = −½ Σ_i γ_ik (1 − (z_i−μ_k)²/σ_k²), ∂/∂θ_k = Σ_i (γ_ik − w_k).
func (t *Tape) MixtureLogPDF(z, mu, logvar, theta *Node) *Node {
	if mu.Cols != z.Cols {
		shapePanic(opMixture, "mu.Cols != z.Cols", mu, z)
	}
	K, d, B := mu.Rows, z.Cols, z.Rows
	rowOrBroadcast(opMixture, "logvar", logvar, K, d)
	if theta.Rows != 1 || theta.Cols != K {
		shapePanic(opMixture, "theta must be 1×mu.Rows", theta, mu)
	}
	n := t.newNode(opMixture, B, 1, anyGrad(z, mu, logvar, theta))
	n.a, n.b, n.c, n.d = z, mu, logvar, theta
	// The log joint l_ik = log w_k + log N(z_i; μ_k, σ_k²) is evaluated row by
	// row, vectorised over the components, from component-major copies of
	// the parameters padded to K4 = pad4(K) components (a pad has log-weight
	// −Inf and 1/σ² = 0, so it adds 0 to every sum and gets no gradient):
	// aux2 = [ w (K) | cst_k = log w_k − ½Σ_j(ln2π+logvar_kj) (K4) |
	//          μᵀ, 1/σ²ᵀ, ½/σ²ᵀ (d×K4 each) | backward scratch: ∂μᵀ, ∂logvarᵀ
	//          (d×K4 each), g_i/Σ_k e_ik (B), ∂θ (K4) ].
	K4 := pad4(K)
	dK := d * K4
	n.aux2 = grow(n.aux2, K+2*K4+5*dK+B)
	w, cst := n.aux2[:K], n.aux2[K:K+K4]
	muT, ivT, hT := n.aux2[K+K4:K+K4+dK], n.aux2[K+K4+dK:K+K4+2*dK], n.aux2[K+K4+2*dK:K+K4+3*dK]
	// w = softmax(θ), by max-shifted log-sum-exp.
	tm := math.Inf(-1)
	for _, v := range theta.Data {
		tm = max(tm, v)
	}
	ts := 0.0
	for _, v := range theta.Data {
		ts += math.Exp(v - tm)
	}
	tls := math.Log(ts)
	for k := 0; k < K4; k++ {
		if k >= K {
			cst[k] = math.Inf(-1)
			for j := 0; j < d; j++ {
				muT[j*K4+k], ivT[j*K4+k] = 0, math.Inf(-1) // e^{−Inf} = 0 below
			}
			continue
		}
		lo := rowOff(logvar, k)
		s := 0.0
		for j := 0; j < d; j++ {
			s += ln2Pi + logvar.Data[lo+j]
			muT[j*K4+k] = mu.Data[k*d+j]
			ivT[j*K4+k] = -logvar.Data[lo+j]
		}
		logw := (theta.Data[k] - tm) - tls
		w[k] = math.Exp(logw)
		cst[k] = logw - 0.5*s
	}
	expSlice(ivT, ivT)
	for i, v := range ivT {
		hT[i] = 0.5 * v
	}
	// aux = [ e_ik = e^{l_ik − m_i} (B×K4) | m (B) | 1/Σ_k e_ik (B) ]: the
	// responsibilities γ_ik = e_ik/Σ_k e_ik are normalised in backward.
	n.aux = grow(n.aux, B*K4+2*B)
	e, m, inv := n.aux[:B*K4], n.aux[B*K4:B*K4+B], n.aux[B*K4+B:B*K4+2*B]
	mixJoint(e, cst, muT, hT, z.Data, B, d, K4)
	lseRows(e, e, m, inv, B, K4)
	logSlice(n.Data, inv)
	for i := 0; i < B; i++ {
		n.Data[i] += m[i]
		inv[i] = 1 / inv[i]
	}
	return n
}

func (n *Node) backMixture() {
	z, mu, logvar, theta := n.a, n.b, n.c, n.d
	K, d, B := mu.Rows, z.Cols, z.Rows
	K4 := pad4(K)
	dK := d * K4
	w := n.aux2[:K]
	muT, ivT := n.aux2[K+K4:K+K4+dK], n.aux2[K+K4+dK:K+K4+2*dK]
	scr := n.aux2[K+K4+3*dK:]
	dmuT, dlvT, gs, dth := scr[:dK], scr[dK:2*dK], scr[2*dK:2*dK+B], scr[2*dK+B:2*dK+B+K4]
	clear(dmuT)
	clear(dlvT)
	e, inv := n.aux[:B*K4], n.aux[B*K4+B:B*K4+2*B]
	// Row-major over samples, vectorised over components: the sums over
	// samples for μ_k and logvar_k accumulate in the component-major scratch.
	gsum := 0.0
	for i := 0; i < B; i++ {
		gsum += n.Grad[i]
		gi := n.Grad[i] * inv[i] // g_i γ_ik = gi·e_ik
		gs[i] = gi
		gam := e[i*K4 : (i+1)*K4]
		for j := 0; j < d; j++ {
			ts := mixBack(dmuT[j*K4:(j+1)*K4], dlvT[j*K4:(j+1)*K4], muT[j*K4:(j+1)*K4], ivT[j*K4:(j+1)*K4], gam, gi, z.Data[i*d+j])
			if z.Grad != nil {
				z.Grad[i*d+j] -= ts
			}
		}
	}
	if theta.Grad != nil {
		// ∂/∂θ_k = Σ_i g_i γ_ik − w_k Σ_i g_i.
		clear(dth)
		gemmTN(1, K4, B, gs, e, dth)
		for k, wk := range w {
			theta.Grad[k] += dth[k] - wk*gsum
		}
	}
	if mu.Grad != nil {
		for k := 0; k < K; k++ {
			for j := 0; j < d; j++ {
				mu.Grad[k*d+j] += dmuT[j*K4+k]
			}
		}
	}
	if logvar.Grad != nil {
		for j := 0; j < d; j++ {
			row := dlvT[j*K4 : j*K4+K]
			if logvar.Rows == 1 {
				s := 0.0
				for _, v := range row {
					s += v
				}
				logvar.Grad[j] -= 0.5 * s
				continue
			}
			for k, v := range row {
				logvar.Grad[k*d+j] -= 0.5 * v
			}
		}
	}
}

// MSE returns the 1×1 mean over all elements of (a − b)².
func (t *Tape) MSE(a, b *Node) *Node {
	sameShape(opMSE, a, b)
	if a.Len() == 0 {
		panic("ad: MSE of empty nodes")
	}
	n := t.newNode(opMSE, 1, 1, anyGrad(a, b))
	n.a, n.b = a, b
	s := 0.0
	for i, v := range a.Data {
		r := v - b.Data[i]
		s += r * r
	}
	n.Data[0] = s / float64(a.Len())
	return n
}

// Fourier returns sinusoidal features of the B×1 column s with fixed
// frequencies f_1…f_F: the B×2F matrix [sin(2π f_k s_i) … | cos(2π f_k s_i) …]
// (sines first, as the Gaussian-Fourier projection of Song et al. 2021,
// "Score-Based Generative Modeling through SDEs"). freqs is constant.
// Concatenate s itself with ConcatCols to include the raw value.
func (t *Tape) Fourier(s *Node, freqs []float64) *Node {
	if s.Cols != 1 {
		panic(fmt.Sprintf("ad: Fourier: s is %d×%d, want a column (B×1)", s.Rows, s.Cols))
	}
	F := len(freqs)
	n := t.newNode(opFourier, s.Rows, 2*F, s.Grad != nil)
	n.a, n.fs = s, freqs
	for i, v := range s.Data {
		row := n.Data[i*2*F : (i+1)*2*F]
		for k, f := range freqs {
			sn, cs := math.Sincos(2 * math.Pi * f * v)
			row[k], row[F+k] = sn, cs
		}
	}
	return n
}

// backward accumulates this node's gradient into its inputs.
func (n *Node) backward() {
	a := n.a
	switch n.op {
	case opConst, opInput, opParam, opDetach:
	case opCustom:
		n.custom.Backward(n, n.ins)
	case opAffine, opAffine2:
		n.backAffine()
	case opMatMul:
		n.backMatMul()
	case opActivate:
		if a.Grad == nil {
			return
		}
		switch n.act {
		case ActIdentity:
			addTo(a.Grad, n.Grad)
		case ActSiLU:
			for i, s := range n.aux[:len(n.Data)] {
				a.Grad[i] += n.Grad[i] * (s + n.Data[i]*(1-s))
			}
		case ActReLU:
			for i, y := range n.Data {
				a.Grad[i] += reluMask(y, n.Grad[i])
			}
		case ActTanh:
			for i, y := range n.Data {
				a.Grad[i] += n.Grad[i] * (1 - y*y)
			}
		case ActSigmoid:
			for i, y := range n.Data {
				a.Grad[i] += n.Grad[i] * y * (1 - y)
			}
		}
	case opExp:
		for i, y := range n.Data {
			a.Grad[i] += n.Grad[i] * y
		}
	case opLog:
		for i, x := range a.Data {
			a.Grad[i] += n.Grad[i] / x
		}
	case opSoftplus:
		for i, x := range a.Data {
			a.Grad[i] += n.Grad[i] * sigmoid(x)
		}
	case opSquare:
		for i, x := range a.Data {
			a.Grad[i] += 2 * x * n.Grad[i]
		}
	case opScale:
		for i, g := range n.Grad {
			a.Grad[i] += n.s * g
		}
	case opAddScalar:
		addTo(a.Grad, n.Grad)
	case opScaleRows:
		c := n.Cols
		for i, f := range n.fs {
			da := a.Grad[i*c : (i+1)*c]
			for j, g := range n.Grad[i*c : (i+1)*c] {
				da[j] += f * g
			}
		}
	case opAdd:
		if a.Grad != nil {
			addTo(a.Grad, n.Grad)
		}
		if n.b.Grad != nil {
			addTo(n.b.Grad, n.Grad)
		}
	case opSub:
		if a.Grad != nil {
			addTo(a.Grad, n.Grad)
		}
		if b := n.b; b.Grad != nil {
			for i, g := range n.Grad {
				b.Grad[i] -= g
			}
		}
	case opMul:
		b := n.b
		for i, g := range n.Grad {
			if a.Grad != nil {
				a.Grad[i] += g * b.Data[i]
			}
			if b.Grad != nil {
				b.Grad[i] += g * a.Data[i]
			}
		}
	case opAddRow:
		if a.Grad != nil {
			addTo(a.Grad, n.Grad)
		}
		if n.b.Grad != nil {
			colSumAdd(n.b.Grad, n.Grad, n.Rows, n.Cols)
		}
	case opMulRow:
		row, c := n.b, n.Cols
		for i := 0; i < n.Rows; i++ {
			g := n.Grad[i*c : (i+1)*c]
			x := a.Data[i*c : (i+1)*c]
			for j, gv := range g {
				if a.Grad != nil {
					a.Grad[i*c+j] += gv * row.Data[j]
				}
				if row.Grad != nil {
					row.Grad[j] += gv * x[j]
				}
			}
		}
	case opConcat:
		n.backConcat()
	case opSlice:
		w := n.Cols
		for i := 0; i < n.Rows; i++ {
			addTo(a.Grad[i*a.Cols+n.k:i*a.Cols+n.k+w], n.Grad[i*w:(i+1)*w])
		}
	case opGather:
		c := n.Cols
		for r, k := range n.is {
			addTo(a.Grad[k*c:(k+1)*c], n.Grad[r*c:(r+1)*c])
		}
	case opRepeat:
		c, m := n.Cols, n.k
		for i := 0; i < a.Rows; i++ {
			da := a.Grad[i*c : (i+1)*c]
			for r := 0; r < m; r++ {
				addTo(da, n.Grad[(i*m+r)*c:(i*m+r+1)*c])
			}
		}
	case opSum:
		g := n.Grad[0]
		for i := range a.Grad {
			a.Grad[i] += g
		}
	case opMean:
		g := n.Grad[0] / float64(a.Len())
		for i := range a.Grad {
			a.Grad[i] += g
		}
	case opRowSum:
		c := a.Cols
		for i, g := range n.Grad {
			da := a.Grad[i*c : (i+1)*c]
			for j := range da {
				da[j] += g
			}
		}
	case opWMean:
		c := a.Cols
		for i := 0; i < a.Rows; i++ {
			wi := rowWeight(n.fs, i) / n.s
			da := a.Grad[i*c : (i+1)*c]
			for j, g := range n.Grad {
				da[j] += wi * g
			}
		}
	case opLogSoftmax:
		// ∂y_ij/∂a_il = δ_jl − p_il, so da_i += g_i − p_i Σ_j g_ij with
		// p_i = e_i/Σ_j e_ij (e, stride pad4(c), and 1/Σ saved by forward).
		B, c := a.Rows, a.Cols
		c4 := pad4(c)
		e, inv := n.aux[:B*c4], n.aux[B*c4+B:B*c4+2*B]
		for i := 0; i < B; i++ {
			softmaxBack(a.Grad[i*c:(i+1)*c], n.Grad[i*c:(i+1)*c], e[i*c4:i*c4+c], inv[i])
		}
	case opPick:
		for i, k := range n.is {
			a.Grad[i*a.Cols+k] += n.Grad[i]
		}
	case opNLL:
		g := n.Grad[0] / n.s
		for i, k := range n.is {
			a.Grad[i*a.Cols+k] -= g * rowWeight(n.fs, i)
		}
	case opReparam:
		n.backReparam()
	case opGaussLogPDF:
		n.backGauss()
	case opMixture:
		n.backMixture()
	case opMSE:
		b := n.b
		g := 2 * n.Grad[0] / float64(a.Len())
		for i, v := range a.Data {
			r := g * (v - b.Data[i])
			if a.Grad != nil {
				a.Grad[i] += r
			}
			if b.Grad != nil {
				b.Grad[i] -= r
			}
		}
	case opFourier:
		F := len(n.fs)
		for i, v := range a.Data {
			row := n.Grad[i*2*F : (i+1)*2*F]
			s := 0.0
			for k, f := range n.fs {
				w := 2 * math.Pi * f
				sn, cs := math.Sincos(w * v)
				s += w * (cs*row[k] - sn*row[F+k])
			}
			a.Grad[i] += s
		}
	default:
		panic(fmt.Sprintf("ad: backward of unknown op %d", int(n.op)))
	}
}

// addTo adds src to dst elementwise.
func addTo(dst, src []float64) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}
