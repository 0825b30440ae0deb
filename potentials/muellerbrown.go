package potentials

import (
	"fmt"
	"math"
)

// Müller–Brown parameters, K. Müller & L. D. Brown, Theor. Chim. Acta 53,
// 75 (1979).
var (
	mbA  = [4]float64{-200, -100, -170, 15}
	mba  = [4]float64{-1, -1, -6.5, 0.7}
	mbb  = [4]float64{0, 0, 11, 0.6}
	mbc  = [4]float64{-10, -10, -6.5, 0.7}
	mbX0 = [4]float64{1, 0, -0.5, -1}
	mbY0 = [4]float64{0, 0.5, 1.5, 1}
)

// MuellerBrown is the two-dimensional Müller–Brown potential (K. Müller &
// L. D. Brown, Theor. Chim. Acta 53, 75 (1979)) for one particle at
// x = (x, y), with its usual parameters:
//
//	U = Σ_{k=1..4} A_k·exp(a_k(x−x⁰_k)² + b_k(x−x⁰_k)(y−y⁰_k) + c_k(y−y⁰_k)²)
//	A = (−200, −100, −170, 15),  a = (−1, −1, −6.5, 0.7),
//	b = (0, 0, 11, 0.6),         c = (−10, −10, −6.5, 0.7),
//	x⁰ = (1, 0, −0.5, −1),       y⁰ = (0, 0.5, 1.5, 1).
//
// With E_k the k-th term, the force is
//
//	−∂U/∂x = −Σ_k E_k·(2a_k(x−x⁰_k) + b_k(y−y⁰_k))
//	−∂U/∂y = −Σ_k E_k·(b_k(x−x⁰_k) + 2c_k(y−y⁰_k)).
//
// Minima: (−0.558, 1.442) with U ≈ −146.70, (0.623, 0.028) with
// U ≈ −108.17 and (−0.050, 0.467) with U ≈ −80.77. Energies are in the
// original paper's units (treat them as ε; a kT of order 10–20 is typical).
// len(x) must be 2.
type MuellerBrown struct{}

// Check reports whether x has the two coordinates MuellerBrown needs.
func (MuellerBrown) Check(x []float64) error {
	if len(x) != 2 {
		return fmt.Errorf("potentials: MuellerBrown needs len(x) = 2 (one particle in 2-D), got %d", len(x))
	}
	return nil
}

// Force writes −∇U(x) into dst and returns U(x).
func (p MuellerBrown) Force(dst, x []float64) float64 {
	if len(dst) == 2 {
		dst[0], dst[1] = 0, 0
	}
	return p.AddForce(dst, x)
}

// AddForce adds −∇U(x) to dst and returns U(x). It panics unless
// len(x) == len(dst) == 2.
func (MuellerBrown) AddForce(dst, x []float64) float64 {
	if len(x) != 2 || len(dst) != 2 {
		panic("potentials: MuellerBrown needs len(x) = len(dst) = 2; call Validate before a run")
	}
	var e, gx, gy float64
	for k := range mbA {
		dx, dy := x[0]-mbX0[k], x[1]-mbY0[k]
		ek := mbA[k] * math.Exp(mba[k]*dx*dx+mbb[k]*dx*dy+mbc[k]*dy*dy)
		e += ek
		gx += ek * (2*mba[k]*dx + mbb[k]*dy)
		gy += ek * (mbb[k]*dx + 2*mbc[k]*dy)
	}
	dst[0] -= gx
	dst[1] -= gy
	return e
}
