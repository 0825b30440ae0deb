package potentials

import (
	"fmt"
	"math"
)

// LennardJones is the all-pairs Lennard-Jones potential with ε = σ = 1 and no
// cutoff, for N = len(x)/Dim particles in Dim dimensions:
//
//	U = Σ_{i<j} u(r_ij),  u(r) = 4(r⁻¹² − r⁻⁶)   [ε],  r_ij = |r_i − r_j| [σ].
//
// With s = 1/r², the pair force on particle i is
//
//	F_i = −∂u/∂r_i = 24·s·s³·(2s³ − 1)·(r_i − r_j),   F_j = −F_i,
//
// so no square root is needed (J. E. Lennard-Jones, Proc. R. Soc. Lond. A
// 106, 463 (1924)). The pair minimum is u(2^{1/6}) = −1. There is
// no cutoff and no shift (ASE's lj.py derives the truncated variant; clusters
// such as LJ7 use the full sum). Coincident particles give an infinite force.
//
// Dim [dimensionless] must be ≥ 1; there is no default because both 2 and 3
// are common. Dim = 2 takes a specialised fast path.
type LennardJones struct {
	Dim int // spatial dimension D; x has N·D coordinates
}

// Check reports a non-positive Dim or a len(x) that is not a multiple of Dim.
func (p LennardJones) Check(x []float64) error {
	return checkDim("LennardJones", p.Dim, x)
}

func checkDim(name string, dim int, x []float64) error {
	if dim < 1 {
		return fmt.Errorf("potentials: %s.Dim must be ≥ 1, got %d", name, dim)
	}
	if len(x)%dim != 0 {
		return fmt.Errorf("potentials: %s: len(x) = %d is not a multiple of Dim = %d", name, len(x), dim)
	}
	return nil
}

// Force writes −∇U(x) into dst and returns U(x) [ε].
func (p LennardJones) Force(dst, x []float64) float64 {
	checkLen("LennardJones", dst, x)
	clear(dst)
	return p.AddForce(dst, x)
}

// AddForce adds −∇U(x) to dst and returns U(x) [ε]. It panics if
// len(dst) != len(x), Dim < 1 or len(x) is not a multiple of Dim.
func (p LennardJones) AddForce(dst, x []float64) float64 {
	checkLen("LennardJones", dst, x)
	d := p.Dim
	if d < 1 || len(x)%d != 0 {
		panic("potentials: LennardJones: bad Dim or len(x); call Validate before a run")
	}
	if d == 2 {
		return lj2(dst, x)
	}
	n := len(x) / d
	var e float64
	for i := 0; i < n; i++ {
		xi := x[i*d : i*d+d]
		fi := dst[i*d : i*d+d]
		for j := i + 1; j < n; j++ {
			xj := x[j*d : j*d+d]
			var r2 float64
			for k, v := range xi {
				dk := v - xj[k]
				r2 += dk * dk
			}
			s := 1 / r2
			s3 := s * s * s
			e += s3 * (s3 - 1)
			f := 24 * s * s3 * (2*s3 - 1)
			fj := dst[j*d : j*d+d]
			for k, v := range xi {
				g := f * (v - xj[k])
				fi[k] += g
				fj[k] -= g
			}
		}
	}
	return 4 * e
}

// lj2 is the two-dimensional Lennard-Jones loop: one pass over pairs,
// with each particle's force accumulated in registers.
func lj2(dst, x []float64) float64 {
	n := len(x) / 2
	x = x[:2*n]
	dst = dst[:2*n]
	var e float64
	for i := 0; i < n; i++ {
		xi, yi := x[2*i], x[2*i+1]
		var fx, fy float64
		for j := 2*i + 2; j+1 < len(x); j += 2 {
			xj, fj := x[j:j+2:j+2], dst[j:j+2:j+2]
			dx, dy := xi-xj[0], yi-xj[1]
			s := 1 / (dx*dx + dy*dy)
			s3 := s * s * s
			e += s3 * (s3 - 1)
			f := 24 * s * s3 * (2*s3 - 1)
			gx, gy := f*dx, f*dy
			fx += gx
			fy += gy
			fj[0] -= gx
			fj[1] -= gy
		}
		dst[2*i] += fx
		dst[2*i+1] += fy
	}
	return 4 * e
}

