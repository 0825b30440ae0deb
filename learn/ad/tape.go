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
	k          int       // integer argument (repeat count, column offset, ...)
	s          float64   // scalar argument
	fs         []float64 // caller-owned float argument (weights, factors, frequencies)
	is         []int     // caller-owned int argument (labels)
	aux        []float64 // op-owned scratch saved for backward
	act        Act       // activation of a fused op
	param      *Param    // for parameter leaves
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
type Tape struct {
	nodes []*Node // arena; nodes[:used] are live
	used  int
}

// NewTape returns an empty tape.
func NewTape() *Tape { return &Tape{} }

// Reset forgets all recorded operations but keeps their memory: the next
// forward pass with the same shapes allocates nothing.
func (t *Tape) Reset() { panic("TODO") }

// Len returns the number of nodes recorded since the last Reset.
func (t *Tape) Len() int { return t.used }

// Const records a constant (no gradient). The node aliases data (not copied),
// which must hold rows·cols values and must not change until Backward is done.
func (t *Tape) Const(rows, cols int, data []float64) *Node { panic("TODO") }

// Input records a leaf that needs a gradient, e.g. to differentiate with
// respect to data. Data aliases data; Grad is owned by the tape and starts at
// zero.
func (t *Tape) Input(rows, cols int, data []float64) *Node { panic("TODO") }

// Param records a parameter leaf: Data aliases p.Data and Grad aliases
// p.Grad, so Backward accumulates straight into p.Grad (zero it yourself
// between steps, e.g. with ParamSet.ZeroGrad).
func (t *Tape) Param(p *Param) *Node { panic("TODO") }

// Backward seeds ∂loss/∂loss = 1 for every element of loss (for a 1×1 loss
// this is the usual seed; for a larger node it differentiates the sum of its
// elements) and propagates gradients to every node recorded before it,
// accumulating into their Grad. Call it once per forward pass.
func (t *Tape) Backward(loss *Node) { panic("TODO") }
