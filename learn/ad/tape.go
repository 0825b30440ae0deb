package ad

import "fmt"

// Node is one value in the tape: a Rows×Cols matrix, row-major.
//
// Data holds the forward value. Grad holds ∂loss/∂Data after Tape.Backward
// (same layout); it is nil for nodes that need no gradient (constants and
// everything computed only from constants). Nodes belong to their tape and
// are recycled by Tape.Reset: do not keep them across a Reset.
type Node struct {
	Rows, Cols int
	Data       []float64 // Rows×Cols, row-major
	Grad       []float64 // Rows×Cols, row-major; nil if no gradient is needed

	op         opKind
	a, b, c, d *Node     // inputs (unused ones nil)
	e          *Node     // fifth input (AffineAct2)
	k          int       // integer argument (repeat count, column offset, ...)
	s          float64   // scalar argument
	fs         []float64 // caller-owned float argument (weights, factors, frequencies)
	is         []int     // caller-owned int argument (labels)
	aux        []float64 // op-owned scratch saved for backward
	act        Act       // activation of a fused op
	param      *Param    // for parameter leaves

	idx        int       // position on the tape
	tape       *Tape     // owner
	data, grad []float64 // owned buffers (Data/Grad may alias others instead)
	aux2       []float64 // second op-owned scratch
	custom     CustomOp  // backward of an opCustom node
	ins        []*Node   // inputs of an opCustom node (owned, reused)
}

// Len returns Rows·Cols.
func (n *Node) Len() int { return n.Rows * n.Cols }

// At returns the element in row i, column j.
func (n *Node) At(i, j int) float64 { return n.Data[i*n.Cols+j] }

// Scalar returns the value of a 1×1 node; it panics for other shapes.
func (n *Node) Scalar() float64 {
	if n.Rows != 1 || n.Cols != 1 {
		panic(fmt.Sprintf("ad: Scalar of a %d×%d node", n.Rows, n.Cols))
	}
	return n.Data[0]
}

// Tape records operations for reverse-mode differentiation and owns the
// memory of every node it creates. The zero value is ready to use.
//
// A Tape is not safe for concurrent use. Several tapes (one per goroutine)
// may run forward passes over the same parameters at once, since those only
// read Param.Data; Backward adds into Param.Grad, so concurrent backward
// passes over shared parameters need their own parameter copies.
type Tape struct {
	nodes  []*Node // arena; nodes[:used] are live
	used   int
	noGrad bool
}

// SetNoGrad tells the ops recorded from now on whether Backward will be
// called (false, the default) or not (true, e.g. when evaluating a test
// set). Built-in ops ignore it; a custom op (Custom) may use it to skip
// work that only its backward pass needs. Backward must not be called on a
// tape recorded with noGrad set.
func (t *Tape) SetNoGrad(noGrad bool) { t.noGrad = noGrad }

// NoGrad reports the setting of SetNoGrad.
func (t *Tape) NoGrad() bool { return t.noGrad }

// NewTape returns an empty tape.
func NewTape() *Tape { return &Tape{} }

// Reset forgets all recorded operations but keeps their memory: the next
// forward pass with the same shapes allocates nothing.
func (t *Tape) Reset() { t.used = 0 }

// Len returns the number of nodes recorded since the last Reset.
func (t *Tape) Len() int { return t.used }

// grow returns buf resliced to n elements, reallocating only if too small.
func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// newNode takes the next node from the arena and gives it an owned Data
// buffer of rows·cols (contents undefined) and, if needGrad, a zeroed Grad.
func (t *Tape) newNode(op opKind, rows, cols int, needGrad bool) *Node {
	n := t.take(op, rows, cols)
	n.data = grow(n.data, rows*cols)
	n.Data = n.data
	if needGrad {
		n.grad = grow(n.grad, rows*cols)
		clear(n.grad)
		n.Grad = n.grad
	}
	return n
}

// take returns the next arena node with its fields reset and no buffers.
func (t *Tape) take(op opKind, rows, cols int) *Node {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("ad: negative shape %d×%d", rows, cols))
	}
	if t.used == len(t.nodes) {
		t.nodes = append(t.nodes, &Node{})
	}
	n := t.nodes[t.used]
	n.idx = t.used
	n.tape = t
	t.used++
	n.Rows, n.Cols = rows, cols
	n.op = op
	n.a, n.b, n.c, n.d, n.e = nil, nil, nil, nil, nil
	n.k, n.s, n.fs, n.is, n.act, n.param = 0, 0, nil, nil, ActIdentity, nil
	n.Data, n.Grad = nil, nil
	n.custom = nil
	n.ins = n.ins[:0]
	return n
}

