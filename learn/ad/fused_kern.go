package ad

import (
	"math"
	"unsafe"
)

// Kernels of CondMLP, generic over the element type. Each dispatches to the
// AVX-512 assembly of fused_amd64.s when the CPU has it and otherwise runs
// the Go loops here, which are also the reference the assembly is tested
// against.

// gemmAcc adds A·B to the m×n matrix C (row stride ldc), where
// A(i, l) = a[i·ars + l·acs] (i < m, l < k) and B is k×n with row stride
// ldb: the forward product (A = h, B = Wᵀ), the input gradient (A = da,
// B = W) and the weight gradient (A = daᵀ, B = h) of a layer are all of
// this form.
func gemmAcc[F Float](c []F, ldc int, a []F, ars, acs int, b []F, ldb, m, n, k int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	_ = c[(m-1)*ldc+n-1]
	_ = a[(m-1)*ars+(k-1)*acs]
	_ = b[(k-1)*ldb+n-1]
	i := 0
	if hasAVX512 {
		i = m &^ 3
		if i > 0 {
			if isF32[F]() {
				gemm32Avx512(f32s(c), ldc, f32s(a), ars, acs, f32s(b), ldb, i, n, k)
			} else {
				gemm64Avx512(f64s(c), ldc, f64s(a), ars, acs, f64s(b), ldb, i, n, k)
			}
		}
	}
	if !hasAVX512 && hasFMA && isF32[F]() && m >= 4 {
		// AVX2 float32: 4×16 blocks, the last n mod 8 columns in Go.
		i = m &^ 3
		j := gemm32Avx2(f32s(c), ldc, f32s(a), ars, acs, f32s(b), ldb, i, n, k)
		if j < n {
			gemmAccGo(c[j:], ldc, a, ars, acs, b[j:], ldb, i, n-j, k)
		}
	}
	if hasFMA && !isF32[F]() {
		// AVX2: the tape's row-axpy kernel, one row of C per call.
		c64, a64, b64 := f64s(c), f64s(a), f64s(b)
		for ; i < m; i++ {
			kernAxpy(&c64[i*ldc], &a64[i*ars], &b64[0], n, k, acs, ldb)
		}
		return
	}
	gemmAccGo(c[i*ldc:], ldc, a[i*ars:], ars, acs, b, ldb, m-i, n, k)
}

