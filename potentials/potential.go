// Package potentials provides potential-energy surfaces for molecular dynamics
// in reduced units (energies in ε, lengths in σ): the three-hole potential, the
// two-dimensional Lennard-Jones cluster LJ7 with its centre-of-mass restraint,
// the Müller–Brown potential, a harmonic well, and sums of these.
//
// A potential is a value that describes U(x); it holds no per-run scratch
// buffers and is safe to share between goroutines. Coordinates are a flat
// slice of N particles × D dimensions, row-major: x[i*D+k] is coordinate k of
// particle i.
//
// To add your own potential, write one type with a Force method and check it
// with CheckForces (see the package example).
package potentials

// Potential is a potential-energy surface U(x) over flat coordinates x
// (N particles × D dimensions, row-major).
type Potential interface {
	// Force writes the force −∇U(x) into dst, which has len(x) elements,
	// and returns the energy U(x). It must not retain x or dst, must not
	// allocate, and must be safe for concurrent use.
	Force(dst, x []float64) (energy float64)
}
