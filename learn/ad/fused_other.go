//go:build !amd64 || purego

package ad

const hasAVX512 = false

// setAVX512 is a no-op without the assembly kernels.
func setAVX512(on bool) bool { return false }

func gemm32Avx512(c []float32, ldc int, a []float32, ars, acs int, b []float32, ldb, m, n, k int) {
	panic("ad: gemm32Avx512 without assembly")
}
func gemm64Avx512(c []float64, ldc int, a []float64, ars, acs int, b []float64, ldb, m, n, k int) {
	panic("ad: gemm64Avx512 without assembly")
}
func gemm32Avx2(c []float32, ldc int, a []float32, ars, acs int, b []float32, ldb, m, n, k int) int {
	panic("ad: gemm32Avx2 without assembly")
}
func vadd32(dst, x *float32, n int)        { panic("ad: vadd32 without assembly") }
func vadd32Avx2(dst, x *float32, n int)    { panic("ad: vadd32Avx2 without assembly") }
func vmul32Avx2(dst, x, y *float32, n int) { panic("ad: vmul32Avx2 without assembly") }
func vadd64(dst, x *float64, n int)        { panic("ad: vadd64 without assembly") }
func vmul32(dst, x, y *float32, n int)     { panic("ad: vmul32 without assembly") }
func vmul64(dst, x, y *float64, n int)     { panic("ad: vmul64 without assembly") }
func silu32(a, gr *float32, n int)         { panic("ad: silu32 without assembly") }

const cpuHasAVX512 = false

func tableRowsAVX512[F Float](seq, tab []F, keys []int, kstride, rows, width int, scatter bool) bool {
	return false
}
