//go:build amd64 && !purego

package ad

import "unsafe"

//go:noescape
func gemm32Block(c *float32, ldc int, a *float32, ars, acs int, b *float32, ldb, k int, masks uint64, nv int)

//go:noescape
func gemm64Block(c *float64, ldc int, a *float64, ars, acs int, b *float64, ldb, k int, masks uint64, nv int)

//go:noescape
func gemm32Avx2Block(c *float32, ldc int, a *float32, ars, acs int, b *float32, ldb, k, nv int)

// gemm32Avx2 runs gemmAcc's float32 product for m rows (a multiple of 4)
// with the AVX2/FMA block kernel, in column blocks of 16 then 8, and
// returns the number of leading columns done (n rounded down to a multiple
// of 8); the caller does the rest.
func gemm32Avx2(c []float32, ldc int, a []float32, ars, acs int, b []float32, ldb, m, n, k int) int {
	j0 := 0
	for ; j0+16 <= n; j0 += 16 {
		for i := 0; i < m; i += 4 {
			gemm32Avx2Block(&c[i*ldc+j0], ldc, &a[i*ars], ars, acs, &b[j0], ldb, k, 2)
		}
	}
	if j0+8 <= n {
		for i := 0; i < m; i += 4 {
			gemm32Avx2Block(&c[i*ldc+j0], ldc, &a[i*ars], ars, acs, &b[j0], ldb, k, 1)
		}
		j0 += 8
	}
	return j0
}

//go:noescape
func vadd32Avx2(dst, x *float32, n int)

//go:noescape
func vmul32Avx2(dst, x, y *float32, n int)

//go:noescape
func vadd32(dst, x *float32, n int)

//go:noescape
func vadd64(dst, x *float64, n int)

//go:noescape
func vmul32(dst, x, y *float32, n int)

//go:noescape
func vmul64(dst, x, y *float64, n int)

//go:noescape
func silu32(a, gr *float32, n int)

// hasAVX512 reports whether the CPU and OS support AVX-512F (CPUID leaf 7
// EBX bit 16; XCR0 bits 1, 2 and 5–7 for the opmask and ZMM state), which
// the CondMLP kernels use.
var hasAVX512 = cpuHasAVX512

var cpuHasAVX512 = detectAVX512()

// setAVX512 turns the AVX-512 kernels on (if the CPU has them) or off and
// returns the previous setting; tests cover both paths with it.
func setAVX512(on bool) bool {
	old := hasAVX512
	hasAVX512 = on && cpuHasAVX512
	return old
}

func detectAVX512() bool {
	if !detectFMA() {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&0xe6 != 0xe6 {
		return false
	}
	_, b, _, _ := cpuid(7, 0)
	return b&(1<<16) != 0
}

// blockMasks returns the four lane masks of a column block of w columns
// (w ≤ 4·lanes) and the number of vectors the kernel must run (1 or 4).
func blockMasks(w, lanes int) (uint64, int) {
	var m uint64
	for v := range 4 {
		n := min(max(w-v*lanes, 0), lanes)
		m |= (1<<uint(n) - 1) << (16 * uint(v))
	}
	if w <= lanes {
		return m, 1
	}
	return m, 4
}

// gemmBlocks runs gemmAcc's product for m rows (a multiple of 4) with the
// AVX-512 block kernel, in column blocks of 4·lanes.
func gemm32Avx512(c []float32, ldc int, a []float32, ars, acs int, b []float32, ldb, m, n, k int) {
	for j0 := 0; j0 < n; j0 += 64 {
		masks, nv := blockMasks(min(64, n-j0), 16)
		for i := 0; i < m; i += 4 {
			gemm32Block(&c[i*ldc+j0], ldc, &a[i*ars], ars, acs, &b[j0], ldb, k, masks, nv)
		}
	}
}

func gemm64Avx512(c []float64, ldc int, a []float64, ars, acs int, b []float64, ldb, m, n, k int) {
	for j0 := 0; j0 < n; j0 += 32 {
		masks, nv := blockMasks(min(32, n-j0), 8)
		for i := 0; i < m; i += 4 {
			gemm64Block(&c[i*ldc+j0], ldc, &a[i*ars], ars, acs, &b[j0], ldb, k, masks, nv)
		}
	}
}

//go:noescape
func gatherAdd32(seq, tab *float32, keys *int, kstride, rows, width int, masks uint64)

//go:noescape
func scatterAdd32(seq, tab *float32, keys *int, kstride, rows, width int, masks uint64)

//go:noescape
func gatherAdd64(seq, tab *float64, keys *int, kstride, rows, width int, masks uint64)

//go:noescape
func scatterAdd64(seq, tab *float64, keys *int, kstride, rows, width int, masks uint64)

// tableRowsAVX512 runs tableRows with the assembly kernels if the width
// fits four vectors, reporting whether it did.
func tableRowsAVX512[F Float](seq, tab []F, keys []int, kstride, rows, width int, scatter bool) bool {
	if isF32[F]() {
		if width > 64 {
			return false
		}
		m, _ := blockMasks(width, 16)
		s, t := (*float32)(unsafe.Pointer(&seq[0])), (*float32)(unsafe.Pointer(&tab[0]))
		if scatter {
			scatterAdd32(s, t, &keys[0], kstride, rows, width, m)
		} else {
			gatherAdd32(s, t, &keys[0], kstride, rows, width, m)
		}
		return true
	}
	if width > 32 {
		return false
	}
	m, _ := blockMasks(width, 8)
	s, t := (*float64)(unsafe.Pointer(&seq[0])), (*float64)(unsafe.Pointer(&tab[0]))
	if scatter {
		scatterAdd64(s, t, &keys[0], kstride, rows, width, m)
	} else {
		gatherAdd64(s, t, &keys[0], kstride, rows, width, m)
	}
	return true
}
