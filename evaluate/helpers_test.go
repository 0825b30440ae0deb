package evaluate

import (
	"math/rand/v2"
	"testing"
)

// rowOf returns the row of method key at kT in res, failing the test if
// there is none.
func rowOf(t *testing.T, res *Result, key string, kT float64) *Row {
	t.Helper()
	for i := range res.Rows {
		if r := &res.Rows[i]; r.MethodKey == key && r.KT == kT {
			return r
		}
	}
	t.Fatalf("no row %s at kT %v", key, kT)
	return nil
}

// gauss2 returns n points of a 2-D normal with means (mx, my) and standard
// deviation s in each coordinate.
func gauss2(rng *rand.Rand, n int, mx, my, s float64) []float64 {
	z := make([]float64, 2*n)
	for i := range n {
		z[2*i], z[2*i+1] = mx+s*rng.NormFloat64(), my+s*rng.NormFloat64()
	}
	return z
}

// twoStates is the identity encoder of 2-D frames whose state is the sign
// of z1.
type twoStates struct{}

func (twoStates) Encode(x []float64) ([]float64, error) { return x, nil }
func (twoStates) NumStates() int                        { return 2 }
func (twoStates) LatentDim() int                        { return 2 }
func (twoStates) FeatureDim() int                       { return 2 }
func (twoStates) Classify(z []float64) ([]int, error) {
	l := make([]int, len(z)/2)
	for i := range l {
		if z[2*i] > 0 {
			l[i] = 1
		}
	}
	return l, nil
}

// shiftGen generates N((shift·kT, 0), I): a temperature-aware generator
// whose mean moves with kT.
type shiftGen struct{ shift float64 }

func (g shiftGen) Generate(kT float64, n int, seed uint64) ([]float64, error) {
	return gauss2(rand.New(rand.NewPCG(seed, 1)), n, g.shift*kT, 0, 1), nil
}
