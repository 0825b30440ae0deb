package potentials

import (
	"fmt"
	"math"
)

// ThreeHole is the two-dimensional three-hole potential of Metzner, Schütte &
// Vanden-Eijnden, J. Chem. Phys. 125, 084110 (2006), for one particle with
// coordinates x = (x, y) [σ]:
//
//	V(x, y) = 3·e1 − 3·e2 − 5·e3 − 5·e4 + 0.2·x⁴ + 0.2·(y−1/3)⁴   [ε]
//	e1 = exp(−x² − (y−1/3)²),  e2 = exp(−x² − (y−5/3)²),
//	e3 = exp(−(x−1)² − y²),    e4 = exp(−(x+1)² − y²).
//
// The force is −∇V with
//
//	−∂V/∂x = 6x·e1 − 6x·e2 − 10(x−1)·e3 − 10(x+1)·e4 − 0.8·x³
//	−∂V/∂y = 6(y−1/3)·e1 − 6(y−5/3)·e2 − 10y·e3 − 10y·e4 − 0.8·(y−1/3)³.
//
// Minima: (±1.048055, −0.042094) with V = −3.994861 (the two deep holes) and
// (0, 1.537082) with V = −2.172154 (the shallow upper hole). There is no
// cutoff; the quartic terms confine the particle. len(x) must be 2.
type ThreeHole struct{}

// Check reports whether x has the two coordinates ThreeHole needs.
func (ThreeHole) Check(x []float64) error {
	if len(x) != 2 {
		return fmt.Errorf("potentials: ThreeHole needs len(x) = 2 (one particle in 2-D), got %d", len(x))
	}
	return nil
}

// Force writes −∇V(x) into dst and returns V(x) [ε]. It panics unless
// len(x) == len(dst) == 2.
func (p ThreeHole) Force(dst, x []float64) float64 {
	if len(dst) == 2 {
		dst[0], dst[1] = 0, 0
	}
	return p.AddForce(dst, x)
}

// AddForce adds −∇V(x) to dst and returns V(x) [ε].
func (ThreeHole) AddForce(dst, x []float64) float64 {
	if len(x) != 2 || len(dst) != 2 {
		panic("potentials: ThreeHole needs len(x) = len(dst) = 2; call Validate before a run")
	}
	const third, fiveThirds = 1.0 / 3, 5.0 / 3
	px, py := x[0], x[1]
	x2, y2 := px*px, py*py
	ya, yb := py-third, py-fiveThirds
	xm, xp := px-1, px+1
	e1 := 3 * math.Exp(-x2-ya*ya)
	e2 := 3 * math.Exp(-x2-yb*yb)
	e3 := 5 * math.Exp(-xm*xm-y2)
	e4 := 5 * math.Exp(-xp*xp-y2)
	x3, ya3 := x2*px, ya*ya*ya
	dst[0] += 2*(px*(e1-e2)-xm*e3-xp*e4) - 0.8*x3
	dst[1] += 2*(ya*e1-yb*e2-py*(e3+e4)) - 0.8*ya3
	return e1 - e2 - e3 - e4 + 0.2*(x3*px+ya3*ya)
}
