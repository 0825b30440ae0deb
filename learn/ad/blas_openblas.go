//go:build openblas

package ad

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"

	"github.com/dspib/dspib/learn/ad/internal/openblas"
)

// With -tags openblas, blas64 is switched to OpenBLAS (via
// gonum.org/v1/netlib, cgo; needs Debian's libopenblas-dev), limited to one
// thread so that ops stay single-threaded and deterministic.
//
// Which products go to OpenBLAS is chosen per shape from BenchmarkGemm
// (AMD EPYC, AVX2): on every SPIB/D-SPIB shape the package's AVX2/FMA kernel
// matches or beats single-threaded OpenBLAS 0.3.21 (8192×64×64: 16–21 vs
// 12–15 GFLOP/s; 512×16×16: ~15 vs cgo-call-bound), so with the kernel
// available OpenBLAS is not used for these products; without it (no
// AVX2/FMA, or -tags purego) products of at least 2^18 multiply-adds go to
// OpenBLAS, smaller ones stay on the Go loops (cgo call overhead).

// Backend names the matrix-product backend compiled in.
const Backend = "openblas"

// blasMinFlops is the size m·n·k from which OpenBLAS is used.
var blasMinFlops = func() int {
	if hasFMA {
		return math.MaxInt
	}
	return 1 << 18
}()

func init() {
	openblas.SetThreads(1)
	blas64.Use(netlib.Implementation{})
}

func gen(rows, cols int, d []float64) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: d}
}

func bigGemmNT(m, n, k int, a, b, c []float64) bool {
	if m*n*k < blasMinFlops {
		return false
	}
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, gen(m, k, a), gen(n, k, b), 1, gen(m, n, c))
	return true
}

func bigGemmNN(m, n, k int, a, b, c []float64) bool {
	if m*n*k < blasMinFlops {
		return false
	}
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, gen(m, k, a), gen(k, n, b), 1, gen(m, n, c))
	return true
}

func bigGemmTN(m, n, k int, a, b, c []float64) bool {
	if m*n*k < blasMinFlops {
		return false
	}
	blas64.Gemm(blas.Trans, blas.NoTrans, 1, gen(k, m, a), gen(k, n, b), 1, gen(m, n, c))
	return true
}
