package diffusion

import (
	"fmt"
	"math"
)

// Schedule is a discrete variance-preserving noising process on the latent
// (Ho, Jain & Abbeel, "Denoising Diffusion Probabilistic Models", NeurIPS
// 2020). Step i ∈ {0, …, Len()−1} has noise fraction β_i ∈ (0, 1) and
// cumulative signal fraction ᾱ_i = Π_{j≤i}(1 − β_j), so that a clean latent
// z_0 is noised as
//
//	z_i = √ᾱ_i · z_0 + √(1 − ᾱ_i) · ε,  ε ~ N(0, σ_T² I).
//
// Every quantity is dimensionless.
type Schedule interface {
	// Len returns the number of steps N.
	Len() int
	// Beta returns β_i for 0 ≤ i < Len().
	Beta(i int) float64
	// AlphaBar returns ᾱ_i = Π_{j≤i}(1 − β_j) for 0 ≤ i < Len().
	AlphaBar(i int) float64
}

// Reference schedule of the D-SPIB reference implementation (docs/method.md §3).
const (
	DefaultSteps   = 100
	DefaultBetaMin = 1e-4
	DefaultBetaMax = 0.2
)

// Linear is the DDPM schedule with β_i rising linearly from BetaMin at i = 0
// to BetaMax at i = N−1 (Ho et al. 2020, §4). It precomputes β and ᾱ; a
// *Linear is immutable after NewLinear and safe for concurrent use.
type Linear struct {
	betaMin, betaMax float64
	beta, alphaBar   []float64
}

// NewLinear returns the linear-β schedule with n ≥ 1 steps and
// 0 < betaMin ≤ betaMax < 1 (for n = 1, β_0 = betaMin).
// NewLinear(100, 1e-4, 0.2) is the reference schedule.
func NewLinear(n int, betaMin, betaMax float64) (*Linear, error) {
	switch {
	case n < 1:
		return nil, fmt.Errorf("diffusion: schedule Steps = %d, want ≥ 1", n)
	case !(betaMin > 0 && betaMin < 1):
		return nil, fmt.Errorf("diffusion: schedule BetaMin = %g, want in (0, 1)", betaMin)
	case !(betaMax >= betaMin && betaMax < 1):
		return nil, fmt.Errorf("diffusion: schedule BetaMax = %g, want in [BetaMin = %g, 1)", betaMax, betaMin)
	}
	s := &Linear{betaMin: betaMin, betaMax: betaMax, beta: make([]float64, n), alphaBar: make([]float64, n)}
	ab := 1.0
	for i := range n {
		b := betaMin
		if n > 1 {
			b = betaMin + (betaMax-betaMin)*float64(i)/float64(n-1)
		}
		s.beta[i] = b
		ab *= 1 - b
		s.alphaBar[i] = ab
	}
	return s, nil
}

// Len returns the number of steps.
func (s *Linear) Len() int { return len(s.beta) }

// Beta returns β_i.
func (s *Linear) Beta(i int) float64 { return s.beta[i] }

// AlphaBar returns ᾱ_i.
func (s *Linear) AlphaBar(i int) float64 { return s.alphaBar[i] }

// checkSchedule verifies that s describes a valid variance-preserving
// process: β_i ∈ (0,1) and ᾱ_i consistent with the product of (1 − β_j).
func checkSchedule(s Schedule) error {
	if s == nil || s.Len() < 1 {
		return fmt.Errorf("diffusion: schedule is empty")
	}
	ab := 1.0
	for i := range s.Len() {
		b := s.Beta(i)
		if !(b > 0 && b < 1) {
			return fmt.Errorf("diffusion: schedule β[%d] = %g, want in (0, 1)", i, b)
		}
		ab *= 1 - b
		if got := s.AlphaBar(i); math.Abs(got-ab) > 1e-9*ab+1e-300 {
			return fmt.Errorf("diffusion: schedule ᾱ[%d] = %g, want Π(1−β) = %g", i, got, ab)
		}
	}
	return nil
}

// Continuous VP-SDE defaults (Song et al., ICLR 2021): β(s) linear from 0.1
// to 20 on s ∈ (0, 1].
const (
	DefaultVPBetaMin = 0.1
	DefaultVPBetaMax = 20
)

// VPSDE is the continuous-time variance-preserving SDE of Song, Sohl-
// Dickstein, Kingma, Kumar, Ermon & Poole ("Score-Based Generative Modeling
// through Stochastic Differential Equations", ICLR 2021), with the noise
// scaled by temperature:
//
//	dz = −½ β(s) z ds + √β(s) σ_T dW,  β(s) = β_min + s (β_max − β_min),
//
// so that z(s) = √ᾱ(s) z_0 + √(1−ᾱ(s)) ε, ε ~ N(0, σ_T² I), with
// ᾱ(s) = exp(−β_min s − ½ (β_max − β_min) s²). It is observed on the grid
// s_i = (i+1)/N, i = 0 … N−1, which makes it a Schedule with the exact
// ᾱ_i = ᾱ(s_i) and β_i = 1 − ᾱ_i/ᾱ_{i−1} (ᾱ_{−1} = 1): the network is
// trained at these N times and either sampler can integrate it (the
// probability-flow sampler is the natural one for an SDE).
type VPSDE struct {
	betaMin, betaMax float64
	beta, alphaBar   []float64
}

// NewVPSDE returns the VP-SDE observed at n ≥ 1 times, with
// 0 < betaMin ≤ betaMax (rates per unit s).
func NewVPSDE(n int, betaMin, betaMax float64) (*VPSDE, error) {
	switch {
	case n < 1:
		return nil, fmt.Errorf("diffusion: schedule Steps = %d, want ≥ 1", n)
	case !(betaMin > 0) || math.IsInf(betaMin, 1):
		return nil, fmt.Errorf("diffusion: VP-SDE BetaMin = %g, want finite and > 0", betaMin)
	case !(betaMax >= betaMin) || math.IsInf(betaMax, 1):
		return nil, fmt.Errorf("diffusion: VP-SDE BetaMax = %g, want finite and ≥ BetaMin = %g", betaMax, betaMin)
	}
	v := &VPSDE{betaMin: betaMin, betaMax: betaMax, beta: make([]float64, n), alphaBar: make([]float64, n)}
	prev := 0.0 // ln ᾱ_{i−1}
	for i := range n {
		s := float64(i+1) / float64(n)
		la := v.LogAlphaBarAt(s)
		v.alphaBar[i] = math.Exp(la)
		v.beta[i] = -math.Expm1(la - prev)
		prev = la
	}
	if b := v.beta[n-1]; !(b < 1) {
		return nil, fmt.Errorf("diffusion: VP-SDE with BetaMax = %g and %d steps has β_%d = %g, want < 1 (use more steps)", betaMax, n, n-1, b)
	}
	return v, nil
}

// LogAlphaBarAt returns ln ᾱ(s) = −β_min s − ½ (β_max − β_min) s² at
// continuous time s.
func (v *VPSDE) LogAlphaBarAt(s float64) float64 {
	return -v.betaMin*s - 0.5*(v.betaMax-v.betaMin)*s*s
}

// Len returns the number of grid times N.
func (v *VPSDE) Len() int { return len(v.beta) }

// Beta returns β_i = 1 − ᾱ(s_i)/ᾱ(s_{i−1}).
func (v *VPSDE) Beta(i int) float64 { return v.beta[i] }

// AlphaBar returns ᾱ(s_i), s_i = (i+1)/N.
func (v *VPSDE) AlphaBar(i int) float64 { return v.alphaBar[i] }
