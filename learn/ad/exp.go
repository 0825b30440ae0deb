package ad

import "math"

// expSlice sets dst[i] = e^{src[i]}; dst may alias src. With the AVX2/FMA
// kernel it is vectorised (≤ 2 ulp from math.Exp, results below 1e-307 flush
// to 0, see EXPV in lse_amd64.s); otherwise it is math.Exp.
func expSlice(dst, src []float64) {
	n := len(src)
	dst = dst[:n]
	if hasFMA && n >= 4 {
		n4 := n &^ 3
		expKern(&dst[0], &src[0], n4)
		src, dst = src[n4:], dst[n4:]
	}
	for i, v := range src {
		dst[i] = math.Exp(v)
	}
}

// KernelInfo describes the compute backend in use, e.g. "pure-go+avx2-fma"
// or "openblas+avx2-fma", for benchmark reports.
func KernelInfo() string {
	if hasFMA {
		return Backend + "+avx2-fma"
	}
	return Backend + "+go-loops"
}