// COMRestraint is a one-sided restraint that keeps N = len(x)/Dim
// equal-mass particles near their centre of mass
// r_com = (1/N)·Σ_j r_j [σ]. With d_i = r_i − r_com and the active set
// A = {i : |d_i|² > R2},
//
//	U = Σ_{i∈A} ½·Kappa·(|d_i|² − R2)   [ε].
//
// U is continuous at |d_i|² = R2; its force jumps there (from 0 to
// −Kappa·d_i), as in M. Cameron's LJ7-in-2-D code that this follows.
// Because ∂d_i/∂r_k = (δ_ik − 1/N)·I, every particle feels the restraint of
// every active particle through r_com:
//
//	∂U/∂r_k = Σ_{i∈A} Kappa·d_i·(δ_ik − 1/N)
//	F_k = −∂U/∂r_k = −Kappa·d_k·[k∈A] + (Kappa/N)·Σ_{i∈A} d_i.
//
// The forces sum to zero (the restraint is translation invariant).
//
// The zero value is no restraint at all (Kappa = 0) but still needs Dim ≥ 1.
// Dim ≤ 8 is allocation-free; larger Dim allocates two Dim-vectors per call.
type COMRestraint struct {
	Dim   int     // spatial dimension D; x has N·D coordinates
	R2    float64 // squared radius below which no force acts [σ²], ≥ 0
	Kappa float64 // force constant [ε/σ²], ≥ 0
}

// Check reports bad parameters (Dim < 1, negative or non-finite R2 or
// Kappa) and a len(x) that is not a multiple of Dim.
func (p COMRestraint) Check(x []float64) error {
	if p.R2 < 0 || math.IsNaN(p.R2) || math.IsInf(p.R2, 0) {
		return fmt.Errorf("potentials: COMRestraint.R2 must be finite and ≥ 0, got %v", p.R2)
	}
	if p.Kappa < 0 || math.IsNaN(p.Kappa) || math.IsInf(p.Kappa, 0) {
		return fmt.Errorf("potentials: COMRestraint.Kappa must be finite and ≥ 0, got %v", p.Kappa)
	}
	return checkDim("COMRestraint", p.Dim, x)
}

// Force writes −∇U(x) into dst and returns U(x) [ε].
func (p COMRestraint) Force(dst, x []float64) float64 {
	checkLen("COMRestraint", dst, x)
	clear(dst)
	return p.AddForce(dst, x)
}

// AddForce adds −∇U(x) to dst and returns U(x) [ε]. It panics if
// len(dst) != len(x), Dim < 1 or len(x) is not a multiple of Dim.
func (p COMRestraint) AddForce(dst, x []float64) float64 {
	checkLen("COMRestraint", dst, x)
	d := p.Dim
	if d < 1 || len(x)%d != 0 {
		panic("potentials: COMRestraint: bad Dim or len(x); call Validate before a run")
	}
	n := len(x) / d
	if n == 0 {
		return 0
	}
	if d == 2 {
		return p.add2(dst, x)
	}
	var comBuf, sumBuf [8]float64
	var com, sum []float64
	if d <= len(comBuf) {
		com, sum = comBuf[:d], sumBuf[:d]
	} else {
		com, sum = make([]float64, d), make([]float64, d)
	}
	for i := 0; i < n; i++ {
		for k, v := range x[i*d : i*d+d] {
			com[k] += v
		}
	}
	invN := 1 / float64(n)
	for k := range com {
		com[k] *= invN
	}
	var e float64
	for i := 0; i < n; i++ {
		xi := x[i*d : i*d+d]
		var r2 float64
		for k, v := range xi {
			dk := v - com[k]
			r2 += dk * dk
		}
		if r2 <= p.R2 {
			continue
		}
		e += r2 - p.R2
		fi := dst[i*d : i*d+d]
		for k, v := range xi {
			dk := v - com[k]
			sum[k] += dk
			fi[k] -= p.Kappa * dk
		}
	}
	if e == 0 {
		return 0
	}
	for k := range sum {
		sum[k] *= p.Kappa * invN
	}
	for i := 0; i < n; i++ {
		for k, v := range sum {
			dst[i*d+k] += v
		}
	}
	return 0.5 * p.Kappa * e
}

