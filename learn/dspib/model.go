package dspib

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/dspib/dspib"
	"github.com/dspib/dspib/internal/par"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/spib"
	"github.com/dspib/dspib/md/traj"
)

// ErrNoPrior is returned when a model without a diffusion prior (a SPIB
// model, or phase 1 of a fit) is asked to generate with it.
var ErrNoPrior = errors.New("dspib: the model has no diffusion prior (SPIB only; train phase 2 or use SampleVampPrior)")

// Model is a D-SPIB model: the SPIB encoder/decoder (with its VampPrior)
// and, after phase 2, the temperature-conditioned diffusion prior on z.
type Model struct {
	SPIB  *spib.Model
	Prior *diffusion.Prior // nil for a SPIB-only model
}

// Files of a saved model folder.
const (
	modelJSON   = "model.json"
	spibFile    = "spib.ckpt"  // + spib.ckpt.json, see spib.Model.Save
	priorFile   = "prior.ckpt" // see diffusion.Prior.Save
	modelFormat = "dspib/dspib-model/v1"
)

type modelSidecar struct {
	Format    string `json:"format"`
	Version   string `json:"version"`
	LatentDim int    `json:"latent_dim"`
	States    int    `json:"states"`
	Inputs    int    `json:"inputs"`
	HasPrior  bool   `json:"diffusion_prior"`
}

// Save writes the model into the folder dir (created if missing):
//
//	model.json          {format, version, latent_dim, states, inputs, diffusion_prior}
//	spib.ckpt(.json)    the SPIB part, see spib.Model.Save
//	prior.ckpt          the diffusion prior, see diffusion.Prior.Save (only if Prior ≠ nil)
//
// model.json is written last, so a folder without it is incomplete. A stale
// prior.ckpt is removed when saving a SPIB-only model.
func (m *Model) Save(dir string) error {
	if m == nil || m.SPIB == nil {
		return errors.New("dspib: Save: model has no SPIB part")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dspib: Save: %w", err)
	}
	_ = os.Remove(filepath.Join(dir, modelJSON))
	if err := m.SPIB.Save(filepath.Join(dir, spibFile)); err != nil {
		return err
	}
	pp := filepath.Join(dir, priorFile)
	if m.Prior != nil {
		if err := m.Prior.Save(pp); err != nil {
			return fmt.Errorf("dspib: Save: %w", err)
		}
	} else if err := os.Remove(pp); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("dspib: Save: %w", err)
	}
	sc := modelSidecar{Format: modelFormat, Version: dspib.Version, LatentDim: m.SPIB.LatentDim(),
		States: m.SPIB.K, Inputs: m.SPIB.D, HasPrior: m.Prior != nil}
	return traj.WriteJSON(filepath.Join(dir, modelJSON), sc)
}

// Load reads a model folder written by Save. It checks that the parts fit
// together (latent dimension, states, inputs) and names the file at fault.
func Load(dir string) (*Model, error) {
	b, err := os.ReadFile(filepath.Join(dir, modelJSON))
	if err != nil {
		return nil, fmt.Errorf("dspib: Load: %w (not a model folder, or an incomplete save)", err)
	}
	var sc modelSidecar
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("dspib: Load %s: %w", filepath.Join(dir, modelJSON), err)
	}
	if sc.Format != modelFormat {
		return nil, fmt.Errorf("dspib: Load %s: format %q, want %q", filepath.Join(dir, modelJSON), sc.Format, modelFormat)
	}
	sm, err := spib.Load(filepath.Join(dir, spibFile))
	if err != nil {
		return nil, err
	}
	if sm.LatentDim() != sc.LatentDim || sm.K != sc.States || sm.D != sc.Inputs {
		return nil, fmt.Errorf("dspib: Load %s: SPIB part has d = %d, %d states, %d inputs; model.json says %d, %d, %d",
			dir, sm.LatentDim(), sm.K, sm.D, sc.LatentDim, sc.States, sc.Inputs)
	}
	m := &Model{SPIB: sm}
	if sc.HasPrior {
		p, err := diffusion.Load(filepath.Join(dir, priorFile))
		if err != nil {
			return nil, fmt.Errorf("dspib: Load: %w", err)
		}
		if p.Config().Dim != sm.LatentDim() {
			return nil, fmt.Errorf("dspib: Load %s: prior has latent dimension %d, SPIB part %d",
				filepath.Join(dir, priorFile), p.Config().Dim, sm.LatentDim())
		}
		m.Prior = p
	}
	return m, nil
}

