//go:build !openblas

package ad

import "math"

// Without the openblas tag every product uses the kernels of gemm.go (Go
// loops, or the AVX2/FMA kernel of kern_amd64.s when the CPU has it): on the
// layer widths of SPIB/D-SPIB (≤ 64) they beat gonum's pure-Go Dgemm, which
// also spawns goroutines for large outputs (see BenchmarkGemm).

// Backend names the matrix-product backend compiled in.
const Backend = "pure-go"

// blasMinFlops is the product size m·n·k from which a BLAS would be used;
// without one, never.
var blasMinFlops = math.MaxInt

func bigGemmNT(m, n, k int, a, b, c []float64) bool { return false }
func bigGemmNN(m, n, k int, a, b, c []float64) bool { return false }
func bigGemmTN(m, n, k int, a, b, c []float64) bool { return false }
