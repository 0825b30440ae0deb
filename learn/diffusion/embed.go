package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Embedding selects how the step index i and the temperature T enter the
// noise network.
type Embedding int

const (
	// Smooth (the default, docs/method.md §3 choice) embeds the step as s = i/N and
	// the temperature as u = ln(T/T_ref), each as the raw value followed by
	// sin and cos of a few low frequencies:
	//
	//	e(s) = [s, sin(π·2^k·s), cos(π·2^k·s) for k = 0…F−1]
	//	e(u) = [u, sin(2^(k−1)·u), cos(2^(k−1)·u) for k = 0…F−1]
	//
	// with F = SmoothFrequencies (default 3), so each embedding has 1 + 2F
	// entries. These are smooth, slowly varying functions of T, which is
	// what lets the network interpolate between training temperatures.
	Smooth Embedding = iota
	// Fourier is the reference embedding: Gaussian random Fourier features
	// (Tancik et al., NeurIPS 2020; the GaussianFourierProjection of Song et
	// al., ICLR 2021) e(x) = [sin(2π w_k x), cos(2π w_k x)], k = 1…F/2, with
	// w_k ~ N(0, FourierScale²) drawn once from the *rand.Rand given to New
	// and stored with the model. As in the D-SPIB reference the step enters
	// as the integer i and the temperature as T/T_ref; with scale 100 these
	// are nearly random functions of their input.
	Fourier
)

// String returns the embedding's name.
func (e Embedding) String() string {
	switch e {
	case Smooth:
		return "smooth"
	case Fourier:
		return "fourier"
	}
	return fmt.Sprintf("Embedding(%d)", int(e))
}

// embedder computes the step and temperature embeddings. It is immutable
// after construction and safe for concurrent use.
type embedder struct {
	kind     Embedding
	steps    int       // N
	nFreq    int       // Smooth: F
	wStep    []float64 // Fourier: frequencies for the step index
	wTemp    []float64 // Fourier: frequencies for T/T_ref
	stepFreq []float64 // Smooth: angular frequencies for s
	tempFreq []float64 // Smooth: angular frequencies for u
}

func newSmoothEmbedder(steps, nFreq int) *embedder {
	e := &embedder{kind: Smooth, steps: steps, nFreq: nFreq}
	for k := range nFreq {
		e.stepFreq = append(e.stepFreq, math.Pi*math.Ldexp(1, k))
		e.tempFreq = append(e.tempFreq, math.Ldexp(1, k-1))
	}
	return e
}

// newFourierEmbedder draws dim/2 frequencies for the step and dim/2 for the
// temperature from N(0, scale²).
func newFourierEmbedder(steps, dim int, scale float64, rng *rand.Rand) *embedder {
	e := &embedder{kind: Fourier, steps: steps, wStep: make([]float64, dim/2), wTemp: make([]float64, dim/2)}
	for k := range e.wStep {
		e.wStep[k] = scale * rng.NormFloat64()
	}
	for k := range e.wTemp {
		e.wTemp[k] = scale * rng.NormFloat64()
	}
	return e
}

// dim returns the length of each embedding (step and temperature alike).
func (e *embedder) dim() int {
	if e.kind == Fourier {
		return 2 * len(e.wStep)
	}
	return 1 + 2*e.nFreq
}

// step writes the embedding of step index i into dst (len dim()).
func (e *embedder) step(dst []float64, i int) {
	if e.kind == Fourier {
		fourier(dst, e.wStep, float64(i))
		return
	}
	smooth(dst, e.stepFreq, float64(i)/float64(e.steps))
}

// temp writes the embedding of the reduced temperature r = T/T_ref into dst.
func (e *embedder) temp(dst []float64, r float64) {
	if e.kind == Fourier {
		fourier(dst, e.wTemp, r)
		return
	}
	smooth(dst, e.tempFreq, math.Log(r))
}

func smooth(dst, freq []float64, x float64) {
	dst[0] = x
	for k, w := range freq {
		s, c := math.Sincos(w * x)
		dst[1+2*k] = s
		dst[2+2*k] = c
	}
}

func fourier(dst, w []float64, x float64) {
	h := len(w)
	for k, wk := range w {
		s, c := math.Sincos(2 * math.Pi * wk * x)
		dst[k] = s
		dst[h+k] = c
	}
}