// leaf records a node whose Data aliases data.
func (t *Tape) leaf(op opKind, rows, cols int, data []float64, needGrad bool) *Node {
	if len(data) != rows*cols {
		panic(fmt.Sprintf("ad: %s: len(data) = %d, want %d×%d = %d", op, len(data), rows, cols, rows*cols))
	}
	n := t.take(op, rows, cols)
	n.Data = data
	if needGrad {
		n.grad = grow(n.grad, rows*cols)
		clear(n.grad)
		n.Grad = n.grad
	}
	return n
}

// Const records a constant (no gradient). The node aliases data (not copied),
// which must hold rows·cols values and must not change until Backward is done.
func (t *Tape) Const(rows, cols int, data []float64) *Node {
	return t.leaf(opConst, rows, cols, data, false)
}

// Input records a leaf that needs a gradient, e.g. to differentiate with
// respect to data. Data aliases data; Grad is owned by the tape and starts at
// zero.
func (t *Tape) Input(rows, cols int, data []float64) *Node {
	return t.leaf(opInput, rows, cols, data, true)
}

// Param records a parameter leaf: Data aliases p.Data and Grad aliases
// p.Grad, so Backward accumulates straight into p.Grad (zero it yourself
// between steps, e.g. with ParamSet.ZeroGrad).
func (t *Tape) Param(p *Param) *Node {
	if len(p.Data) != p.Rows*p.Cols || len(p.Grad) != len(p.Data) {
		panic(fmt.Sprintf("ad: Param %q: %d×%d with len(Data) = %d, len(Grad) = %d", p.Name, p.Rows, p.Cols, len(p.Data), len(p.Grad)))
	}
	n := t.take(opParam, p.Rows, p.Cols)
	n.Data = p.Data
	n.Grad = p.Grad
	n.param = p
	return n
}

// Backward seeds ∂loss/∂loss = 1 for every element of loss (for a 1×1 loss
// this is the usual seed; for a larger node it differentiates the sum of its
// elements) and propagates gradients to every node recorded before it,
// accumulating into their Grad. Call it once per forward pass. If nothing
// that loss depends on needs a gradient, Backward does nothing.
func (t *Tape) Backward(loss *Node) {
	if loss.tape != t || loss.idx >= t.used || t.nodes[loss.idx] != loss {
		panic("ad: Backward: loss node is not live on this tape (recorded elsewhere or before Reset)")
	}
	if loss.Grad == nil {
		return
	}
	for i := range loss.Grad {
		loss.Grad[i]++
	}
	for i := loss.idx; i >= 0; i-- {
		n := t.nodes[i]
		if n.Grad != nil {
			n.backward()
		}
	}
}

// CustomOp is the backward half of an op whose forward value is computed
// outside the tape (see Tape.Custom), e.g. a fused network.
type CustomOp interface {
	// Backward adds ∂loss/∂in, given out.Grad = ∂loss/∂out, into in.Grad
	// for every input in of ins whose Grad is non-nil (others need none).
	Backward(out *Node, ins []*Node)
}

// Custom records an op computed by the caller: it returns a rows×cols node
// whose Data (owned by the tape, contents undefined) the caller must fill
// before recording anything that reads it; Backward calls op.Backward with
// the node and ins. The node needs a gradient, and op.Backward is called,
// only if some input has one. The inputs must have been recorded on t
// before the call. Custom allocates nothing once the tape's memory has
// grown to the size of a pass.
func (t *Tape) Custom(op CustomOp, rows, cols int, ins ...*Node) *Node {
	need := false
	for _, in := range ins {
		if in.tape != t || in.idx >= t.used || t.nodes[in.idx] != in {
			panic("ad: Custom: an input is not live on this tape")
		}
		need = need || in.Grad != nil
	}
	n := t.newNode(opCustom, rows, cols, need)
	n.custom = op
	n.ins = append(n.ins[:0], ins...)
	return n
}
