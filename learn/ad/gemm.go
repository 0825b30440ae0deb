package ad

// Dense matrix products for the tape. Every matrix is row-major and dense
// (stride = number of columns). The pure-Go kernels below are blocked for
// the narrow layers of SPIB/D-SPIB (widths 2…64): each pass over an output
// row consumes four rows of the right-hand operand, so the output is loaded
// and stored a quarter as often as in a plain axpy loop. They are single-threaded and
// deterministic. bigGemm (see blas_*.go) may hand large products to a BLAS.
// On CPUs with AVX-512F, gemmNN, gemmTN and gemmNTBias run CondMLP's 4×32
// register-blocked kernel (gemmAcc) instead of the AVX2 rows: the SPIB
// epoch at K = 100 takes about 12 % less CPU (learn/spib BenchmarkEpoch).

// gemmNT sets c = beta·c + a·bᵀ with a m×k, b n×k, c m×n; beta is 0 or 1.
// It transposes b into *scratch (grown as needed, so reusable without
// allocation) and runs the axpy-form kernel, which is 2–4× faster than dot
// products on rows as short as 7–64.
func gemmNT(m, n, k int, a, b []float64, beta float64, c []float64, scratch *[]float64) {
	if m == 0 || n == 0 {
		return
	}
	if beta == 0 {
		clear(c[:m*n])
	}
	if k == 0 {
		return
	}
	if bigGemmNT(m, n, k, a, b, c) {
		return
	}
	if useDots(n, k) {
		gemmDots(m, n, k, a, padRowsInto(scratch, b, n, k), c)
		return
	}
	gemmNN(m, n, k, a, transposeInto(scratch, b, n, k), c)
}

// transposeInto writes the k×n transpose of the n×k matrix b into *scratch
// (grown as needed) and returns it.
func transposeInto(scratch *[]float64, b []float64, n, k int) []float64 {
	*scratch = grow(*scratch, k*n)
	bt := *scratch
	for j := 0; j < n; j++ {
		for l, v := range b[j*k : j*k+k] {
			bt[l*n+j] = v
		}
	}
	return bt
}

// useDots reports whether a product with n output columns and inner
// dimension k goes through dotsKern (dot products along k) rather than the
// axpy rows of kernAxpy: for n < 8 an axpy row is one or two vectors, partly
// masked, whose FMA chain is latency-bound, while the dots run eight
// independent chains once k ≥ 8 (measured at B = 512: 2×16 and 7×16 outputs
// twice as fast; at k = 7 or n = 8 the two are even).
func useDots(n, k int) bool { return hasFMA && n <= 7 && k >= 8 }

// padRowsInto copies the n×k matrix b into *scratch (grown as needed) as
// pad4(n) rows, the pad rows zero, and returns it: dotsKern's layout.
func padRowsInto(scratch *[]float64, b []float64, n, k int) []float64 {
	*scratch = grow(*scratch, pad4(n)*k)
	bt := *scratch
	copy(bt, b[:n*k])
	clear(bt[n*k:])
	return bt
}

// transposePadInto writes the transpose of the k×n matrix b into *scratch
// as pad4(n) rows of k, the pad rows zero, and returns it.
func transposePadInto(scratch *[]float64, b []float64, n, k int) []float64 {
	*scratch = grow(*scratch, pad4(n)*k)
	bt := *scratch
	for l := 0; l < k; l++ {
		for j, v := range b[l*n : l*n+n] {
			bt[j*k+l] = v
		}
	}
	clear(bt[n*k:])
	return bt
}

// gemmDots adds a·btᵀ to c (a m×k, c m×n) with bt as pad4(n) rows of k.
func gemmDots(m, n, k int, a, bt, c []float64) {
	a, bt, c = a[:m*k], bt[:pad4(n)*k], c[:m*n]
	kernDots(&c[0], &a[0], &bt[0], m, n, k)
}

// gemmNNScratch is gemmNN with a scratch buffer, which lets a narrow output
// (useDots) go through dot products against the transposed b.
func gemmNNScratch(m, n, k int, a, b, c []float64, scratch *[]float64) {
	if useDots(n, k) && m > 0 && n > 0 {
		gemmDots(m, n, k, a, transposePadInto(scratch, b, n, k), c)
		return
	}
	gemmNN(m, n, k, a, b, c)
}

