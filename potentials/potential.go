// Package potentials provides potential-energy surfaces for molecular dynamics
// in reduced units (energies in ε, lengths in σ): the three-hole potential, the
// two-dimensional Lennard-Jones cluster LJ7 with its centre-of-mass restraint,
// the Müller–Brown potential, a harmonic well, and sums of these.
//
// A potential is a value that describes U(x); it holds no per-run scratch
// buffers and is safe to share between goroutines. Coordinates are a flat
// slice of N particles × D dimensions, row-major: x[i*D+k] is coordinate k of
// particle i. Forces are −∇U in ε/σ.
//
// Force cannot return an error, so a built-in potential panics when handed
// slices of the wrong length. Call Validate once before a run: it reports
// length mismatches and parameter errors (through the optional Checker
// interface) and non-finite energies or forces as ordinary errors.
//
// All built-in potentials also implement ForceAdder, which lets a Sum
// accumulate forces into one destination without scratch buffers.
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

// ForceAdder is implemented by potentials that can add their force into an
// existing destination. Sum uses it to combine terms without scratch memory.
type ForceAdder interface {
	// AddForce adds −∇U(x) to dst (len(dst) == len(x)) and returns U(x).
	// The same rules as for Force apply: no retention, no allocation,
	// safe for concurrent use.
	AddForce(dst, x []float64) (energy float64)
}

// Checker is implemented by potentials that can tell whether coordinates x
// (and their own parameters) are acceptable, for example that len(x) is a
// multiple of the dimension. Validate calls it.
type Checker interface {
	// Check returns an error naming the offending field or length, or nil.
	Check(x []float64) error
}

// checkLen panics if len(dst) != len(x); the message names the potential.
func checkLen(name string, dst, x []float64) {
	if len(dst) != len(x) {
		panic("potentials: " + name + ": len(dst) != len(x); call Validate before a run")
	}
}
