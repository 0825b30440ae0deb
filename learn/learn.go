// Package learn holds the two small interfaces every learner of the package
// is used through, so that the command line (cmd/dspib) and the benchmarks
// evaluate SPIB, D-SPIB, a post-hoc diffusion prior or plain molecular
// dynamics the same way (package evaluate):
//
//   - an Encoder maps frames (features in original units) to latents and
//     latents to metastable states: SPIB's encoder and decoder (Wang &
//     Tiwary, J. Chem. Phys. 154, 134111 (2021)), whether trained alone or
//     jointly with a diffusion prior in D-SPIB;
//   - a Generator samples latents at a temperature kT [ε], deterministically
//     for a seed: D-SPIB's diffusion prior (John, Qiu, Herron & Tiwary,
//     arXiv:2510.09784, 2025), SPIB's VampPrior, or a fixed set of encoded
//     MD frames (the nearest-training-temperature baseline).
//
// The adapters here wrap the models of learn/spib, learn/dspib and
// learn/diffusion. Latents are n×d and frames n×D, row-major.
package learn

import (
	"fmt"
	"math"
	"runtime"

	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/dspib"
	"github.com/dspib/dspib/learn/spib"
)

// Encoder maps frames to the latent space of one trained model and latents
// to its metastable states.
type Encoder interface {
	// Encode returns z_mean (n×d) of n frames x given in original feature
	// units (n×D, row-major).
	Encode(x []float64) ([]float64, error)
	// Classify returns the state argmax_k p(k|z) of each latent z (n×d).
	Classify(z []float64) ([]int, error)
	// NumStates is the number of states Classify can return.
	NumStates() int
	// LatentDim is d, FeatureDim is D.
	LatentDim() int
	FeatureDim() int
}

// Generator draws n latents (n×d, row-major) at temperature kT [ε],
// deterministically for a seed. The samples at one kT depend only on
// (kT, n, seed).
type Generator interface {
	Generate(kT float64, n int, seed uint64) ([]float64, error)
}

// SPIB is the Encoder of a SPIB model: z_mean of its encoder, and states
// from its decoder (argmax of log p(k|z)).
type SPIB struct{ M *spib.Model }

// Encode returns z_mean of x (original units), on all cores.
func (e SPIB) Encode(x []float64) ([]float64, error) {
	z, _, err := e.M.Encode(x, runtime.GOMAXPROCS(0))
	return z, err
}

// NumStates is the number of states of the decoder.
func (e SPIB) NumStates() int { return e.M.K }

// LatentDim is d.
func (e SPIB) LatentDim() int { return e.M.LatentDim() }

// FeatureDim is the number of input features D.
func (e SPIB) FeatureDim() int { return e.M.D }

// classifyChunk is the number of latents decoded on one tape.
const classifyChunk = 4096

// Classify decodes latents in chunks on a tape (argmax of the decoder's
// log-probabilities; ties go to the lower state).
func (e SPIB) Classify(z []float64) ([]int, error) {
	m := e.M
	d := m.LatentDim()
	if len(z)%d != 0 {
		return nil, fmt.Errorf("learn: Classify: %d values is not a multiple of d = %d", len(z), d)
	}
	n := len(z) / d
	labels := make([]int, n)
	t := ad.NewTape()
	for lo := 0; lo < n; lo += classifyChunk {
		hi := min(lo+classifyChunk, n)
		t.Reset()
		logp := m.DecodeTape(t, t.Const(hi-lo, d, z[lo*d:hi*d]))
		for i := range hi - lo {
			best, bv := 0, math.Inf(-1)
			for k, v := range logp.Data[i*logp.Cols : (i+1)*logp.Cols] {
				if v > bv {
					best, bv = k, v
				}
			}
			labels[lo+i] = best
		}
	}
	return labels, nil
}

// Diffusion is the Generator of a temperature-conditioned diffusion prior
// (ancestral sampler, docs/method.md §3): D-SPIB's prior, or one fitted post hoc to a
// frozen SPIB encoder's latents.
type Diffusion struct{ P *diffusion.Prior }

// Generate draws n latents at kT.
func (g Diffusion) Generate(kT float64, n int, seed uint64) ([]float64, error) {
	return g.P.Sample(kT, n, seed)
}

// Denoised is a diagnostic Generator of a diffusion prior: at kT it returns
// the first n rows of Z[kT] (latents of frames encoded by the prior's
// encoder, typically an MD run) noised to step From and carried back by the
// prior's reverse steps (diffusion.Prior.Denoise). Compared with an
// independent sample at the same kT it shows how much of the error of
// generation the noise network's steps From, …, 0 make: a perfect network
// gives the MD noise floor from every step.
type Denoised struct {
	P    *diffusion.Prior
	From int
	Z    map[float64][]float64
}

// Generate returns n denoised latents at kT; an error if Z has fewer than
// n rows at kT.
func (g Denoised) Generate(kT float64, n int, seed uint64) ([]float64, error) {
	d := g.P.Config().Dim
	z := g.Z[kT]
	if len(z) < n*d {
		return nil, fmt.Errorf("learn: Denoised: %d latents at kT %v, want ≥ %d", len(z)/d, kT, n)
	}
	return g.P.Denoise(z[:n*d], kT, g.From, seed)
}

// DSPIB returns the Generator of a D-SPIB model (its diffusion prior), or
// dspib.ErrNoPrior for a SPIB-only model.
func DSPIB(m *dspib.Model) (Generator, error) {
	if m.Prior == nil {
		return nil, dspib.ErrNoPrior
	}
	return Diffusion{m.Prior}, nil
}

// VampPrior is the Generator of SPIB's VampPrior mixture, sampled with the
// right covariance (dspib.Model.SampleVampPrior). It ignores kT: SPIB has
// one prior for all temperatures.
type VampPrior struct{ M *dspib.Model }

// Generate draws n latents; kT is ignored.
func (g VampPrior) Generate(_ float64, n int, seed uint64) ([]float64, error) {
	return g.M.SampleVampPrior(n, seed)
}

// Set is the Generator of fixed latent sets per temperature (d columns),
// thinned evenly to n rows (Thin): the encoded MD of the nearest training
// temperature, the honest baseline of docs/evaluation.md (b). It ignores the seed.
type Set struct {
	Sets map[float64][]float64
	D    int
}

// Generate returns the set of kT thinned to n rows (all of it if shorter).
func (g Set) Generate(kT float64, n int, _ uint64) ([]float64, error) {
	s, ok := g.Sets[kT]
	if !ok {
		return nil, fmt.Errorf("learn: Set: no latents for kT %v", kT)
	}
	return Thin(s, g.D, n), nil
}

// Thin returns n rows of x (rows × d) taken at evenly spaced indices (x
// itself if it has at most n rows). For a time series this keeps the
// longest spacing between retained frames, hence the least correlated
// subset.
func Thin(x []float64, d, n int) []float64 {
	rows := len(x) / d
	if rows <= n {
		return x
	}
	out := make([]float64, n*d)
	for i := range n {
		r := int(int64(i) * int64(rows) / int64(n))
		copy(out[i*d:(i+1)*d], x[r*d:(r+1)*d])
	}
	return out
}
