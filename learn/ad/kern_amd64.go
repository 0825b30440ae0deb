//go:build amd64 && !purego

package ad

// kernAxpyMask sets c[j] = init[j] + Σ_{l<k} a[l·as]·b[l·ldb+j] for j in
// [0, n) with AVX2 FMA (kern_amd64.s). Callers check hasFMA; k ≥ 1, n ≥ 1.
//
//go:noescape
func kernAxpyMask(c, init, a, b *float64, n, k, as, ldb int, mask *int64)

// maskTab[4−r:8−r] is a vector mask selecting the first r lanes.
var maskTab = [8]int64{-1, -1, -1, -1, 0, 0, 0, 0}

// kernAxpy computes c[j] += Σ_{l<k} a[l·as]·b[l·ldb+j] for j in [0, n).
func kernAxpy(c, a, b *float64, n, k, as, ldb int) {
	kernAxpyMask(c, c, a, b, n, k, as, ldb, &maskTab[4-n&3])
}

// kernAxpyInit computes c[j] = init[j] + Σ_{l<k} a[l·as]·b[l·ldb+j] for j
// in [0, n) (init and c distinct or equal).
func kernAxpyInit(c, init, a, b *float64, n, k, as, ldb int) {
	kernAxpyMask(c, init, a, b, n, k, as, ldb, &maskTab[4-n&3])
}

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// hasFMA reports whether the CPU and OS support AVX2 and FMA3 (CPUID leaf 1
// ECX bits 12, 27, 28; XCR0 bits 1–2; leaf 7 EBX bit 5).
var hasFMA = cpuHasFMA

var cpuHasFMA = detectFMA()

// setFMA turns the assembly kernels on (if the CPU has them) or off and
// returns the previous setting. Tests use it to cover both code paths; it is
// not safe to call while ops run.
func setFMA(on bool) bool {
	old := hasFMA
	hasFMA = on && cpuHasFMA
	return old
}

func detectFMA() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, c, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c&fma == 0 || c&osxsave == 0 || c&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, b, _, _ := cpuid(7, 0)
	return b&(1<<5) != 0
}

// expKern sets dst[i] = e^{src[i]} for i < n, n a multiple of 4 (see
// EXPV in lse_amd64.s for the method and its limits). Callers check hasFMA.
//
//go:noescape
func expKern(dst, src *float64, n int)

// reluKern sets dst[i] = max(0, src[i]) for i < n, n a multiple of 4.
//
//go:noescape
func reluKern(dst, src *float64, n int)

// reluMaskKern sets dz[i] = dy[i] where y[i] > 0 and 0 elsewhere, n a
// multiple of 4.
//
//go:noescape
func reluMaskKern(dz, dy, y *float64, n int)

// lseRowsKern sets, for each of rows rows of c values (c a positive
// multiple of 4), m[r] = max x_r, e_r = e^{x_r − m[r]} and s[r] = Σ e_r
// (lse_amd64.s). e may alias x. Callers check hasFMA.
//
//go:noescape
func lseRowsKern(e, x, m, s *float64, rows, c int)

// mixJointKern sets l[r·k4+k] = cst[k] − Σ_{j<d} (z[r·d+j] − muT[j·k4+k])²·hT[j·k4+k]
// for r < rows, k < k4 (a multiple of 4).
//
//go:noescape
func mixJointKern(l, cst, muT, hT, z *float64, rows, d, k4 int)

// mixBackKern: with gg = gi·gam[k], r = z − mu[k], t = gg·r·iv[k], it adds
// t to dmu[k] and gg − t·r to dlv[k] for k < n (a multiple of 4) and returns
// Σ t.
//
//go:noescape
func mixBackKern(dmu, dlv, mu, iv, gam *float64, gi, z float64, n int) float64

// sumKern returns Σ x[i] for i < n, n a multiple of 4.
//
//go:noescape
func sumKern(x *float64, n int) float64

// softmaxBackKern sets da[j] += gr[j] − c·e[j] for j < n, n a multiple of 4.
//
//go:noescape
func softmaxBackKern(da, gr, e *float64, c float64, n int)

// dotsKern sets c[i·n+j] += Σ_{l<k} a[i·k+l]·bt[j·k+l] for i < m, j < n,
// with bt holding pad4(n) rows of k; maskK and maskN select the first k mod 4
// and n mod 4 lanes (kern_amd64.s). Callers check hasFMA; m, n, k ≥ 1.
//
//go:noescape
func dotsKern(c, a, bt *float64, m, n, k int, maskK, maskN *int64)

// kernDots is dotsKern with the masks for k and n.
func kernDots(c, a, bt *float64, m, n, k int) {
	dotsKern(c, a, bt, m, n, k, &maskTab[4-k&3], &maskTab[4-n&3])
}

// sigmoidKern: with s = σ(x[i]), mode 0 sets y[i] = s, mode 1 y[i] = x[i]·s,
// mode 2 also sig[i] = s, for i < n (a multiple of 4; lse_amd64.s).
//
//go:noescape
func sigmoidKern(y, sig, x *float64, n, mode int)

// siluGradKern sets dz[i] = dy[i]·(s[i] + y[i]·(1 − s[i])) for i < n (a
// multiple of 4).
//
//go:noescape
func siluGradKern(dz, dy, y, s *float64, n int)

// shiftSubKern sets y[i] = (x[i] − m) − ls for i < n (a multiple of 4).
//
//go:noescape
func shiftSubKern(y, x *float64, m, ls float64, n int)

// logKern sets dst[i] = ln src[i] for i < n (a multiple of 4), src normal
// positive, +Inf or NaN (lse_amd64.s).
//
//go:noescape
func logKern(dst, src *float64, n int)
