package ad

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// gemmNT sets c = beta·c + a·bᵀ with a m×k, b n×k, c m×n (all row-major, dense).
func gemmNT(m, n, k int, a, b []float64, beta float64, c []float64) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if beta == 0 {
			clear(c[:m*n])
		}
		return
	}
	blas64.Gemm(blas.NoTrans, blas.Trans, 1,
		blas64.General{Rows: m, Cols: k, Stride: k, Data: a},
		blas64.General{Rows: n, Cols: k, Stride: k, Data: b},
		beta, blas64.General{Rows: m, Cols: n, Stride: n, Data: c})
}

// gemmNN adds a·b to c with a m×k, b k×n, c m×n.
func gemmNN(m, n, k int, a, b, c []float64) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas64.General{Rows: m, Cols: k, Stride: k, Data: a},
		blas64.General{Rows: k, Cols: n, Stride: n, Data: b},
		1, blas64.General{Rows: m, Cols: n, Stride: n, Data: c})
}

// gemmTN adds aᵀ·b to c with a k×m, b k×n, c m×n.
func gemmTN(m, n, k int, a, b, c []float64) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	blas64.Gemm(blas.Trans, blas.NoTrans, 1,
		blas64.General{Rows: k, Cols: m, Stride: m, Data: a},
		blas64.General{Rows: k, Cols: n, Stride: n, Data: b},
		1, blas64.General{Rows: m, Cols: n, Stride: n, Data: c})
}
