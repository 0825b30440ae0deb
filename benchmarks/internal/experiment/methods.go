package experiment

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/dspib/dspib/analysis/plots"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
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

// vampPrior is SPIB's VampPrior r(z) = Σ_k w_k N(z; μ_k, diag σ_k²) with
// μ_k, σ_k² the encoder's output on the representative inputs and w =
// softmax(θ) (Tomczak & Welling, AISTATS 2018). It ignores kT: SPIB has one
// prior for all temperatures. Sampling uses the variance e^{logvar} as a
// variance (spec §3 fixes the reference's std-for-covariance slip).
type vampPrior struct {
	mu, sd []float64 // K×d
	cum    []float64 // cumulative weights, K
	d      int
}

func newVampPrior(m *spib.Model) *vampPrior {
	K, d := m.K, m.LatentDim()
	t := ad.NewTape()
	mean, logvar := m.EncodeTape(t, t.Const(K, m.D, m.RepInputs))
	v := &vampPrior{mu: append([]float64(nil), mean.Data...), sd: make([]float64, K*d), cum: make([]float64, K), d: d}
	for k := 0; k < K; k++ {
		for j := 0; j < d; j++ {
			lv := logvar.Data[j] // shared 1×d row
			if logvar.Rows == K {
				lv = logvar.Data[k*d+j]
			}
			v.sd[k*d+j] = math.Exp(0.5 * lv)
		}
	}
	theta := m.PriorParams()[0].Data
	mx := math.Inf(-1)
	for _, th := range theta {
		mx = math.Max(mx, th)
	}
	s := 0.0
	for k := range K {
		s += math.Exp(theta[k] - mx)
		v.cum[k] = s
	}
	for k := range v.cum {
		v.cum[k] /= s
	}
	return v
}

func (v *vampPrior) Generate(_ float64, n int, seed uint64) ([]float64, error) {
	rng := rand.New(rand.NewPCG(seed, 0x7a6d70))
	out := make([]float64, n*v.d)
	for i := range n {
		u := rng.Float64()
		k := 0
		for k < len(v.cum)-1 && v.cum[k] < u {
			k++
		}
		for j := range v.d {
			out[i*v.d+j] = v.mu[k*v.d+j] + v.sd[k*v.d+j]*rng.NormFloat64()
		}
	}
	return out, nil
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

// Phase2Input is what the D-SPIB joint-training stage receives: the
// phase-1 model and the data it was trained on (labels are phase 1's final
// labels), the sizes of the run, a seeded stream and a folder for its files.
type Phase2Input struct {
	Data   *spib.Data
	Phase1 *spib.Model
	Sizes  Sizes
	Seed   uint64
	Dir    string
	Log    io.Writer
}

// Phase2Output is a trained D-SPIB model seen through the benchmark's narrow
// interface.
type Phase2Output struct {
	Enc    Encoder
	Gen    Generator
	Curves []plots.Curve
	// Info is recorded in metrics.json (settings, epochs, reuse).
	Info map[string]any
}

// Phase2Func trains (or reloads from Dir) D-SPIB phase 2.
type Phase2Func func(ctx context.Context, in Phase2Input) (*Phase2Output, error)

// Phase2 is the D-SPIB stage. It is nil when the learn/dspib package is not
// part of this build; the programs then run SPIB and the baselines only and
// the report says that D-SPIB is not available.
var Phase2 Phase2Func