// add2 is AddForce for Dim = 2 with everything in registers.
func (p COMRestraint) add2(dst, x []float64) float64 {
	n := len(x) / 2
	x = x[:2*n]
	dst = dst[:2*n]
	var cx, cy float64
	for i := 0; i+1 < len(x); i += 2 {
		cx += x[i]
		cy += x[i+1]
	}
	invN := 1 / float64(n)
	cx *= invN
	cy *= invN
	var e, sx, sy float64
	for i := 0; i+1 < len(x); i += 2 {
		dx, dy := x[i]-cx, x[i+1]-cy
		r2 := dx*dx + dy*dy
		if r2 <= p.R2 {
			continue
		}
		e += r2 - p.R2
		sx += dx
		sy += dy
		dst[i] -= p.Kappa * dx
		dst[i+1] -= p.Kappa * dy
	}
	if e == 0 {
		return 0
	}
	sx *= p.Kappa * invN
	sy *= p.Kappa * invN
	for i := 0; i+1 < len(dst); i += 2 {
		dst[i] += sx
		dst[i+1] += sy
	}
	return 0.5 * p.Kappa * e
}

// LJ7 returns the two-dimensional LJ7 cluster of docs/systems.md: seven particles
// (N is not fixed by the value; LJ7Hexagon gives the standard start) with
// LennardJones{Dim: 2} plus COMRestraint{Dim: 2, R2: 4, Kappa: 100}
// (R2 in σ², Kappa in ε/σ²), after M. Cameron's public LJ7-in-2-D code. The
// restraint is zero for compact clusters (|r_i − r_com| ≤ 2σ) and stops the
// cluster from evaporating at higher kT. Two-dimensional LJ7 is the classic
// rare-event test system of C. Dellago, P. G. Bolhuis & D. Chandler,
// J. Chem. Phys. 108, 9236 (1998) and G. A. Tribello, M. Ceriotti &
// M. Parrinello, PNAS 107, 17509 (2010). Without the restraint it has
// exactly four minima, U = −12.535 (LJ7Hexagon), −11.501, −11.477 and
// −11.403 ε. Each call returns a new Sum; it is safe to share.
func LJ7() Sum {
	return Sum{LennardJones{Dim: 2}, COMRestraint{Dim: 2, R2: 4, Kappa: 100}}
}

// Hexagon coefficients: with a the ring radius (equal to the ring's side),
// the hexagon has 12 pairs at a, 6 at √3·a and 3 at 2a, so
// U(a) = 4(A·a⁻¹² − B·a⁻⁶) with the coefficients below.
const (
	hexA = 12 + 6.0/729 + 3.0/4096 // 12 + 6/3⁶ + 3/2¹²
	hexB = 12 + 6.0/27 + 3.0/64    // 12 + 6/3³ + 3/2⁶
)

// LJ7Hexagon returns the 14 coordinates (7 particles × 2, row-major) of the
// lowest LJ7 minimum in 2-D: particle 0 at the origin and particles 1…6 on a
// regular hexagon of radius a at angles k·60°.
//
// The ring radius is not exactly the pair-minimum distance 2^{1/6}: the
// hexagon has 12 pairs at distance a, 6 at √3·a and 3 at 2a, so
// U(a) = 4(A·a⁻¹² − B·a⁻⁶) with A = 12 + 6/3⁶ + 3/2¹², B = 12 + 6/3³ + 3/2⁶.
// By symmetry the forces lie along the breathing mode and vanish where
// dU/da = 0, that is a⁶ = 2A/B, giving a ≈ 1.11848 σ (0.36 % below
// 2^{1/6} ≈ 1.12246) and U = −B²/A ≈ −12.5349 ε. At a = 2^{1/6} itself
// U ≈ −12.5292 ε and the ring particles feel an inward force.
func LJ7Hexagon() []float64 {
	a := math.Pow(2*hexA/hexB, 1.0/6)
	x := make([]float64, 14)
	for k := 0; k < 6; k++ {
		s, c := math.Sincos(float64(k) * math.Pi / 3)
		x[2+2*k] = a * c
		x[3+2*k] = a * s
	}
	return x
}
