package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
)

// varSpec describes one differentiable input of a gradient check.
type varSpec struct {
	rows, cols int
	positive   bool // draw from U(0.5, 2) instead of N(0, 1)
}

// gradCase is one op (or small graph) under test: f builds the output from
// the differentiable inputs v (one node per varSpec, same order).
type gradCase struct {
	name string
	vars []varSpec
	f    func(t *Tape, v []*Node) *Node
}

// gradTol is the tolerance of checkGrad: |analytic − numeric| ≤ gradTol·max(1, |numeric|).
// Central differences with gonum's default step h = 6e-6 have truncation error
// ~h²·|f”'|/6 ≈ 1e-11 and rounding error ~ε·|L|/h ≈ 4e-11·|L|; with |L| ≲ 100 on
// these small random cases both are ≥ 1e4 times below the tolerance.
const gradTol = 1e-6

// newVars draws the inputs of c from rng as parameters.
func newVars(c gradCase, rng *rand.Rand) []*Param {
	ps := make([]*Param, len(c.vars))
	for i, s := range c.vars {
		p := NewParam(fmt.Sprintf("v%d", i), s.rows, s.cols)
		for j := range p.Data {
			if s.positive {
				p.Data[j] = 0.5 + 1.5*rng.Float64()
			} else {
				p.Data[j] = rng.NormFloat64()
			}
		}
		ps[i] = p
	}
	return ps
}

// checkGrad compares the tape's gradient of L = Σ R⊙f(v) (R a fixed random
// weighting, so every output element and its position matter) with central
// finite differences, for every input. It runs twice: with the inputs as
// Param leaves (gradient accumulated into Param.Grad) and as Input leaves
// (gradient in Node.Grad).
func checkGrad(t *testing.T, c gradCase, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	ps := newVars(c, rng)
	tp := NewTape()
	// Draw the output weighting once.
	var weights []float64
	for _, asParam := range []bool{true, false} {
		build := func() (*Node, []*Node) {
			tp.Reset()
			v := make([]*Node, len(ps))
			for i, p := range ps {
				if asParam {
					v[i] = tp.Param(p)
				} else {
					v[i] = tp.Input(p.Rows, p.Cols, p.Data)
				}
			}
			out := c.f(tp, v)
			if weights == nil {
				weights = make([]float64, out.Len())
				for i := range weights {
					weights[i] = rng.NormFloat64()
				}
			}
			return tp.Sum(tp.Mul(out, tp.Const(out.Rows, out.Cols, weights))), v
		}
		for _, p := range ps {
			clear(p.Grad)
		}
		loss, v := build()
		tp.Backward(loss)
		analytics := make([][]float64, len(ps))
		for i := range ps {
			require.NotNil(t, v[i].Grad, "%s: input %d has no gradient", c.name, i)
			analytics[i] = append([]float64(nil), v[i].Grad...)
		}
		for i, p := range ps {
			analytic := analytics[i]
			x0 := append([]float64(nil), p.Data...)
			numeric := fd.Gradient(nil, func(x []float64) float64 {
				copy(p.Data, x)
				l, _ := build()
				return l.Data[0]
			}, x0, &fd.Settings{Formula: fd.Central})
			copy(p.Data, x0)
			for j := range numeric {
				testutil.InDelta(t, numeric[j], analytic[j], gradTol*math.Max(1, math.Abs(numeric[j])),
					"%s (param=%v): ∂L/∂v%d[%d] against the finite difference", c.name, asParam, i, j)
			}
		}
	}
}