// gemmNTBias sets every row of c to bias + a_i·bᵀ (a m×k, b n×k, bias 1×n,
// c m×n): an affine layer's output. With the AVX2/FMA kernel the bias is
// the kernel's starting value, so c is written once instead of being filled
// with copies of the bias and then read back and accumulated.
func gemmNTBias(m, n, k int, a, b, bias, c []float64, scratch *[]float64) {
	if !hasFMA || m == 0 || n == 0 || k == 0 || useDots(n, k) {
		for i := 0; i < m; i++ {
			copy(c[i*n:(i+1)*n], bias[:n])
		}
		gemmNT(m, n, k, a, b, 1, c, scratch)
		return
	}
	// (bigGemmNT never takes a product when the kernel is available.)
	bt := transposeInto(scratch, b, n, k)
	bias, c = bias[:n], c[:m*n]
	if hasAVX512 && m >= 4 {
		for i := 0; i < m; i++ {
			copy(c[i*n:(i+1)*n], bias)
		}
		gemmAcc(c, n, a, k, 1, bt, n, m, n, k)
		return
	}
	for i := 0; i < m; i++ {
		kernAxpyInit(&c[i*n], &bias[0], &a[i*k], &bt[0], n, k, 1, n)
	}
}

// gemmNN adds a·b to c with a m×k, b k×n, c m×n.
func gemmNN(m, n, k int, a, b, c []float64) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	if bigGemmNN(m, n, k, a, b, c) {
		return
	}
	if hasAVX512 && m >= 4 {
		// 4×32 register blocks of C (gemmAcc), rows past a multiple of 4
		// with the AVX2 rows below.
		gemmAcc(c, n, a, k, 1, b, n, m, n, k)
		return
	}
	if hasFMA {
		for i := 0; i < m; i++ {
			kernAxpy(&c[i*n], &a[i*k], &b[0], n, k, 1, n)
		}
		return
	}
	for i := 0; i < m; i++ {
		ai := a[i*k : i*k+k]
		ci := c[i*n : i*n+n]
		l := 0
		for ; l+4 <= k; l += 4 {
			a0, a1, a2, a3 := ai[l], ai[l+1], ai[l+2], ai[l+3]
			b0 := b[l*n : l*n+n]
			b1 := b[(l+1)*n : (l+1)*n+n]
			b2 := b[(l+2)*n : (l+2)*n+n]
			b3 := b[(l+3)*n : (l+3)*n+n]
			b0, b1, b2, b3 = b0[:len(ci)], b1[:len(ci)], b2[:len(ci)], b3[:len(ci)]
			for j := range ci {
				ci[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
			}
		}
		for ; l < k; l++ {
			av := ai[l]
			bl := b[l*n : l*n+n]
			for j := range ci {
				ci[j] += av * bl[j]
			}
		}
	}
}

// colSumAdd adds the column sums of the rows×cols matrix m to dst (len cols).
func colSumAdd(dst, m []float64, rows, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	if hasFMA {
		one := 1.0
		kernAxpy(&dst[0], &one, &m[0], cols, rows, 0, cols)
		return
	}
	for i := 0; i < rows; i++ {
		r := m[i*cols : (i+1)*cols]
		for j, v := range r {
			dst[j] += v
		}
	}
}

// gemmTN adds aᵀ·b to c with a k×m, b k×n, c m×n.
func gemmTN(m, n, k int, a, b, c []float64) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	if bigGemmTN(m, n, k, a, b, c) {
		return
	}
	if hasAVX512 && m >= 4 {
		gemmAcc(c, n, a, 1, m, b, n, m, n, k)
		return
	}
	if hasFMA {
		// c_i += Σ_l a[l, i]·b_l, in blocks of kc rows of b that stay in cache.
		kc := max(8, 2048/n) // b block of ≤ 16 KiB stays in L1
		for l0 := 0; l0 < k; l0 += kc {
			kb := min(kc, k-l0)
			for i := 0; i < m; i++ {
				kernAxpy(&c[i*n], &a[l0*m+i], &b[l0*n], n, kb, m, n)
			}
		}
		return
	}
	l := 0
	for ; l+4 <= k; l += 4 {
		a0 := a[l*m : l*m+m]
		a1 := a[(l+1)*m : (l+1)*m+m]
		a2 := a[(l+2)*m : (l+2)*m+m]
		a3 := a[(l+3)*m : (l+3)*m+m]
		b0 := b[l*n : l*n+n]
		b1 := b[(l+1)*n : (l+1)*n+n]
		b2 := b[(l+2)*n : (l+2)*n+n]
		b3 := b[(l+3)*n : (l+3)*n+n]
		for i := 0; i < m; i++ {
			x0, x1, x2, x3 := a0[i], a1[i], a2[i], a3[i]
			ci := c[i*n : i*n+n]
			b0, b1, b2, b3 := b0[:len(ci)], b1[:len(ci)], b2[:len(ci)], b3[:len(ci)]
			for j := range ci {
				ci[j] += x0*b0[j] + x1*b1[j] + x2*b2[j] + x3*b3[j]
			}
		}
	}
	for ; l < k; l++ {
		al := a[l*m : l*m+m]
		bl := b[l*n : l*n+n]
		for i, x := range al {
			ci := c[i*n : i*n+n]
			for j := range ci {
				ci[j] += x * bl[j]
			}
		}
	}
}
