//go:build !openblas

package ad

// Without the openblas tag every product uses the pure-Go kernels of
// gemm.go: on the layer widths of SPIB/D-SPIB (≤ 64) they beat gonum's
// pure-Go Dgemm, which also spawns goroutines for large outputs (see
// BenchmarkGemm).

// Backend names the matrix-product backend compiled in.
const Backend = "pure-go"

func bigGemmNT(m, n, k int, a, b, c []float64) bool { return false }
func bigGemmNN(m, n, k int, a, b, c []float64) bool { return false }
func bigGemmTN(m, n, k int, a, b, c []float64) bool { return false }
