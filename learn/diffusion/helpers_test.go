package diffusion

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/dspib/dspib/learn/ad"
)

// tinyConfig is a small prior for fast exact checks (gradients, I/O).
func tinyConfig(emb Embedding, act Activation) Config {
	return Config{Dim: 2, Steps: 10, Hidden: []int{4, 6, 6, 3}, Replicas: 3, KTRef: 1,
		Embedding: emb, Act: act, FourierDim: 6, SmoothFrequencies: 2}
}

// newRNG returns a PCG generator for tests.
func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// gaussianEps is the exact noise predictor for isotropic Gaussian data
// z_0 ~ N(0, s²I) under noise ε ~ N(0, σ²I): with z_i = √ᾱ z_0 + √(1−ᾱ) ε,
// E[ε | z_i] = √(1−ᾱ) σ² z_i / (ᾱ s² + (1−ᾱ) σ²).
type gaussianEps struct {
	s2, sig2 float64
	sched    Schedule
	buf      []float64
}

func (g *gaussianEps) predict(z []float64, m, i int) []float64 {
	ab := g.sched.AlphaBar(i)
	k := math.Sqrt(1-ab) * g.sig2 / (ab*g.s2 + (1-ab)*g.sig2)
	g.buf = g.buf[:0]
	for _, v := range z {
		g.buf = append(g.buf, k*v)
	}
	return g.buf
}

// ancestralVariance returns the exact variance of the output of the ancestral
// sampler with the exact linear predictor gaussianEps: the update is
// z ← a_i z + c_i ξ with a_i = (1 − k_i β_i/√(1−ᾱ_i))/√(1−β_i), so the variance
// obeys v ← a_i² v + c_i², starting from v = σ².
func ancestralVariance(s Schedule, s2, sig2 float64) float64 {
	return ancestralVarianceFrom(s, s2, sig2, sig2)
}

// ancestralVarianceFrom is ancestralVariance from a start of variance v0.
func ancestralVarianceFrom(s Schedule, s2, sig2, v0 float64) float64 {
	v := v0
	for i := s.Len() - 1; i >= 0; i-- {
		ab, b := s.AlphaBar(i), s.Beta(i)
		k := math.Sqrt(1-ab) * sig2 / (ab*s2 + (1-ab)*sig2)
		a := (1 - k*b/math.Sqrt(1-ab)) / math.Sqrt(1-b)
		v = a * a * v
		if i > 0 {
			v += b * sig2
		}
	}
	return v
}

// moments returns the per-column mean and (unbiased) variance of the n×d rows x.
func moments(x []float64, d int) (mean, variance []float64) {
	n := len(x) / d
	mean = make([]float64, d)
	variance = make([]float64, d)
	for r := range n {
		for j := range d {
			mean[j] += x[r*d+j]
		}
	}
	for j := range d {
		mean[j] /= float64(n)
	}
	for r := range n {
		for j := range d {
			u := x[r*d+j] - mean[j]
			variance[j] += u * u
		}
	}
	for j := range d {
		variance[j] /= float64(n - 1)
	}
	return mean, variance
}

// mixture2D draws n points from the equal-weight mixture of isotropic 2-D
// Gaussians with the given centres and standard deviation sd.
func mixture2D(n int, centres [][2]float64, sd float64, rng *rand.Rand) []float64 {
	x := make([]float64, 2*n)
	for r := range n {
		c := centres[rng.IntN(len(centres))]
		x[2*r] = c[0] + sd*rng.NormFloat64()
		x[2*r+1] = c[1] + sd*rng.NormFloat64()
	}
	return x
}

