package experiment

import (
	"fmt"
	"math"
	"runtime"

	"github.com/dspib/dspib/analysis/plots"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/dspib"
	"github.com/dspib/dspib/learn/spib"
)

// Encoder maps features to the latent space of one trained model and the
// latents to its metastable states.
type Encoder interface {
	// Encode returns z_mean (n×d) of n frames x given in original feature
	// units (n×D, row-major).
	Encode(x []float64) ([]float64, error)
	// Classify returns the state argmax_k p(k|z) of each latent z (n×d).
	Classify(z []float64) ([]int, error)
	// NumStates is the number of states Classify can return.
	NumStates() int
}

// Generator draws latents (n×d, row-major) at temperature kT [ε],
// deterministically for a seed.
type Generator interface {
	Generate(kT float64, n int, seed uint64) ([]float64, error)
}

// Method is one way of predicting the latent distribution at a temperature:
// a generator in the latent space of an encoder.
type Method struct {
	// Name is shown in tables ("SPIB (VampPrior)").
	Name string
	// Key is a short file-name-safe identifier ("spib").
	Key string
	// EncKey names the encoder ("spib", "dspib"): methods with the same
	// EncKey are compared against the same encoded MD.
	EncKey string
	Enc    Encoder
	Gen    Generator
	// Baseline marks reference predictions that are not generative models
	// (the nearest training temperature's MD).
	Baseline bool
	// TempAware marks generators conditioned on temperature (the ones the
	// nearest-temperature baseline judges).
	TempAware bool
	// Curves are the training-loss curves, if any.
	Curves []plots.Curve
}

// spibEncoder adapts a phase-1 (or phase-2) *spib.Model.
type spibEncoder struct {
	m *spib.Model
}

func (e spibEncoder) Encode(x []float64) ([]float64, error) {
	z, _, err := e.m.Encode(x, runtime.GOMAXPROCS(0))
	return z, err
}

func (e spibEncoder) NumStates() int { return e.m.K }

// Classify decodes latents in chunks on a tape (argmax of the decoder's
// log-probabilities).
func (e spibEncoder) Classify(z []float64) ([]int, error) {
	return classifyWith(e.m, z)
}

func classifyWith(m *spib.Model, z []float64) ([]int, error) {
	d := m.LatentDim()
	if len(z)%d != 0 {
		return nil, fmt.Errorf("classify: %d values is not a multiple of d = %d", len(z), d)
	}
	n := len(z) / d
	labels := make([]int, n)
	t := ad.NewTape()
	const chunk = 4096
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		t.Reset()
		logp := m.DecodeTape(t, t.Const(hi-lo, d, z[lo*d:hi*d]))
		for i := 0; i < hi-lo; i++ {
			best, bv := 0, math.Inf(-1)
			for k := 0; k < logp.Cols; k++ {
				if v := logp.Data[i*logp.Cols+k]; v > bv {
					best, bv = k, v
				}
			}
			labels[lo+i] = best
		}
	}
	return labels, nil
}

// vampGen is SPIB's VampPrior sampled with the right covariance
// (dspib.Model.SampleVampPrior, spec §3). It ignores kT: SPIB has one prior
// for all temperatures.
type vampGen struct{ m *dspib.Model }

func (g vampGen) Generate(_ float64, n int, seed uint64) ([]float64, error) {
	return g.m.SampleVampPrior(n, seed)
}

// dspibGen samples the D-SPIB diffusion prior at kT (ancestral sampler).
type dspibGen struct{ m *dspib.Model }

func (g dspibGen) Generate(kT float64, n int, seed uint64) ([]float64, error) {
	out, err := g.m.Generate([]float64{kT}, n, seed)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// priorGen adapts a diffusion prior (ancestral sampling, spec §3).
type priorGen struct{ p *diffusion.Prior }

func (g priorGen) Generate(kT float64, n int, seed uint64) ([]float64, error) {
	return g.p.Sample(kT, n, seed)
}

// setGen returns fixed latent sets per temperature: the nearest-training-
// temperature baseline (spec §4 (b)), thinned to n.
type setGen struct {
	sets map[float64][]float64
	d    int
}

func (g setGen) Generate(kT float64, n int, _ uint64) ([]float64, error) {
	s, ok := g.sets[kT]
	if !ok {
		return nil, fmt.Errorf("baseline: no latents for kT %v", kT)
	}
	return thin(s, g.d, n), nil
}

// thin returns n rows of x (rows × d) taken at evenly spaced indices (all of x
// if it has at most n rows). For a time series this keeps the longest
// spacing between retained frames, hence the least correlated subset.
func thin(x []float64, d, n int) []float64 {
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