// Encode returns z_mean and the log-variance (n×d each) of n frames x in
// ORIGINAL feature units (n×D, row-major); see spib.Model.Encode.
func (m *Model) Encode(x []float64, workers int) (zMean, logVar []float64, err error) {
	return m.SPIB.Encode(x, workers)
}

// checkTemps validates a list of generation temperatures.
func checkTemps(temps []float64, n int) error {
	if len(temps) == 0 {
		return errors.New("dspib: no temperatures given")
	}
	for i, T := range temps {
		if !(T > 0) || math.IsInf(T, 0) {
			return fmt.Errorf("dspib: temperature %d is kT = %g, want a finite kT > 0", i, T)
		}
	}
	if n < 1 {
		return fmt.Errorf("dspib: number of samples n = %d, want ≥ 1", n)
	}
	return nil
}

// Generate draws n latents at every temperature of temps (kT, energy units;
// trained, interpolated or extrapolated) with the diffusion prior's
// ancestral sampler (diffusion.Prior.Generate): batched over all cores and
// bit-identical for a seed whatever GOMAXPROCS. out[k] is n×d, row-major.
// It returns ErrNoPrior for a SPIB-only model.
func (m *Model) Generate(temps []float64, n int, seed uint64) ([][]float64, error) {
	if m.Prior == nil {
		return nil, ErrNoPrior
	}
	if err := checkTemps(temps, n); err != nil {
		return nil, err
	}
	return m.Prior.Generate(temps, n, seed)
}

// vampChunk is the number of samples drawn from one PCG stream.
const vampChunk = 1024

// VampPrior returns the SPIB VampPrior mixture r(z) = Σ_k w_k N(z; μ_k,
// diag σ_k²): weights w = softmax(θ) (K), means μ_k = z_mean(u_k) (K×d) and
// variances σ_k² = e^{logvar(u_k)} (K×d) of the representative inputs u_k.
func (m *Model) VampPrior() (w, mu, variance []float64) {
	sm := m.SPIB
	K, d := sm.K, sm.LatentDim()
	t := ad.NewTape()
	x := t.Const(K, sm.D, sm.RepInputs)
	mean, lv := sm.EncodeTape(t, x)
	mu = append([]float64(nil), mean.Data...)
	variance = make([]float64, K*d)
	for k := range K {
		for j := range d {
			v := lv.Data[j]
			if lv.Rows == K {
				v = lv.Data[k*d+j]
			}
			variance[k*d+j] = math.Exp(v)
		}
	}
	theta := sm.PriorParams()[0].Data
	w = make([]float64, K)
	mx := math.Inf(-1)
	for _, v := range theta {
		mx = max(mx, v)
	}
	s := 0.0
	for k, v := range theta {
		w[k] = math.Exp(v - mx)
		s += w[k]
	}
	for k := range w {
		w[k] /= s
	}
	return w, mu, variance
}

// SampleVampPrior draws n latents (n×d, row-major) from the VampPrior
// mixture of the SPIB part, the SPIB baseline generator of docs/method.md §3: a
// component k with probability w_k, then z = μ_k + σ_k ⊙ ξ, ξ ~ N(0, I), so
// that the component covariance is diag σ_k² = diag e^{logvar(u_k)}. The
// VampPrior does not depend on temperature. Samples are drawn in chunks of
// 1024, each from its own PCG stream (seed, chunk), on GOMAXPROCS workers:
// the result is bit-identical for a seed whatever the number of cores.
func (m *Model) SampleVampPrior(n int, seed uint64) ([]float64, error) {
	if n < 1 {
		return nil, fmt.Errorf("dspib: SampleVampPrior: n = %d, want ≥ 1", n)
	}
	w, mu, variance := m.VampPrior()
	K, d := len(w), m.SPIB.LatentDim()
	cum := make([]float64, K)
	sd := make([]float64, K*d)
	s := 0.0
	for k := range w {
		s += w[k]
		cum[k] = s
	}
	for i, v := range variance {
		sd[i] = math.Sqrt(v)
	}
	out := make([]float64, n*d)
	par.Chunks(n, vampChunk, 0, func(_, c, lo, hi int) {
		rng := rand.New(rand.NewPCG(seed, uint64(c)))
		for i := lo; i < hi; i++ {
			u := rng.Float64() * s
			k := 0
			for k < K-1 && cum[k] <= u {
				k++
			}
			for j := range d {
				out[i*d+j] = mu[k*d+j] + sd[k*d+j]*rng.NormFloat64()
			}
		}
	})
	return out, nil
}
