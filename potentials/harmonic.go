package potentials

import (
	"fmt"
	"math"
)

// Harmonic is an isotropic harmonic well over all coordinates,
//
//	U = ½·K·|x − Center|²   [ε],   F = −K·(x − Center),
//
// with K in ε/σ² and Center in σ. A nil Center means the origin; otherwise
// len(Center) must equal len(x). Its only minimum is x = Center with U = 0.
// The zero value is the free particle (U = 0 everywhere).
type Harmonic struct {
	K      float64   // force constant [ε/σ²], finite and ≥ 0
	Center []float64 // minimum position [σ]; nil means the origin
}

// Check reports a negative or non-finite K and a Center whose length differs
// from len(x).
func (p Harmonic) Check(x []float64) error {
	if p.K < 0 || math.IsNaN(p.K) || math.IsInf(p.K, 0) {
		return fmt.Errorf("potentials: Harmonic.K must be finite and ≥ 0, got %v", p.K)
	}
	if p.Center != nil && len(p.Center) != len(x) {
		return fmt.Errorf("potentials: Harmonic: len(Center) = %d but len(x) = %d", len(p.Center), len(x))
	}
	return nil
}

// Force writes −K·(x − Center) into dst and returns ½·K·|x − Center|².
func (p Harmonic) Force(dst, x []float64) float64 {
	checkLen("Harmonic", dst, x)
	clear(dst)
	return p.AddForce(dst, x)
}

// AddForce adds −K·(x − Center) to dst and returns ½·K·|x − Center|². It
// panics if len(dst) != len(x) or a non-nil Center has the wrong length.
func (p Harmonic) AddForce(dst, x []float64) float64 {
	checkLen("Harmonic", dst, x)
	var r2 float64
	if p.Center == nil {
		for i, v := range x {
			r2 += v * v
			dst[i] -= p.K * v
		}
		return 0.5 * p.K * r2
	}
	if len(p.Center) != len(x) {
		panic("potentials: Harmonic: len(Center) != len(x); call Validate before a run")
	}
	for i, v := range x {
		d := v - p.Center[i]
		r2 += d * d
		dst[i] -= p.K * d
	}
	return 0.5 * p.K * r2
}