// fill returns a slice of n copies of v.
func fill(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func adamLR(lr float64) ad.AdamConfig { return ad.AdamConfig{LR: lr} }

// mixtureEps is the exact noise predictor for the equal-weight mixture of
// isotropic Gaussians N(μ_k, s²I) under noise ε ~ N(0, σ²I): given component
// k, z_i ~ N(√ᾱ μ_k, vI) with v = ᾱs² + (1−ᾱ)σ² and Cov(ε, z_i) = √(1−ᾱ)σ²I,
// so E[ε | z_i] = √(1−ᾱ)σ²/v · (z_i − √ᾱ Σ_k γ_k μ_k), γ_k the posterior
// component weights ∝ exp(−|z_i − √ᾱ μ_k|²/2v).
type mixtureEps struct {
	centres  [][2]float64
	s2, sig2 float64
	sched    Schedule
	buf, lw  []float64
}

func (g *mixtureEps) predict(z []float64, m, i int) []float64 {
	ab := g.sched.AlphaBar(i)
	sa := math.Sqrt(ab)
	v := ab*g.s2 + (1-ab)*g.sig2
	k := math.Sqrt(1-ab) * g.sig2 / v
	g.buf = g.buf[:0]
	g.lw = append(g.lw[:0], make([]float64, len(g.centres))...)
	for r := range m {
		x, y := z[2*r], z[2*r+1]
		mx := math.Inf(-1)
		for c, mu := range g.centres {
			dx, dy := x-sa*mu[0], y-sa*mu[1]
			g.lw[c] = -(dx*dx + dy*dy) / (2 * v)
			mx = max(mx, g.lw[c])
		}
		var w, cx, cy float64
		for c, mu := range g.centres {
			e := math.Exp(g.lw[c] - mx)
			w += e
			cx += e * mu[0]
			cy += e * mu[1]
		}
		g.buf = append(g.buf, k*(x-sa*cx/w), k*(y-sa*cy/w))
	}
	return g.buf
}

// flowVariance returns the variance that the exact probability-flow ODE
// produces for Gaussian data N(0, s²I) under noise variance σ² when started
// from N(0, σ²I) at step N−1: the flow of a linear Gaussian model maps the
// marginal N(0, v(t)) onto N(0, v(t')) by the scaling √(v(t')/v(t)), with
// v_i = ᾱ_i s² + (1−ᾱ_i)σ², so the start variance σ² ends at s²σ²/v_{N−1}.
func flowVariance(s Schedule, s2, sig2 float64) float64 {
	ab := s.AlphaBar(s.Len() - 1)
	return s2 * sig2 / (ab*s2 + (1-ab)*sig2)
}

// boltzmann1D draws n points from p(x) ∝ exp(−U(x)/T) on [lo, hi] by
// inverse-CDF sampling of a fine grid (200 001 points; the grid error is far
// below the statistical error of any test here) and returns also the
// expectation of f under p by quadrature on the same grid.
func boltzmann1D(U func(float64) float64, T, lo, hi float64, n int, rng *rand.Rand, f func(float64) float64) (x []float64, mean float64) {
	const g = 200001
	cdf := make([]float64, g)
	dx := (hi - lo) / (g - 1)
	s, sf := 0.0, 0.0
	for i := range g {
		xi := lo + float64(i)*dx
		w := math.Exp(-U(xi) / T)
		s += w
		sf += w * f(xi)
		cdf[i] = s
	}
	x = make([]float64, n)
	for k := range x {
		u := rng.Float64() * s
		i := sort.SearchFloat64s(cdf, u)
		// Uniform within the grid cell for a continuous sample.
		x[k] = lo + (float64(i)-rng.Float64()+0.5)*dx
	}
	return x, sf / s
}

// twoTemperatureGaussians returns n samples of the 2-D Gaussian N(0, kT·I),
// alternating kT = 1 and kT = 2 (x is n×2 row-major, temps[i] the sample's kT):
// the analytic family whose width depends on T used by the
// temperature-conditioning test and the embedding benchmark.
func twoTemperatureGaussians(rng *rand.Rand, n int) (x, temps []float64) {
	x = make([]float64, 2*n)
	temps = make([]float64, n)
	for i := range n {
		T := float64(1 + i%2)
		temps[i] = T
		x[2*i] = math.Sqrt(T) * rng.NormFloat64()
		x[2*i+1] = math.Sqrt(T) * rng.NormFloat64()
	}
	return x, temps
}
