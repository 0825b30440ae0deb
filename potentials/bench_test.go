package potentials

import "testing"

// Run with: go test ./potentials -run '^$' -bench . -benchmem -benchtime=1s
// Every Force benchmark must report 0 allocs/op.

func BenchmarkThreeHoleForce(b *testing.B) {
	x, f := []float64{-1.05, -0.04}, make([]float64, 2)
	b.ReportAllocs()
	for b.Loop() {
		ThreeHole{}.Force(f, x)
	}
}

func BenchmarkLJ7Force(b *testing.B) {
	p, x := LJ7(), LJ7Hexagon()
	x[13] += 2.5 // one particle restrained, so both terms do full work
	f := make([]float64, len(x))
	b.ReportAllocs()
	for b.Loop() {
		p.Force(f, x)
	}
}

func BenchmarkLennardJones2DForce(b *testing.B) {
	p, x := LennardJones{Dim: 2}, LJ7Hexagon()
	f := make([]float64, len(x))
	b.ReportAllocs()
	for b.Loop() {
		p.Force(f, x)
	}
}

func BenchmarkMuellerBrownForce(b *testing.B) {
	x, f := []float64{-0.558, 1.442}, make([]float64, 2)
	b.ReportAllocs()
	for b.Loop() {
		MuellerBrown{}.Force(f, x)
	}
}

// BenchmarkSumForceOnlyTerms measures the pooled-scratch fallback of Sum.
func BenchmarkSumForceOnlyTerms(b *testing.B) {
	p := Sum{forceOnly{LennardJones{Dim: 2}}, forceOnly{COMRestraint{Dim: 2, R2: 4, Kappa: 100}}}
	x := LJ7Hexagon()
	f := make([]float64, len(x))
	b.ReportAllocs()
	for b.Loop() {
		p.Force(f, x)
	}
}
