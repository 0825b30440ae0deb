package integrators

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

// draw returns n variates from normals, filled in slices of length 999 so
// that the odd-length path is used too.
func draw(seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float64, n)
	for k := 0; k < n; k += 999 {
		normals(r, out[k:min(k+999, n)])
	}
	return out
}

// TestNormalsKS: the Kolmogorov–Smirnov distance between 10⁶ variates and
// Φ must be below the α = 10⁻⁴ critical value sqrt(ln(2/α)/2)/sqrt(n) =
// 2.23/sqrt(n) (asymptotic Kolmogorov distribution).
func TestNormalsKS(t *testing.T) {
	const n = 1_000_000
	x := draw(1, n)
	slices.Sort(x)
	d := 0.0
	for i, v := range x {
		p := 0.5 * math.Erfc(-v/math.Sqrt2)
		d = max(d, math.Abs(p-float64(i)/n), math.Abs(p-float64(i+1)/n))
	}
	crit := math.Sqrt(math.Log(2/1e-4)/2) / math.Sqrt(n)
	assert.LessOrEqual(t, d, crit, "KS distance against the α = 1e-4 critical value")
}

// TestNormalsMoments checks moments, the tail beyond the ziggurat's r
// (where the separate tail sampler works) and the independence of the two
// variates taken from one 64-bit draw, each within 4 standard errors of
// its exact value for n independent samples:
// SE(mean) = 1/√n, SE(⟨x²⟩) = √(2/n), SE(⟨x⁴⟩) = √(96/n),
// SE(P) = √(P(1−P)/n), SE(⟨x_{2k}x_{2k+1}⟩) = 1/√(n/2),
// SE(⟨(x²−1)(y²−1)⟩) = √2/√(n/2).
func TestNormalsMoments(t *testing.T) {
	const n = 4_000_000
	x := draw(2, n)
	var m1, m2, m4, tail, tail4, pair, pair2 float64
	for i, v := range x {
		m1 += v
		m2 += v * v
		m4 += v * v * v * v
		if math.Abs(v) > zigR {
			tail++
		}
		if math.Abs(v) > 4 {
			tail4++
		}
		if i%2 == 0 && i+1 < n { // pairs from one 64-bit draw (999 is odd, so most, not all)
			pair += v * x[i+1]
			pair2 += (v*v - 1) * (x[i+1]*x[i+1] - 1)
		}
	}
	pTail, pTail4 := math.Erfc(zigR/math.Sqrt2), math.Erfc(4/math.Sqrt2)
	half := float64(n / 2)
	for _, c := range []struct {
		name      string
		got, want float64
		se        float64
	}{
		{"mean", m1 / n, 0, 1 / math.Sqrt(n)},
		{"⟨x²⟩", m2 / n, 1, math.Sqrt(2.0 / n)},
		{"⟨x⁴⟩", m4 / n, 3, math.Sqrt(96.0 / n)},
		{"P(|x| > r)", tail / n, pTail, math.Sqrt(pTail * (1 - pTail) / n)},
		{"P(|x| > 4)", tail4 / n, pTail4, math.Sqrt(pTail4 * (1 - pTail4) / n)},
		{"pair ⟨xy⟩", pair / half, 0, 1 / math.Sqrt(half)},
		{"pair ⟨(x²−1)(y²−1)⟩", pair2 / half, 0, math.Sqrt2 / math.Sqrt(half)},
	} {
		assert.InDelta(t, c.want, c.got, 4*c.se, "%s (tolerance 4 SE)", c.name)
	}
}

func BenchmarkNormals14(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	d := make([]float64, 14)
	for range b.N {
		normals(r, d)
	}
}

func BenchmarkNormFloat64x14(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	d := make([]float64, 14)
	for range b.N {
		for j := range d {
			d[j] = r.NormFloat64()
		}
	}
}
