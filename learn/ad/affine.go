package ad

import "fmt"

// Affine sets the m×n matrix y to act(x·Wᵀ + b) for the m×k matrix x, the
// n×k weight matrix w (a Linear layer's W, out×in) and the bias b (len n),
// all row-major: a dense layer's forward pass without a tape, for inference
// loops such as sampling a diffusion model. It runs Tape.AffineAct's
// kernels and gives the same bits.
// scratch holds a transposed copy of w; it grows as needed and can be
// reused across calls, so that Affine allocates nothing once it is large
// enough. Affine panics if a slice is too short for its shape.
func Affine(y, x, w, b []float64, m, n, k int, act Act, scratch *[]float64) {
	if m < 0 || n < 0 || k < 0 || len(y) < m*n || len(x) < m*k || len(w) < n*k || len(b) < n {
		panic(fmt.Sprintf("ad: Affine: shapes m = %d, n = %d, k = %d need len(y) ≥ %d, len(x) ≥ %d, len(w) ≥ %d, len(b) ≥ %d; have %d, %d, %d, %d",
			m, n, k, m*n, m*k, n*k, n, len(y), len(x), len(w), len(b)))
	}
	if m == 0 || n == 0 {
		return
	}
	gemmNTBias(m, n, k, x, w, b, y, scratch)
	applyAct(act, y[:m*n], nil)
}
