package analysis

import (
	"math"
	"math/rand/v2"
	"runtime"
)

// Shared test helpers.

// newRNG returns a seeded PCG generator.
func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// gaussian2D returns n points (n × 2) with independent normal coordinates
// of means (mx, my) and standard deviation sigma.
func gaussian2D(rng *rand.Rand, n int, mx, my, sigma float64) []float64 {
	x := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		x[2*i] = mx + sigma*rng.NormFloat64()
		x[2*i+1] = my + sigma*rng.NormFloat64()
	}
	return x
}

// hexagon returns the LJ7 global minimum in 2-D: particle 0 at the centre,
// particles 1..6 on a ring of radius 2^(1/6) σ, optionally rotated by phi
// and translated by (tx, ty).
func hexagon(phi, tx, ty float64) []float64 {
	a := math.Pow(2, 1.0/6)
	x := make([]float64, 14)
	x[0], x[1] = tx, ty
	for k := 0; k < 6; k++ {
		t := phi + float64(k)*math.Pi/3
		x[2+2*k] = tx + a*math.Cos(t)
		x[3+2*k] = ty + a*math.Sin(t)
	}
	return x
}

// withGOMAXPROCS runs f with runtime.GOMAXPROCS set to p.
func withGOMAXPROCS(p int, f func()) {
	old := runtime.GOMAXPROCS(p)
	defer runtime.GOMAXPROCS(old)
	f()
}
