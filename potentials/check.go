package potentials

import (
	"errors"
	"fmt"
	"math"
)

// Defaults used by CheckForces when h or relTol is ≤ 0.
const (
	// DefaultFDStep is the central-difference step h [σ] of CheckForces.
	DefaultFDStep = 1e-5
	// DefaultFDTol is the tolerance relTol of CheckForces.
	DefaultFDTol = 1e-6
)

// CheckForces compares the analytic force of p at x with the central finite
// difference F_k ≈ −(U(x + h·e_k) − U(x − h·e_k)) / 2h for every coordinate
// k. The truncation error is O(h²·∂³U) and the rounding error
// O(ε_mach·|U|/h), so h ≈ 1e-5 suits smooth potentials with forces of order
// one. A coordinate passes when
//
//	|F_analytic − F_numeric| ≤ relTol · max(1, |F_analytic|, |F_numeric|),
//
// a relative test for forces larger than one force unit (ε/σ) and an
// absolute one below. h ≤ 0 means DefaultFDStep (1e-5) and relTol ≤ 0
// means DefaultFDTol (1e-6).
//
// It returns an error naming the worst coordinate with the analytic and
// numeric values, an error from p's Check method if p implements Checker, or
// an error if p panics or returns a non-finite energy or force. x is not
// modified. Avoid points where U is not smooth, such as the edge of a
// one-sided restraint. CheckForces allocates; it is meant for tests.
func CheckForces(p Potential, x []float64, h, relTol float64) error {
	if h <= 0 {
		h = DefaultFDStep
	}
	if relTol <= 0 {
		relTol = DefaultFDTol
	}
	if err := Validate(p, x); err != nil {
		return err
	}
	xp := append([]float64(nil), x...)
	fa := make([]float64, len(x))
	scratch := make([]float64, len(x))
	if _, err := safeForce(p, fa, xp); err != nil {
		return err
	}
	worst, worstErr, worstNum := -1, 0.0, 0.0
	for k, x0 := range x {
		xp[k] = x0 + h
		up, err := safeForce(p, scratch, xp)
		if err != nil {
			return err
		}
		hp := xp[k] - x0 // the step actually taken, after rounding
		xp[k] = x0 - h
		um, err := safeForce(p, scratch, xp)
		if err != nil {
			return err
		}
		hm := x0 - xp[k]
		xp[k] = x0
		num := -(up - um) / (hp + hm)
		if math.IsNaN(num) || math.IsInf(num, 0) {
			return fmt.Errorf("potentials: CheckForces: non-finite energy within h = %g of coordinate %d", h, k)
		}
		rel := math.Abs(fa[k]-num) / math.Max(1, math.Max(math.Abs(fa[k]), math.Abs(num)))
		if worst < 0 || rel > worstErr {
			worst, worstErr, worstNum = k, rel, num
		}
	}
	if worst >= 0 && worstErr > relTol {
		return fmt.Errorf("potentials: CheckForces: coordinate %d: analytic force %.9g, central difference %.9g (h = %g): error %.3g > relTol %.3g",
			worst, fa[worst], worstNum, h, worstErr, relTol)
	}
	return nil
}

// Validate checks, once before a run, that p can be evaluated at x: p is
// not nil, every coordinate is finite, p's own Check (if p implements
// Checker, as all built-ins do) accepts x, Force does not panic, and the
// energy and every force component are finite. Errors name the offending
// field or coordinate index. Validate allocates one force vector.
func Validate(p Potential, x []float64) error {
	if p == nil {
		return errors.New("potentials: Validate: potential is nil")
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("potentials: Validate: coordinate %d is %v", i, v)
		}
	}
	if c, ok := p.(Checker); ok {
		if err := c.Check(x); err != nil {
			return err
		}
	}
	f := make([]float64, len(x))
	e, err := safeForce(p, f, x)
	if err != nil {
		return err
	}
	if math.IsNaN(e) || math.IsInf(e, 0) {
		return fmt.Errorf("potentials: Validate: energy is %v", e)
	}
	for i, v := range f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("potentials: Validate: force component %d is %v", i, v)
		}
	}
	return nil
}

// safeForce calls p.Force and turns a panic into an error.
func safeForce(p Potential, dst, x []float64) (e float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("potentials: %T.Force panicked: %v", p, r)
		}
	}()
	return p.Force(dst, x), nil
}
