package potentials

import (
	"fmt"
	"sync"
)

// Sum is a potential whose energy and force are the sums of its terms',
// U = Σ_t U_t, F = Σ_t F_t. A Sum is an immutable description: it holds no
// scratch memory and is safe for concurrent use when its terms are.
//
// Terms that implement ForceAdder (all built-ins, and Sum itself) are added
// directly into dst, so a Sum of them never allocates. If the first term
// only has Force it writes dst directly; every later Force-only term needs
// a scratch vector, which is taken from a package-wide
// sync.Pool (concurrency-safe; it allocates only when the pool is empty, for
// example after a garbage collection). Implement AddForce on your own
// potential to make a Sum of it strictly allocation-free.
type Sum []Potential

// Check reports nil terms and calls Check on every term that implements
// Checker, naming the term's index.
func (s Sum) Check(x []float64) error {
	for i, t := range s {
		if t == nil {
			return fmt.Errorf("potentials: Sum[%d] is nil", i)
		}
		if c, ok := t.(Checker); ok {
			if err := c.Check(x); err != nil {
				return fmt.Errorf("%w (in Sum[%d])", err, i)
			}
		}
	}
	return nil
}

// Force writes the summed force into dst and returns the summed energy [ε].
func (s Sum) Force(dst, x []float64) float64 {
	checkLen("Sum", dst, x)
	if len(s) == 0 {
		clear(dst)
		return 0
	}
	var e float64
	if a, ok := s[0].(ForceAdder); ok {
		clear(dst)
		e = a.AddForce(dst, x)
	} else {
		e = s[0].Force(dst, x)
	}
	for _, t := range s[1:] {
		e += addTerm(t, dst, x)
	}
	return e
}

// AddForce adds the summed force to dst and returns the summed energy [ε].
func (s Sum) AddForce(dst, x []float64) float64 {
	checkLen("Sum", dst, x)
	var e float64
	for _, t := range s {
		e += addTerm(t, dst, x)
	}
	return e
}

// scratchPool holds *[]float64 scratch vectors for Force-only terms.
var scratchPool sync.Pool

// addTerm adds term t's force to dst, through a pooled scratch vector when
// t does not implement ForceAdder.
func addTerm(t Potential, dst, x []float64) float64 {
	if a, ok := t.(ForceAdder); ok {
		return a.AddForce(dst, x)
	}
	bp, _ := scratchPool.Get().(*[]float64)
	if bp == nil {
		bp = new([]float64)
	}
	if cap(*bp) < len(x) {
		*bp = make([]float64, len(x))
	}
	buf := (*bp)[:len(x)]
	e := t.Force(buf, x)
	for i, v := range buf {
		dst[i] += v
	}
	scratchPool.Put(bp)
	return e
}