// gemmAccGo is gemmAcc in Go. Each pass over a row of C consumes four
// rows of B, so C is loaded and stored a quarter as often as in a plain
// axpy loop (as gemmNN).
func gemmAccGo[F Float](c []F, ldc int, a []F, ars, acs int, b []F, ldb, m, n, k int) {
	for i := range m {
		ci := c[i*ldc : i*ldc+n]
		ai := a[i*ars:]
		l := 0
		for ; l+4 <= k; l += 4 {
			a0, a1, a2, a3 := ai[l*acs], ai[(l+1)*acs], ai[(l+2)*acs], ai[(l+3)*acs]
			b0 := b[l*ldb : l*ldb+n]
			b1 := b[(l+1)*ldb : (l+1)*ldb+n]
			b2 := b[(l+2)*ldb : (l+2)*ldb+n]
			b3 := b[(l+3)*ldb : (l+3)*ldb+n]
			b0, b1, b2, b3 = b0[:len(ci)], b1[:len(ci)], b2[:len(ci)], b3[:len(ci)]
			for j := range ci {
				ci[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
			}
		}
		for ; l < k; l++ {
			av := ai[l*acs]
			bl := b[l*ldb : l*ldb+n]
			bl = bl[:len(ci)]
			for j := range ci {
				ci[j] += av * bl[j]
			}
		}
	}
}

// vadd sets dst[i] += x[i] for i < len(dst).
func vadd[F Float](dst, x []F) {
	x = x[:len(dst)]
	if hasAVX512 && len(dst) > 0 {
		if isF32[F]() {
			vadd32((*float32)(unsafe.Pointer(&dst[0])), (*float32)(unsafe.Pointer(&x[0])), len(dst))
		} else {
			vadd64((*float64)(unsafe.Pointer(&dst[0])), (*float64)(unsafe.Pointer(&x[0])), len(dst))
		}
		return
	}
	if hasFMA && isF32[F]() && len(dst) >= 8 {
		n8 := len(dst) &^ 7
		vadd32Avx2((*float32)(unsafe.Pointer(&dst[0])), (*float32)(unsafe.Pointer(&x[0])), n8)
		dst, x = dst[n8:], x[n8:]
	}
	for i, v := range x {
		dst[i] += v
	}
}

// vmulTo sets dst[i] = x[i]·y[i] for i < len(dst).
func vmulTo[F Float](dst, x, y []F) {
	x, y = x[:len(dst)], y[:len(dst)]
	if hasAVX512 && len(dst) > 0 {
		if isF32[F]() {
			vmul32((*float32)(unsafe.Pointer(&dst[0])), (*float32)(unsafe.Pointer(&x[0])), (*float32)(unsafe.Pointer(&y[0])), len(dst))
		} else {
			vmul64((*float64)(unsafe.Pointer(&dst[0])), (*float64)(unsafe.Pointer(&x[0])), (*float64)(unsafe.Pointer(&y[0])), len(dst))
		}
		return
	}
	if hasFMA && isF32[F]() && len(dst) >= 8 {
		n8 := len(dst) &^ 7
		vmul32Avx2((*float32)(unsafe.Pointer(&dst[0])), (*float32)(unsafe.Pointer(&x[0])), (*float32)(unsafe.Pointer(&y[0])), n8)
		dst, x, y = dst[n8:], x[n8:], y[n8:]
	}
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

// actFwd overwrites the pre-activation a with act(a) and, unless g is nil,
// writes act'(a) into g: for SiLU, s = σ(a), act = a·s and
// act' = s + act·(1 − s). The float32 AVX-512 kernel computes both in one
// pass, so it needs g even for inference; float64 skips it when nil.
func actFwd[F Float](act Act, a, g []F) {
	if g != nil {
		g = g[:len(a)]
	}
	switch act {
	case ActIdentity:
		for i := range g {
			g[i] = 1
		}
	case ActReLU:
		for i, v := range a {
			if v > 0 {
				if g != nil {
					g[i] = 1
				}
			} else {
				a[i] = 0
				if g != nil {
					g[i] = 0
				}
			}
		}
	case ActSiLU:
		if len(a) == 0 {
			return
		}
		if isF32[F]() {
			if hasAVX512 && g != nil {
				silu32(&f32s(a)[0], &f32s(g)[0], len(a))
				return
			}
			if hasFMA {
				silu32Avx2(f32s(a), f32s(g))
				return
			}
		} else {
			a64 := f64s(a)
			if g == nil {
				applyAct(ActSiLU, a64, nil)
				return
			}
			g64 := f64s(g)
			applyAct(ActSiLU, a64, g64)
			for i, s := range g64 {
				g64[i] = s + a64[i]*(1-s)
			}
			return
		}
		for i, v := range a {
			s := 1 / (1 + math.Exp(-float64(v)))
			u := float64(v) * s
			a[i] = F(u)
			if g != nil {
				g[i] = F(s + u*(1-s))
			}
		}
	}
}

// silu32Avx2 is actFwd's float32 SiLU without AVX-512: chunks widened to
// float64 go through the vectorised σ of applyAct (AVX2 exponentials)
// instead of one math.Exp per element. g may be nil.
func silu32Avx2(a, g []float32) {
	var ab, sb [256]float64
	for lo := 0; lo < len(a); lo += len(ab) {
		ac := a[lo:min(lo+len(ab), len(a))]
		x, s := ab[:len(ac)], sb[:len(ac)]
		for i, v := range ac {
			x[i] = float64(v)
		}
		applyAct(ActSiLU, x, s) // x ← x·σ(x), s ← σ(x)
		for i, u := range x {
			ac[i] = float32(u)
		}
		if g != nil {
			gc := g[lo : lo+len(ac)]
			for i, u := range x {
				gc[i] = float32(s[i] + u*(1-s[i]))
			}
		}
	}
}

// f32s and f64s view a []F as the concrete slice type it is.
func f32s[F Float](x []F) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}
func f64s[F Float](x []F) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}

// tableRows adds, for r < rows, row keys[r·kstride] of the table tab
// (rows of width) to row r of seq (gather), or row r of seq to that table
// row (scatter, the gather's gradient; each run of equal consecutive keys
// is summed before it is added). Keys must be in range (checked by
// CondMLP.Loss).
func tableRows[F Float](seq, tab []F, keys []int, kstride, rows, width int, scatter bool) {
	if rows == 0 || width == 0 {
		return
	}
	_ = seq[rows*width-1]
	_ = keys[(rows-1)*kstride]
	for r := range rows {
		if k := keys[r*kstride]; k < 0 || (k+1)*width > len(tab) {
			panic("ad: tableRows: key out of range")
		}
	}
	if hasAVX512 && tableRowsAVX512(seq, tab, keys, kstride, rows, width, scatter) {
		return
	}
	if !scatter {
		for r := range rows {
			k := keys[r*kstride]
			vadd(seq[r*width:(r+1)*width], tab[k*width:(k+1)*width])
		}
		return
	}
	// A run of equal consecutive keys is summed first (from zero, in row
	// order) and added to its table row once, as the assembly does.
	for r := 0; r < rows; {
		k, e := keys[r*kstride], r+1
		for e < rows && keys[e*kstride] == k {
			e++
		}
		t := tab[k*width : (k+1)*width]
		if e == r+1 { // a run of one: the same sum, by the vector add
			vadd(t, seq[r*width:(r+1)*width])
			r = e
			continue
		}
		for j := range t {
			var sum F
			for q := r; q < e; q++ {
				sum += seq[q*width+j]
			}
			t[j] += sum
		}
		r = e
	}
}
