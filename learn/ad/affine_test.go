package ad

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAffineMatchesTape: Affine is the tape's AffineAct without a tape, so
// on the same inputs it must give the same bits, for every activation and
// for widths that take the axpy kernel (64), a masked tail (5) and the
// dot-product path of narrow outputs (2).
func TestAffineMatchesTape(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	normal := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = 2 * rng.NormFloat64()
		}
		return v
	}
	var scratch []float64
	for _, act := range []Act{ActIdentity, ActReLU, ActSiLU, ActTanh, ActSigmoid} {
		for _, sh := range [][3]int{{7, 64, 64}, {33, 5, 3}, {64, 2, 64}, {1, 1, 1}} {
			m, n, k := sh[0], sh[1], sh[2]
			x, w, b := normal(m*k), normal(n*k), normal(n)
			tape := NewTape()
			want := tape.AffineAct(tape.Const(m, k, x), tape.Const(n, k, w), tape.Const(1, n, b), act).Data
			got := make([]float64, m*n)
			Affine(got, x, w, b, m, n, k, act, &scratch)
			for i := range got {
				require.Equal(t, want[i], got[i], "%v, m n k = %d %d %d: y[%d] against the tape", act, m, n, k, i)
			}
		}
	}
	// Once scratch is large enough, a call allocates nothing.
	x, w, b, y := normal(64*64), normal(64*64), normal(64), make([]float64, 64*64)
	Affine(y, x, w, b, 64, 64, 64, ActSiLU, &scratch)
	assert.Zero(t, testing.AllocsPerRun(10, func() { Affine(y, x, w, b, 64, 64, 64, ActSiLU, &scratch) }), "Affine allocations per call")
}

func TestAffinePanicsOnShortSlices(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a y of 3 values with m·n = 4")
		}
	}()
	Affine(make([]float64, 3), make([]float64, 4), make([]float64, 2), make([]float64, 2), 2, 2, 2, ActIdentity, nil)
}

// TestCopyAddGrad: the shard reduction of the data-parallel trainers sums
// the gradients in the order of the calls.
func TestCopyAddGrad(t *testing.T) {
	mk := func(g ...float64) ParamSet {
		p := NewParam("w", 1, len(g))
		copy(p.Grad, g)
		return ParamSet{p}
	}
	dst, a, b := mk(9, 9, 9), mk(1, 2, 3), mk(0.5, -2, 1e-17)
	dst.CopyGrad(a)
	dst.AddGrad(b)
	for j, want := range []float64{1.5, 0, 3 + 1e-17} {
		assert.Equal(t, want, dst[0].Grad[j], "grad[%d]", j)
	}
}
