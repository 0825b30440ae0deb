package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Param is one trainable weight matrix with its gradient.
type Param struct {
	Name       string // unique within a model; used by checkpoints
	Rows, Cols int
	Data       []float64 // Rows×Cols, row-major
	Grad       []float64 // Rows×Cols, row-major; accumulated by Tape.Backward
}

// NewParam returns a zero-initialised rows×cols parameter.
func NewParam(name string, rows, cols int) *Param {
	return &Param{Name: name, Rows: rows, Cols: cols,
		Data: make([]float64, rows*cols), Grad: make([]float64, rows*cols)}
}

// Module is anything that owns parameters.
type Module interface {
	Params() []*Param
}

// ParamSet is a list of parameters, e.g. all of a model's.
type ParamSet []*Param

// Params returns s itself, so a ParamSet is a Module.
func (s ParamSet) Params() []*Param { return s }

// Collect concatenates the parameters of the given modules.
func Collect(ms ...Module) ParamSet {
	var s ParamSet
	for _, m := range ms {
		s = append(s, m.Params()...)
	}
	return s
}

// ZeroGrad sets every gradient to zero.
func (s ParamSet) ZeroGrad() {
	for _, p := range s {
		clear(p.Grad)
	}
}

// CopyGrad sets every gradient of s to the matching one of src (the same
// parameters in the same order, e.g. a worker's copy of the model).
func (s ParamSet) CopyGrad(src []*Param) {
	for i, p := range s {
		copy(p.Grad, src[i].Grad)
	}
}

// AddGrad adds every gradient of src to the matching one of s. Data-parallel
// trainers reduce their shards with CopyGrad from the first and AddGrad of
// the others in shard order, so the sum does not depend on the workers.
func (s ParamSet) AddGrad(src []*Param) {
	for i, p := range s {
		g := src[i].Grad[:len(p.Grad)]
		for j, v := range g {
			p.Grad[j] += v
		}
	}
}

// Lookup returns the parameter with the given name, or nil.
func (s ParamSet) Lookup(name string) *Param {
	for _, p := range s {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Count returns the total number of scalar parameters.
func (s ParamSet) Count() int {
	n := 0
	for _, p := range s {
		n += len(p.Data)
	}
	return n
}

// Linear is a fully connected layer y = x·Wᵀ + b (PyTorch nn.Linear layout).
type Linear struct {
	In, Out int
	W       *Param // Out×In
	B       *Param // 1×Out
}

// NewLinear returns a layer initialised like PyTorch's nn.Linear: every weight
// and bias drawn from U(−1/√in, 1/√in) using rng (He et al. 2015 kaiming_uniform
// with a = √5 reduces to this bound). Parameter names are name+".W", name+".b".
func NewLinear(name string, in, out int, rng *rand.Rand) *Linear {
	l := &Linear{In: in, Out: out, W: NewParam(name+".W", out, in), B: NewParam(name+".b", 1, out)}
	bound := 1 / math.Sqrt(float64(in))
	for i := range l.W.Data {
		l.W.Data[i] = bound * (2*rng.Float64() - 1)
	}
	for i := range l.B.Data {
		l.B.Data[i] = bound * (2*rng.Float64() - 1)
	}
	return l
}

// Params returns W and B.
func (l *Linear) Params() []*Param { return []*Param{l.W, l.B} }

// Forward records x·Wᵀ + b on t; x is B×In, the result B×Out.
func (l *Linear) Forward(t *Tape, x *Node) *Node {
	return t.AffineAct(x, t.Param(l.W), t.Param(l.B), ActIdentity)
}

// ForwardAct records act(x·Wᵀ + b) on t.
func (l *Linear) ForwardAct(t *Tape, x *Node, act Act) *Node {
	return t.AffineAct(x, t.Param(l.W), t.Param(l.B), act)
}

// MLP is a stack of Linear layers with activation Act after every layer but
// the last.
type MLP struct {
	Layers []*Linear
	Act    Act
}

// NewMLP builds an MLP with layer widths sizes[0] → sizes[1] → … → sizes[n−1];
// layer i is named fmt.Sprintf("%s.%d", name, i).
func NewMLP(name string, sizes []int, act Act, rng *rand.Rand) *MLP {
	if len(sizes) < 2 {
		panic(fmt.Sprintf("ad: NewMLP %q: need at least 2 sizes, got %v", name, sizes))
	}
	m := &MLP{Act: act}
	for i := 0; i+1 < len(sizes); i++ {
		m.Layers = append(m.Layers, NewLinear(fmt.Sprintf("%s.%d", name, i), sizes[i], sizes[i+1], rng))
	}
	return m
}

// Params returns the parameters of all layers in order.
func (m *MLP) Params() []*Param {
	var ps []*Param
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Forward records the MLP on t.
func (m *MLP) Forward(t *Tape, x *Node) *Node {
	for i, l := range m.Layers {
		act := m.Act
		if i == len(m.Layers)-1 {
			act = ActIdentity
		}
		x = l.ForwardAct(t, x, act)
	}
	return x
}
