package ad

import (
	"fmt"
	"testing"
)

var testLabels = []int{2, 0, 1, 2}
var testWeights = []float64{0.5, 1, 2, 0.25}
var testFreqs = []float64{0.25, 0.5, 1.5}

func gradCases() []gradCase {
	v := func(r, c int) varSpec { return varSpec{rows: r, cols: c} }
	pos := func(r, c int) varSpec { return varSpec{rows: r, cols: c, positive: true} }
	var cs []gradCase
	for _, act := range []Act{ActIdentity, ActReLU, ActSiLU, ActTanh, ActSigmoid} {
		act := act
		cs = append(cs,
			gradCase{"AffineAct/" + act.String(), []varSpec{v(4, 3), v(5, 3), v(1, 5)},
				func(t *Tape, x []*Node) *Node { return t.AffineAct(x[0], x[1], x[2], act) }},
			gradCase{"AffineAct2/" + act.String(), []varSpec{v(4, 3), v(5, 3), v(4, 2), v(5, 2), v(1, 5)},
				func(t *Tape, x []*Node) *Node { return t.AffineAct2(x[0], x[1], x[2], x[3], x[4], act) }},
			gradCase{"Activate/" + act.String(), []varSpec{v(3, 4)},
				func(t *Tape, x []*Node) *Node { return t.Activate(x[0], act) }},
		)
	}
	cs = append(cs,
		gradCase{"Affine/nobias", []varSpec{v(4, 3), v(2, 3)},
			func(t *Tape, x []*Node) *Node { return t.Affine(x[0], x[1], nil) }},
		gradCase{"AffineAct2/nobias", []varSpec{v(4, 3), v(2, 3), v(4, 1), v(2, 1)},
			func(t *Tape, x []*Node) *Node { return t.AffineAct2(x[0], x[1], x[2], x[3], nil, ActSiLU) }},
		gradCase{"MatMul", []varSpec{v(3, 4), v(4, 2)},
			func(t *Tape, x []*Node) *Node { return t.MatMul(x[0], x[1]) }},
		gradCase{"Exp", []varSpec{v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.Exp(x[0]) }},
		gradCase{"Log", []varSpec{pos(3, 2)}, func(t *Tape, x []*Node) *Node { return t.Log(x[0]) }},
		gradCase{"Softplus", []varSpec{v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.Softplus(x[0]) }},
		gradCase{"Square", []varSpec{v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.Square(x[0]) }},
		gradCase{"Scale", []varSpec{v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.Scale(x[0], -1.7) }},
		gradCase{"AddScalar", []varSpec{v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.AddScalar(x[0], 0.3) }},
		gradCase{"ScaleRows", []varSpec{v(3, 2)},
			func(t *Tape, x []*Node) *Node { return t.ScaleRows(x[0], []float64{0.5, -2, 3}) }},
		gradCase{"Add", []varSpec{v(3, 2), v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.Add(x[0], x[1]) }},
		gradCase{"Sub", []varSpec{v(3, 2), v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.Sub(x[0], x[1]) }},
		gradCase{"Mul", []varSpec{v(3, 2), v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.Mul(x[0], x[1]) }},
		gradCase{"AddRowBroadcast", []varSpec{v(3, 2), v(1, 2)},
			func(t *Tape, x []*Node) *Node { return t.AddRowBroadcast(x[0], x[1]) }},
		gradCase{"MulRowBroadcast", []varSpec{v(3, 2), v(1, 2)},
			func(t *Tape, x []*Node) *Node { return t.MulRowBroadcast(x[0], x[1]) }},
		gradCase{"ConcatCols", []varSpec{v(3, 2), v(3, 3)},
			func(t *Tape, x []*Node) *Node { return t.ConcatCols(x[0], x[1]) }},
		gradCase{"ConcatCols/broadcast", []varSpec{v(3, 2), v(1, 3)},
			func(t *Tape, x []*Node) *Node { return t.ConcatCols(x[0], x[1]) }},
		gradCase{"ConcatCols/broadcastFirst", []varSpec{v(1, 2), v(3, 3)},
			func(t *Tape, x []*Node) *Node { return t.ConcatCols(x[0], x[1]) }},
		gradCase{"SliceCols", []varSpec{v(3, 4)}, func(t *Tape, x []*Node) *Node { return t.SliceCols(x[0], 1, 3) }},
		gradCase{"RepeatRows", []varSpec{v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.RepeatRows(x[0], 4) }},
		gradCase{"GatherRows", []varSpec{v(3, 2)},
			func(t *Tape, x []*Node) *Node { return t.GatherRows(x[0], []int{2, 0, 2, 1, 2}) }},
		gradCase{"Sum", []varSpec{v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.Sum(x[0]) }},
		gradCase{"Mean", []varSpec{v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.Mean(x[0]) }},
		gradCase{"RowSum", []varSpec{v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.RowSum(x[0]) }},
		gradCase{"WeightedMeanRows", []varSpec{v(4, 2)},
			func(t *Tape, x []*Node) *Node { return t.WeightedMeanRows(x[0], testWeights) }},
		gradCase{"WeightedMeanRows/nil", []varSpec{v(4, 2)},
			func(t *Tape, x []*Node) *Node { return t.WeightedMeanRows(x[0], nil) }},
		gradCase{"LogSoftmax", []varSpec{v(4, 3)}, func(t *Tape, x []*Node) *Node { return t.LogSoftmax(x[0]) }},
		gradCase{"PickCols", []varSpec{v(4, 3)}, func(t *Tape, x []*Node) *Node { return t.PickCols(x[0], testLabels) }},
		gradCase{"NLL", []varSpec{v(4, 3)},
			func(t *Tape, x []*Node) *Node { return t.NLL(t.LogSoftmax(x[0]), testLabels, nil) }},
		gradCase{"NLL/weighted", []varSpec{v(4, 3)},
			func(t *Tape, x []*Node) *Node { return t.NLL(t.LogSoftmax(x[0]), testLabels, testWeights) }},
		gradCase{"Reparam", []varSpec{v(3, 2), v(3, 2), v(3, 2)},
			func(t *Tape, x []*Node) *Node { return t.Reparam(x[0], x[1], x[2]) }},
		gradCase{"Reparam/broadcast", []varSpec{v(3, 2), v(1, 2), v(3, 2)},
			func(t *Tape, x []*Node) *Node { return t.Reparam(x[0], x[1], x[2]) }},
		gradCase{"GaussLogPDF", []varSpec{v(3, 2), v(3, 2), v(3, 2)},
			func(t *Tape, x []*Node) *Node { return t.GaussLogPDF(x[0], x[1], x[2]) }},
		gradCase{"GaussLogPDF/broadcast", []varSpec{v(3, 2), v(1, 2), v(1, 2)},
			func(t *Tape, x []*Node) *Node { return t.GaussLogPDF(x[0], x[1], x[2]) }},
		gradCase{"MixtureLogPDF", []varSpec{v(4, 2), v(3, 2), v(3, 2), v(1, 3)},
			func(t *Tape, x []*Node) *Node { return t.MixtureLogPDF(x[0], x[1], x[2], x[3]) }},
		gradCase{"MixtureLogPDF/d3", []varSpec{v(4, 3), v(2, 3), v(2, 3), v(1, 2)},
			func(t *Tape, x []*Node) *Node { return t.MixtureLogPDF(x[0], x[1], x[2], x[3]) }},
		gradCase{"MixtureLogPDF/d1broadcast", []varSpec{v(4, 1), v(3, 1), v(1, 1), v(1, 3)},
			func(t *Tape, x []*Node) *Node { return t.MixtureLogPDF(x[0], x[1], x[2], x[3]) }},
		gradCase{"MixtureLogPDF/broadcast", []varSpec{v(4, 2), v(3, 2), v(1, 2), v(1, 3)},
			func(t *Tape, x []*Node) *Node { return t.MixtureLogPDF(x[0], x[1], x[2], x[3]) }},
		// Widths 17, 13 and 9 run the vector kernels (16-, 8- and 4-wide loops) and
		// their scalar or −Inf-padded tails; the cases above only the tails.
		gradCase{"LogSoftmax/wide", []varSpec{v(3, 17)}, func(t *Tape, x []*Node) *Node { return t.LogSoftmax(x[0]) }},
		gradCase{"MixtureLogPDF/K13", []varSpec{v(5, 2), v(13, 2), v(13, 2), v(1, 13)},
			func(t *Tape, x []*Node) *Node { return t.MixtureLogPDF(x[0], x[1], x[2], x[3]) }},
		gradCase{"MixtureLogPDF/K9d3broadcast", []varSpec{v(4, 3), v(9, 3), v(1, 3), v(1, 9)},
			func(t *Tape, x []*Node) *Node { return t.MixtureLogPDF(x[0], x[1], x[2], x[3]) }},
		gradCase{"MSE", []varSpec{v(3, 2), v(3, 2)}, func(t *Tape, x []*Node) *Node { return t.MSE(x[0], x[1]) }},
		gradCase{"Fourier", []varSpec{v(3, 1)}, func(t *Tape, x []*Node) *Node { return t.Fourier(x[0], testFreqs) }},
		// A VampPrior-like graph: the mixture means come from the same encoder
		// as z, so gradient reaches the weights along two paths.
		gradCase{"VampGraph", []varSpec{v(5, 3), v(3, 3), v(1, 3), v(4, 2), v(2, 3), v(1, 2), v(1, 2), v(5, 2)},
			func(t *Tape, x []*Node) *Node {
				enc := func(in *Node) *Node { return t.Affine(in, x[4], nil) }
				mean := enc(x[0]) // used twice: fan-out
				z := t.Reparam(mean, x[5], x[7])
				mu := enc(x[1])
				logq := t.GaussLogPDF(z, mean, x[5])
				logr := t.MixtureLogPDF(z, mu, x[6], x[2])
				h := t.AffineAct(z, x[3], nil, ActReLU)
				kl := t.Sub(logq, logr)
				return t.ConcatCols(kl, h)
			}},
	)
	return cs
}

// TestGradients checks every op with the assembly kernels (if the CPU has
// them) and with the Go loops.
func TestGradients(t *testing.T) {
	for _, fma := range []bool{true, false} {
		old := setFMA(fma)
		for i, c := range gradCases() {
			t.Run(fmt.Sprintf("%s/fma=%v", c.name, hasFMA), func(t *testing.T) { checkGrad(t, c, uint64(100+i)) })
		}
		setFMA(old)
	}
}
