package diffusion

import "math"

// thermoHead is the output head of the linear couplings (CouplingLinear,
// CouplingEmbeddedLinear). With K = Config.Experts experts, the output
// layer's row is y = [A_1…A_K | B_1…B_K | s_1…s_K | e_1…e_K] (A_k, B_k of
// the latent dimension d; the s and e blocks only when K > 1), and
//
//	ε_θ = Σ_k w_k · r^(2a−1) · [A_k + (r − 1)·B_k],  w = softmax_k(s_k − e_k/r),
//
// r = T/T_ref. Why a mixture with Boltzmann weights: by Tweedie's formula
// the exact noise prediction is (z_i − √ᾱ_i ẑ_0)/√(1−ᾱ_i), with ẑ_0 the
// mean of the clean latent given the noised one. For a = ½ that posterior
// is a Boltzmann distribution at T (of the free energy plus a harmonic
// restraint to z_i that does not depend on T), so where it has several
// basins, as at intermediate noise between metastable states, ẑ_0 is a
// Boltzmann-weighted average over them with weights exp(S_k − E_k/kT): the
// weights' logits are affine in 1/T, and each basin's mean is affine in T
// to first order. With K = 1 this is the single linear form of
// CouplingLinear, which cannot represent that mixing.
//
// It implements ad.Head for the fused loss; apply and grad are the same
// maths for the sampler. Not safe for concurrent use (w is scratch).
type thermoHead struct {
	d, K int
	f    []float64 // per row: μ = r^(2a−1), ν = μ·(r − 1), 1/r
	w    []float64 // K softmax weights of the current row
}

func newThermoHead(d, k int) *thermoHead {
	return &thermoHead{d: d, K: k, w: make([]float64, k)}
}

// width is the output layer's width for the head.
func (h *thermoHead) width() int {
	if h.K == 1 {
		return 2 * h.d
	}
	return h.K * (2*h.d + 2)
}

// factors writes the row factors (μ, ν, 1/r) of reduced temperature r and
// noise exponent a into f (len 3).
func factors(f []float64, r, a float64) {
	mu := math.Pow(r, 2*a-1)
	f[0], f[1], f[2] = mu, mu*(r-1), 1/r
}

// weights fills h.w with the softmax of s_k − e_k/r for output row y.
func (h *thermoHead) weights(f, y []float64) {
	K, o := h.K, 2*h.K*h.d
	if K == 1 {
		h.w[0] = 1
		return
	}
	m := math.Inf(-1)
	for k := range K {
		h.w[k] = y[o+k] - y[o+K+k]*f[2]
		m = max(m, h.w[k])
	}
	sum := 0.0
	for k := range K {
		h.w[k] = math.Exp(h.w[k] - m)
		sum += h.w[k]
	}
	for k := range K {
		h.w[k] /= sum
	}
}

// apply writes the prediction p (len d) for output row y with row factors f.
func (h *thermoHead) apply(f, y, p []float64) {
	d, K := h.d, h.K
	h.weights(f, y)
	clear(p)
	for k, wk := range h.w {
		a, b := y[k*d:(k+1)*d], y[(K+k)*d:(K+k+1)*d]
		for j := range p {
			p[j] += wk * (f[0]*a[j] + f[1]*b[j])
		}
	}
}

// grad writes dy = (∂p/∂y)ᵀ·dp for output row y with row factors f, using
// the weights h.w of the apply that preceded it on the same row (as
// ad.Head's contract guarantees).
func (h *thermoHead) grad(f, y, dp, dy []float64) {
	d, K := h.d, h.K
	gbar := 0.0
	for k, wk := range h.w {
		a, b := y[k*d:(k+1)*d], y[(K+k)*d:(K+k+1)*d]
		da, db := dy[k*d:(k+1)*d], dy[(K+k)*d:(K+k+1)*d]
		g := 0.0
		for j, v := range dp {
			da[j], db[j] = wk*f[0]*v, wk*f[1]*v
			g += (f[0]*a[j] + f[1]*b[j]) * v
		}
		if K > 1 {
			dy[2*K*d+k] = g // ∂p·dp/∂w_k, turned into logit gradients below
			gbar += wk * g
		}
	}
	if K == 1 {
		return
	}
	o := 2 * K * d
	for k, wk := range h.w {
		dl := wk * (dy[o+k] - gbar)
		dy[o+k], dy[o+K+k] = dl, -dl*f[2]
	}
}

// Apply implements ad.Head for row r of the fused loss.
func (h *thermoHead) Apply(r int, y, p []float64) { h.apply(h.f[3*r:3*r+3], y, p) }

// Grad implements ad.Head for row r of the fused loss.
func (h *thermoHead) Grad(r int, y, dp, dy []float64) { h.grad(h.f[3*r:3*r+3], y, dp, dy) }
