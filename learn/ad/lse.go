package ad

import "math"

// Row kernels of the log-sum-exp ops (LogSoftmax, MixtureLogPDF). They work
// on rows of K values (classes or mixture components) stored with a stride
// padded to a multiple of 4, the pads holding −Inf log-weights (e^{−Inf} = 0
// adds nothing to a sum and receives no gradient), so that the AVX2/FMA
// kernels of lse_amd64.s never need a scalar tail; without the kernels the
// same functions run as Go loops. Every reduction sums in a fixed order, so
// results are deterministic for a given code path.

// pad4 returns k rounded up to a multiple of 4.
func pad4(k int) int { return (k + 3) &^ 3 }

// lseRows computes, for each of the rows rows of c values in x (stride c),
// the maximum m[r], the max-shifted exponentials e_r = e^{x_r − m[r]} (each
// in [0, 1], at least one equal to 1) and their sum s[r] ≥ 1, so that
// log Σ_j e^{x_rj} = m[r] + log s[r] without overflow or underflow of the
// sum. e may alias x.
func lseRows(e, x, m, s []float64, rows, c int) {
	if rows == 0 || c == 0 {
		return
	}
	x, e, m, s = x[:rows*c], e[:rows*c], m[:rows], s[:rows]
	if hasFMA && c%4 == 0 {
		lseRowsKern(&e[0], &x[0], &m[0], &s[0], rows, c)
		return
	}
	for r := range rows {
		xr, er := x[r*c:(r+1)*c], e[r*c:(r+1)*c]
		mr := math.Inf(-1)
		for _, v := range xr {
			mr = max(mr, v)
		}
		sr := 0.0
		for j, v := range xr {
			ev := math.Exp(v - mr)
			er[j] = ev
			sr += ev
		}
		m[r], s[r] = mr, sr
	}
}

// mixJoint sets, for each of the rows samples z_r (d values, stride d), the
// log joint l[r·k4+k] = cst[k] − Σ_j (z_rj − muT[j·k4+k])²·hT[j·k4+k] of the
// k4 (padded) mixture components, the terms subtracted in order of j.
func mixJoint(l, cst, muT, hT, z []float64, rows, d, k4 int) {
	if rows == 0 || k4 == 0 {
		return
	}
	l, cst, muT, hT, z = l[:rows*k4], cst[:k4], muT[:d*k4], hT[:d*k4], z[:rows*d]
	if hasFMA && k4%4 == 0 {
		zp := &cst[0] // any valid pointer when d = 0 (z is then never read)
		if d > 0 {
			zp = &z[0]
		}
		mixJointKern(&l[0], &cst[0], &muT[0], &hT[0], zp, rows, d, k4)
		return
	}
	for r := range rows {
		lr := l[r*k4 : (r+1)*k4]
		copy(lr, cst)
		for j, zv := range z[r*d : (r+1)*d] {
			mu, h := muT[j*k4:(j+1)*k4], hT[j*k4:(j+1)*k4]
			for k, m := range mu {
				x := zv - m
				lr[k] -= x * x * h[k]
			}
		}
	}
}

// mixBack adds t_k = gi·gam[k]·(z − mu[k])·iv[k] to dmu[k] and
// gi·gam[k]·(1 − (z − mu[k])²·iv[k]) to dlv[k], and returns Σ_k t_k.
func mixBack(dmu, dlv, mu, iv, gam []float64, gi, z float64) float64 {
	n := len(gam)
	dmu, dlv, mu, iv = dmu[:n], dlv[:n], mu[:n], iv[:n]
	s := 0.0
	if hasFMA && n >= 4 {
		n4 := n &^ 3
		s = mixBackKern(&dmu[0], &dlv[0], &mu[0], &iv[0], &gam[0], gi, z, n4)
		dmu, dlv, mu, iv, gam = dmu[n4:], dlv[n4:], mu[n4:], iv[n4:], gam[n4:]
	}
	for k, gm := range gam {
		gg := gi * gm
		r := z - mu[k]
		t := gg * (r * iv[k])
		dmu[k] += t
		dlv[k] += gg - t*r
		s += t
	}
	return s
}

// softmaxBack adds g − p·Σ_j g_j to da, with p = e·inv the softmax of the
// row (e its unnormalised exponentials, inv = 1/Σ e): LogSoftmax's backward.
func softmaxBack(da, g, e []float64, inv float64) {
	n := len(g)
	da, e = da[:n], e[:n]
	n4 := 0
	s := 0.0
	if hasFMA {
		n4 = n &^ 3
		if n4 > 0 {
			s = sumKern(&g[0], n4)
		}
	}
	for _, v := range g[n4:] {
		s += v
	}
	c := s * inv
	if n4 > 0 {
		softmaxBackKern(&da[0], &g[0], &e[0], c, n4)
	}
	for j := n4; j < n; j++ {
		da[j] += g[j] - e[j]*c
	}
}

// logSlice sets dst[i] = ln src[i] for src[i] ≥ 2^-1022, +Inf or NaN (the
// row sums of lseRows are ≥ 1): vectorised with the kernels (≤ 1 ulp from
// math.Log, TestLogSlice), math.Log otherwise. dst may alias src.
func logSlice(dst, src []float64) {
	n := len(src)
	dst = dst[:n]
	if hasFMA && n >= 4 {
		n4 := n &^ 3
		logKern(&dst[0], &src[0], n4)
		dst, src = dst[n4:], src[n4:]
	}
	for i, v := range src {
		dst[i] = math.Log(v)
	}
}
