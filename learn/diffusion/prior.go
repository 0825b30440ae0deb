package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/dspib/dspib/learn/ad"
)

// Activation selects the nonlinearity of the noise network's hidden layers.
type Activation int

const (
	// SiLU, x·σ(x) (Elfwing, Uchibe & Doya, Neural Networks 2018), is the
	// default: it keeps ε_θ smooth in z, which the samplers integrate over
	// N steps.
	SiLU Activation = iota
	// ReLU, max(x, 0).
	ReLU
)

// String returns the activation's name.
func (a Activation) String() string {
	switch a {
	case SiLU:
		return "silu"
	case ReLU:
		return "relu"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

func (a Activation) ad() ad.Act {
	if a == ReLU {
		return ad.ActReLU
	}
	return ad.ActSiLU
}

// Process selects the forward (noising) process.
type Process int

const (
	// DDPM is the discrete schedule of the D-SPIB reference (the default):
	// β_i linear from BetaMin to BetaMax (Linear).
	DDPM Process = iota
	// VP is the continuous VP-SDE with β(s) linear from BetaMin to BetaMax
	// on s ∈ (0, 1], observed at s_i = (i+1)/N (VPSDE).
	VP
)

// String returns the process's name.
func (p Process) String() string {
	switch p {
	case DDPM:
		return "ddpm"
	case VP:
		return "vp-sde"
	}
	return fmt.Sprintf("Process(%d)", int(p))
}

// Config describes a diffusion prior. The zero value (plus KTRef) is the
// D-SPIB reference model of docs/method.md §3 with the smooth embedding; every zero
// field means its default. Validation happens in one place (New), and an
// invalid value is an error naming the field.
type Config struct {
	// Dim is the latent dimension d (default 2).
	Dim int
	// Process is the noising process (default DDPM).
	Process Process
	// Steps is the number of diffusion steps N (default 100).
	Steps int
	// BetaMin, BetaMax are, for DDPM, β_0 and β_{N−1} of the linear
	// schedule (defaults 1e−4 and 0.2, the reference values) and, for VP,
	// β(0) and β(1) of the SDE (defaults 0.1 and 20, Song et al. 2021).
	BetaMin, BetaMax float64
	// Exponent is a in σ_T = (T/T_ref)^a, the standard deviation of the
	// noise at temperature T [dimensionless]. Default 1 (the D-SPIB
	// reference); ½ makes the noise variance ∝ T as in thermodynamic maps
	// (Herron et al., PNAS 2024). A negative value means an explicit a = 0:
	// σ_T = 1 at every temperature (zero means the default).
	Exponent float64
	// KTRef is the reference temperature kT_ref [ε] of σ_T; required by
	// New (Train defaults it to the lowest training temperature).
	KTRef float64
	// Embedding selects the step/temperature embedding (default Smooth).
	Embedding Embedding
	// SmoothFrequencies is F for the Smooth embedding (default 3).
	SmoothFrequencies int
	// FourierDim is the length of each Fourier embedding (even; default 32)
	// and FourierScale the standard deviation of its frequencies (default
	// 100, the reference value).
	FourierDim   int
	FourierScale float64
	// Hidden lists the hidden-layer widths (default 16, 64, 64, 64, 64, 16).
	Hidden []int
	// Act is the hidden-layer activation (default SiLU).
	Act Activation
	// Replicas is M, the number of (i, ε) draws per latent in Loss
	// (default 16).
	Replicas int

	// Sampling settings (sampling.go): they change how Generate and Sample
	// draw, not what is trained, and are saved with the prior.

	// Sampler is the reverse-time integrator of Generate and Sample
	// (default Ancestral); GenerateWith and GenerateRange override it.
	Sampler Sampler `json:",omitempty"`
	// SampleSteps is the number of reverse steps S of the samplers, at
	// most Steps (default Steps: every training step). Fewer steps run the
	// sampler on the evenly spaced subsequence of training steps (respacing,
	// Nichol & Dhariwal, ICML 2021 §4; see respace).
	SampleSteps int `json:",omitempty"`
	// UnitStart starts the samplers from N(0, I) at every temperature, as
	// the D-SPIB reference does, instead of the forward process's
	// stationary law N(0, σ_T² I) (the default, docs/method.md §3 choice).
	UnitStart bool `json:",omitempty"`
	// Corrector is the number of Langevin corrector steps the ancestral
	// sampler takes at every noise level before its predictor step: the
	// predictor–corrector sampler of Song et al. (ICLR 2021, §4.2 and
	// Algorithm 5), see langevin (default 0: none). Each step costs one
	// more network evaluation per level.
	Corrector int `json:",omitempty"`
	// CorrectorSNR is r, the signal-to-noise ratio that sets the
	// corrector's step size (see langevin; default DefaultCorrectorSNR).
	// Only with Corrector > 0.
	CorrectorSNR float64 `json:",omitempty"`

	// LatentScale is c, the scale of the latents in the prior's own
	// units: the diffusion process runs on u = z/c (Loss divides the
	// latents by c, the samplers multiply their output by c), so that the
	// data and the noise N(0, σ_T² I) are of comparable size (c > 1) or
	// the latents' structure spans more of the noise levels (c < 1). Zero
	// means 1 (no scaling, the reference). Stored with the prior.
	LatentScale float64 `json:",omitempty"`

	// StepSampling is how Loss draws the diffusion step of each replica
	// (default StepsUniform, the reference). Stored with the prior.
	StepSampling StepSampling `json:",omitempty"`

	// InputFrequencies is F, the number of sinusoidal features of each
	// latent coordinate u_k that the noise network sees besides the noised
	// latent itself: sin(2π f_j u_k) and cos(2π f_j u_k) for the octaves
	// f_j = InputMaxFrequency·2^−j, j = 0…F−1 (default 0: the latent alone,
	// the reference). A multilayer perceptron on a low-dimensional input
	// learns fine structure slowly (spectral bias); sinusoidal input
	// features remove that limit (Tancik et al., "Fourier Features Let
	// Networks Learn High Frequency Functions in Low Dimensional Domains",
	// NeurIPS 2020). At most 32. Stored with the prior.
	InputFrequencies int `json:",omitempty"`
	// InputMaxFrequency is f_0 [cycles per unit of the prior's latent
	// u = z/LatentScale] (default 2). Only with InputFrequencies > 0.
	InputMaxFrequency float64 `json:",omitempty"`
	// InputGated scales the input features of a noised latent at step i by
	// √ᾱ_i, the weight of the clean latent in it: at low noise the network
	// sees them in full, at high noise (where they are functions of mostly
	// noise) hardly at all, so that there it computes what the network
	// without features computes. Only with InputFrequencies > 0. Stored
	// with the prior.
	InputGated bool `json:",omitempty"`

	// Coupling selects how the temperature enters the noise network
	// (default CouplingEmbedded, the reference). Stored with the prior.
	Coupling Coupling `json:",omitempty"`
	// Experts is K, the number of Boltzmann-weighted experts of the linear
	// couplings' output head (see CouplingLinear; default 1, at most 64).
	// Only with a linear coupling. Stored with the prior.
	Experts int `json:",omitempty"`
}

// maxExperts bounds Config.Experts.
const maxExperts = 64

// StepSampling selects the distribution of the diffusion steps that Loss
// trains on.
type StepSampling int

const (
	// StepsUniform draws i ~ U{0, …, N−1}: the simplified loss L_simple of
	// Ho et al. (NeurIPS 2020, Eq. 14), the reference.
	StepsUniform StepSampling = iota
	// StepsELBO draws i with probability ∝ β_i/((1−β_i)(1−ᾱ_i)), the weight
	// of step i's noise-prediction error in the variational bound on the
	// likelihood with reverse variances β_i σ_T² (Ho et al. 2020, Eq. 12),
	// so that Loss is the bound's weighting of those errors, normalised.
	// Against L_simple it trains the low-noise steps more, the ones that
	// resolve the data's fine structure (the uniform draw favours sample
	// quality over likelihood: Nichol & Dhariwal, ICML 2021, §3).
	StepsELBO
)

// String returns the step sampling's name, as ParseStepSampling reads it.
func (s StepSampling) String() string {
	switch s {
	case StepsUniform:
		return "uniform"
	case StepsELBO:
		return "elbo"
	}
	return fmt.Sprintf("StepSampling(%d)", int(s))
}

// ParseStepSampling returns the StepSampling named s (uniform or elbo).
func ParseStepSampling(s string) (StepSampling, error) {
	return parseName("step sampling", s, StepsUniform, StepsELBO)
}

// stepCDF returns the cumulative distribution of the steps that Loss draws
// with s on sched, or nil for the uniform draw.
func stepCDF(s StepSampling, sched Schedule) []float64 {
	if s != StepsELBO {
		return nil
	}
	n := sched.Len()
	cdf := make([]float64, n)
	sum := 0.0
	for i := range n {
		b := sched.Beta(i)
		sum += b / ((1 - b) * (1 - sched.AlphaBar(i)))
		cdf[i] = sum
	}
	for i := range cdf {
		cdf[i] /= sum
	}
	cdf[n-1] = 1
	return cdf
}

// drawStep draws the diffusion step of one replica of Loss.
func (p *Prior) drawStep(rng *rand.Rand) int {
	if p.stepCDF == nil {
		return rng.IntN(p.sched.Len())
	}
	return min(sort.SearchFloat64s(p.stepCDF, rng.Float64()), len(p.stepCDF)-1)
}

// maxInputFrequencies bounds Config.InputFrequencies.
const maxInputFrequencies = 32

// DefaultInputMaxFrequency is the default Config.InputMaxFrequency.
const DefaultInputMaxFrequency = 2.0

// maxCorrector bounds Config.Corrector.
const maxCorrector = 100

// DefaultCorrectorSNR is the default Config.CorrectorSNR: r = 0.16, the
// default of Song et al.'s predictor–corrector code (score_sde).
const DefaultCorrectorSNR = 0.16

// Coupling selects how the temperature enters the noise network ε_θ.
type Coupling int

const (
	// CouplingEmbedded (the default, the D-SPIB reference) adds a
	// projection of the temperature embedding to every hidden layer's
	// pre-activation: the network's dependence on T is whatever the
	// training temperatures teach it.
	CouplingEmbedded Coupling = iota
	// CouplingLinear builds the thermodynamics in: the hidden layers see
	// only the step, and the output layer has two heads A and B combined as
	//
	//	ε_θ(z, i, T) = r^(2a−1) · [A(z, i) + (r − 1)·B(z, i)],  r = T/T_ref.
	//
	// Why: the exact noise prediction is ε* = −√(1−ᾱ_i) σ_T² ∇ln p_i(z; T)
	// = √(1−ᾱ_i) σ_T² ∇F_i(z; T)/kT, with F_i the free energy of the
	// noised latent. To first order in T every free energy is
	// F = U − T·S with U and S independent of T (zero heat capacity; the
	// van 't Hoff form of a population ratio), which gives the form above
	// at every noise level when the noise exponent a = ½ (σ_T² = r: the
	// noised latent is then itself a Boltzmann variable), and at small
	// noise for any a. Between and beyond the training temperatures the
	// prior then interpolates and extrapolates each free energy linearly
	// in T instead of freely.
	//
	// With Config.Experts = K > 1 the head is a mixture of K such forms
	// with weights softmax_k(S_k(z, i) − E_k(z, i)·T_ref/T), logits affine
	// in 1/T: the Boltzmann average over the basins of the posterior of
	// the clean latent, which one linear form cannot represent where the
	// noised latent lies between metastable states (see thermoHead).
	CouplingLinear
	// CouplingEmbeddedLinear is CouplingLinear with the temperature
	// embedding added to the hidden layers as in CouplingEmbedded: the
	// linear form plus a learned correction.
	CouplingEmbeddedLinear
)

// String returns the coupling's name, as the CLI flags spell it.
func (c Coupling) String() string {
	switch c {
	case CouplingEmbedded:
		return "embedded"
	case CouplingLinear:
		return "linear"
	case CouplingEmbeddedLinear:
		return "embedded+linear"
	}
	return fmt.Sprintf("Coupling(%d)", int(c))
}

// ParseCoupling returns the coupling named s (as String spells it).
func ParseCoupling(s string) (Coupling, error) {
	return parseName("coupling", s, CouplingEmbedded, CouplingLinear, CouplingEmbeddedLinear)
}

// parseName returns the value of vals whose String is s, or an error
// naming what (a setting) and the valid names.
func parseName[T interface {
	~int
	String() string
}](what, s string, vals ...T) (T, error) {
	names := make([]string, len(vals))
	for i, v := range vals {
		if s == v.String() {
			return v, nil
		}
		names[i] = v.String()
	}
	return 0, fmt.Errorf("diffusion: %s %q, want one of %s", what, s, strings.Join(names, ", "))
}

// embedsTemp reports whether the hidden layers see the temperature.
func (c Coupling) embedsTemp() bool { return c != CouplingLinear }

// linearHead reports whether the output has the two heads of CouplingLinear.
func (c Coupling) linearHead() bool { return c != CouplingEmbedded }

// defaultHidden are the reference hidden widths of the noise network.
var defaultHidden = []int{16, 64, 64, 64, 64, 16}

// setDefaults fills zero fields and validates every field.
func (c *Config) setDefaults() error {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Dim, 2)
	def(&c.Steps, DefaultSteps)
	if c.Process == VP {
		deff(&c.BetaMin, DefaultVPBetaMin)
		deff(&c.BetaMax, DefaultVPBetaMax)
	} else {
		deff(&c.BetaMin, DefaultBetaMin)
		deff(&c.BetaMax, DefaultBetaMax)
	}
	deff(&c.Exponent, 1)
	def(&c.SmoothFrequencies, 3)
	def(&c.FourierDim, 32)
	deff(&c.FourierScale, 100)
	def(&c.Replicas, 16)
	if c.Coupling.linearHead() {
		def(&c.Experts, 1)
	}
	if c.Corrector > 0 {
		deff(&c.CorrectorSNR, DefaultCorrectorSNR)
	}
	if c.InputFrequencies > 0 {
		deff(&c.InputMaxFrequency, DefaultInputMaxFrequency)
	}
	if len(c.Hidden) == 0 {
		c.Hidden = append([]int(nil), defaultHidden...)
	} else {
		c.Hidden = append([]int(nil), c.Hidden...)
	}
	finitePos := func(v float64) bool { return v > 0 && !math.IsInf(v, 1) }
	switch {
	case c.Process != DDPM && c.Process != VP:
		return fmt.Errorf("diffusion: Config.Process = %d, want DDPM or VP", int(c.Process))
	case c.Dim < 1:
		return fmt.Errorf("diffusion: Config.Dim = %d, want ≥ 1", c.Dim)
	case math.IsNaN(c.Exponent) || math.IsInf(c.Exponent, 0):
		return fmt.Errorf("diffusion: Config.Exponent = %g, want finite (> 0, or < 0 for an explicit a = 0)", c.Exponent)
	case !finitePos(c.KTRef):
		return fmt.Errorf("diffusion: Config.KTRef = %g, want a finite temperature > 0", c.KTRef)
	case c.Embedding != Smooth && c.Embedding != Fourier:
		return fmt.Errorf("diffusion: Config.Embedding = %d, want Smooth or Fourier", int(c.Embedding))
	case c.SmoothFrequencies < 1 || c.SmoothFrequencies > 30:
		return fmt.Errorf("diffusion: Config.SmoothFrequencies = %d, want in [1, 30]", c.SmoothFrequencies)
	case c.FourierDim < 2 || c.FourierDim%2 != 0:
		return fmt.Errorf("diffusion: Config.FourierDim = %d, want even and ≥ 2", c.FourierDim)
	case !finitePos(c.FourierScale):
		return fmt.Errorf("diffusion: Config.FourierScale = %g, want finite and > 0", c.FourierScale)
	case c.Act != SiLU && c.Act != ReLU:
		return fmt.Errorf("diffusion: Config.Act = %d, want SiLU or ReLU", int(c.Act))
	case c.Replicas < 1:
		return fmt.Errorf("diffusion: Config.Replicas = %d, want ≥ 1", c.Replicas)
	case c.Sampler != Ancestral && c.Sampler != ProbabilityFlow:
		return fmt.Errorf("diffusion: Config.Sampler = %d, want Ancestral or ProbabilityFlow", int(c.Sampler))
	case c.LatentScale != 0 && !finitePos(c.LatentScale):
		return fmt.Errorf("diffusion: Config.LatentScale = %g, want finite and > 0 (0 means 1)", c.LatentScale)
	case c.Coupling != CouplingEmbedded && c.Coupling != CouplingLinear && c.Coupling != CouplingEmbeddedLinear:
		return fmt.Errorf("diffusion: Config.Coupling = %d, want CouplingEmbedded, CouplingLinear or CouplingEmbeddedLinear", int(c.Coupling))
	case c.Experts < 0 || c.Experts > maxExperts:
		return fmt.Errorf("diffusion: Config.Experts = %d, want in [1, %d] (0: 1)", c.Experts, maxExperts)
	case c.Experts > 1 && !c.Coupling.linearHead():
		return fmt.Errorf("diffusion: Config.Experts = %d needs a linear Coupling, have %v", c.Experts, c.Coupling)
	case c.StepSampling != StepsUniform && c.StepSampling != StepsELBO:
		return fmt.Errorf("diffusion: Config.StepSampling = %d, want StepsUniform or StepsELBO", int(c.StepSampling))
	case c.InputFrequencies < 0 || c.InputFrequencies > maxInputFrequencies:
		return fmt.Errorf("diffusion: Config.InputFrequencies = %d, want in [0, %d]", c.InputFrequencies, maxInputFrequencies)
	case c.InputFrequencies == 0 && c.InputMaxFrequency != 0:
		return fmt.Errorf("diffusion: Config.InputMaxFrequency = %g without input features (Config.InputFrequencies = 0)", c.InputMaxFrequency)
	case c.InputFrequencies == 0 && c.InputGated:
		return fmt.Errorf("diffusion: Config.InputGated without input features (Config.InputFrequencies = 0)")
	case c.InputFrequencies > 0 && !finitePos(c.InputMaxFrequency):
		return fmt.Errorf("diffusion: Config.InputMaxFrequency = %g, want finite and > 0 (0 means %g)", c.InputMaxFrequency, DefaultInputMaxFrequency)
	case c.Corrector < 0 || c.Corrector > maxCorrector:
		return fmt.Errorf("diffusion: Config.Corrector = %d, want in [0, %d]", c.Corrector, maxCorrector)
	case c.Corrector > 0 && c.Sampler != Ancestral:
		return fmt.Errorf("diffusion: Config.Corrector = %d needs the Ancestral sampler, have %v", c.Corrector, c.Sampler)
	case c.Corrector == 0 && c.CorrectorSNR != 0:
		return fmt.Errorf("diffusion: Config.CorrectorSNR = %g without corrector steps (Config.Corrector = 0)", c.CorrectorSNR)
	case c.Corrector > 0 && !finitePos(c.CorrectorSNR):
		return fmt.Errorf("diffusion: Config.CorrectorSNR = %g, want finite and > 0 (0 means %g)", c.CorrectorSNR, DefaultCorrectorSNR)
	case c.SampleSteps < 0 || c.SampleSteps > c.Steps:
		return fmt.Errorf("diffusion: Config.SampleSteps = %d, want in [1, Steps = %d] (0: Steps)", c.SampleSteps, c.Steps)
	}
	for i, w := range c.Hidden {
		if w < 1 {
			return fmt.Errorf("diffusion: Config.Hidden[%d] = %d, want ≥ 1", i, w)
		}
	}
	if _, err := c.schedule(); err != nil {
		return fmt.Errorf("%w (Config.Steps/BetaMin/BetaMax)", err)
	}
	return nil
}

// Validate returns c with defaults filled in, or an error naming the first
// invalid field (what New checks).
func (c Config) Validate() (Config, error) {
	err := c.setDefaults()
	return c, err
}

// exponent is the effective a of a validated Config: a negative Exponent
// is an explicit a = 0 (σ_T = 1 at every temperature, so temperature enters
// only through the network's embedding), as a negative spib.Config.Beta is
// an explicit β = 0.
func (c *Config) exponent() float64 { return max(c.Exponent, 0) }

// inputWidth is the width of the noise network's input: the latent and its
// sinusoidal features.
func (c *Config) inputWidth() int { return c.Dim * (1 + 2*c.InputFrequencies) }

// latentScale is the effective c of LatentScale (1 for 0).
func (c *Config) latentScale() float64 {
	if c.LatentScale == 0 {
		return 1
	}
	return c.LatentScale
}

// schedule builds the configured noise schedule.
func (c *Config) schedule() (Schedule, error) {
	if c.Process == VP {
		return NewVPSDE(c.Steps, c.BetaMin, c.BetaMax)
	}
	return NewLinear(c.Steps, c.BetaMin, c.BetaMax)
}

// layer is one affine layer of the noise network. Hidden layers compute
//
//	h' = act(h·Wᵀ + b + e·Pᵀ) (+ h if the widths of h and h' agree),
//
// where e = [e_step(i) | e_temp(T)] is the concatenated embedding, so e·Pᵀ
// is exactly the sum of a Linear projection of the step embedding and one
// of the temperature embedding (the bias of both is b). The output layer
// has no P.
type layer struct {
	W, B     *ad.Param // Out×In, 1×Out
	P        *ad.Param // Out×2e (hidden layers only)
	residual bool
}

// Prior is a temperature-conditioned diffusion prior on a d-dimensional
// latent: a variance-preserving noising process (the discrete DDPM
// schedule, or the VP-SDE observed on a grid) and a noise network
// ε_θ(z_i, i, T). It follows docs/method.md §3 and the D-SPIB paper (John, Qiu,
// Herron & Tiwary, arXiv:2510.09784), with DDPM training and ancestral
// sampling of Ho, Jain & Abbeel (NeurIPS 2020) and the temperature-scaled
// noise of thermodynamic maps (Herron et al., PNAS 2024).
//
// What the network predicts: for a clean latent z_0 at temperature T the
// noised latent is z_i = √ᾱ_i z_0 + √(1−ᾱ_i) ε with ε ~ N(0, σ_T² I),
// σ_T = (T/T_ref)^a, and ε_θ(z_i, i, T) is trained to predict this ε
// itself, in latent units (not ε/σ_T). Loss and the sampler of Generate
// both use that convention.
//
// A Prior's parameters are changed only by training (Fit, or an optimiser
// on Params after Loss); Generate and Sample are safe for concurrent use
// when no training runs. Loss reuses scratch buffers owned by the Prior, so
// it must not be called concurrently on one Prior.
type Prior struct {
	cfg   Config
	sched Schedule
	emb   *embedder
	// sampleSched is the schedule the samplers run on: sched, or its
	// respacing to Config.SampleSteps steps.
	sampleSched *respaced
	// inFreqs are the frequencies f_j of the input features
	// (Config.InputFrequencies), empty for none.
	inFreqs []float64
	// stepCDF is the cumulative distribution of Loss's steps
	// (Config.StepSampling), nil for the uniform draw.
	stepCDF []float64
	layers  []layer // hidden layers then the output layer
	params  ad.ParamSet
	prec    ad.Precision

	scratch lossScratch
}

// lossScratch holds the constants of one Loss call; the tape aliases them
// until Backward.
type lossScratch struct {
	w     []float64 // weight per replicated row
	sqab  []float64 // √ᾱ_i per replicated row
	noise []float64 // √(1−ᾱ_i)·ε, rows×d
	eps   []float64 // target ε, rows×d
	coef  []float64 // loss weight per replicated row
	keys  []int     // per replicated row: step i (and index of T in temps)
	hf    []float64 // per replicated row: the head's factors (linear couplings)
	head  *thermoHead
	estep []float64 // N×e step embeddings
	temps []float64 // distinct temperatures of the batch
	etemp []float64 // their embeddings, len(temps)×e
	op    *ad.CondMLP
	fl    []ad.FusedLayer
}

// New returns an untrained prior with PyTorch-style initialisation
// (U(±1/√fan_in), see ad.NewLinear) and, for the Fourier embedding, fixed
// random frequencies, all drawn from rng.
func New(cfg Config, rng *rand.Rand) (*Prior, error) {
	if rng == nil {
		return nil, fmt.Errorf("diffusion: New: rng is nil")
	}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	sched, _ := cfg.schedule()
	p := &Prior{cfg: cfg, sched: sched, sampleSched: respace(sched, cfg.SampleSteps), stepCDF: stepCDF(cfg.StepSampling, sched)}
	if cfg.Embedding == Fourier {
		p.emb = newFourierEmbedder(cfg.Steps, cfg.FourierDim, cfg.FourierScale, rng)
	} else {
		p.emb = newSmoothEmbedder(cfg.Steps, cfg.SmoothFrequencies)
	}
	e2 := p.embDim()
	for j := range cfg.InputFrequencies {
		p.inFreqs = append(p.inFreqs, cfg.InputMaxFrequency*math.Ldexp(1, -j))
	}
	in := cfg.inputWidth()
	for k, w := range cfg.Hidden {
		l := ad.NewLinear(fmt.Sprintf("eps.%d", k), in, w, rng)
		cond := ad.NewLinear(fmt.Sprintf("eps.%d.cond", k), e2, w, rng)
		cond.W.Name = fmt.Sprintf("eps.%d.P", k)
		// Identity residuals between hidden layers of equal width (the
		// 64→64 layers of the reference widths).
		p.layers = append(p.layers, layer{W: l.W, B: l.B, P: cond.W, residual: k > 0 && in == w})
		p.params = append(p.params, l.W, l.B, cond.W)
		in = w
	}
	nOut := cfg.Dim
	if cfg.Coupling.linearHead() {
		nOut = p.newHead().width()
	}
	out := ad.NewLinear("eps.out", in, nOut, rng)
	p.layers = append(p.layers, layer{W: out.W, B: out.B})
	p.params = append(p.params, out.W, out.B)
	return p, nil
}

// newHead returns an output head of the linear couplings for p.
func (p *Prior) newHead() *thermoHead { return newThermoHead(p.cfg.Dim, p.cfg.Experts) }

// Config returns the prior's configuration with defaults filled in.
func (p *Prior) Config() Config {
	c := p.cfg
	c.Hidden = append([]int(nil), c.Hidden...)
	return c
}

// Schedule returns the noise schedule.
func (p *Prior) Schedule() Schedule { return p.sched }

// Params returns the noise network's trainable parameters (a Prior is an
// ad.Module).
func (p *Prior) Params() []*ad.Param { return p.params }

// Sigma returns σ_T = (kT/kT_ref)^a, the noise standard deviation at
// temperature kT [ε] (dimensionless), or an error if kT is not finite and > 0.
func (p *Prior) Sigma(kT float64) (float64, error) {
	if !(kT > 0) || math.IsInf(kT, 1) {
		return 0, fmt.Errorf("diffusion: temperature kT = %g, want finite and > 0", kT)
	}
	return math.Pow(kT/p.cfg.KTRef, p.cfg.exponent()), nil
}

// embDim returns the length of the concatenated embedding [e_step | e_temp]
// (only e_step when the coupling does not embed the temperature).
func (p *Prior) embDim() int { return p.nTables() * p.emb.dim() }

// nTables is the number of embedding tables (key slots) of the hidden
// layers: the step's, and the temperature's unless Coupling is Linear.
func (p *Prior) nTables() int {
	if p.cfg.Coupling.embedsTemp() {
		return 2
	}
	return 1
}

// Loss records the diffusion loss of docs/method.md §3 on the caller's tape and
// returns it as a 1×1 node:
//
//	L_diff = ½ · mean over B rows × M replicas × d of (ε_θ(z_i, i, T) − ε)²,
//
// where every row of z (B×d, an ad node that may carry gradient, e.g. a
// reparameterised encoder output; it is NOT detached, so Backward also
// trains whatever produced z) is replicated M = Config.Replicas times, each
// replica with its own step i ~ U{0, …, N−1} and noise ε ~ N(0, σ_T² I),
// σ_T from kT[row] (the row's temperature [ε]), and z_i = √ᾱ_i z + √(1−ᾱ_i) ε.
// The draws come from rng, row by row.
//
// Loss reuses buffers owned by p that the tape aliases: call Backward (or
// discard the tape) before the next Loss call on p, and do not call Loss
// concurrently on one Prior. It returns an error if the shapes do not
// match or a temperature is not > 0 (naming the row).
func (p *Prior) Loss(t *ad.Tape, z *ad.Node, kT []float64, rng *rand.Rand) (*ad.Node, error) {
	return p.LossWeighted(t, z, kT, nil, rng)
}

// LossWeighted is Loss with per-row statistical weights w (len B,
// non-negative, positive sum; nil means equal weights) for biased data:
//
//	L_diff = ½ · Σ_b w_b Σ_m Σ_k (ε_θ − ε)²_{bmk} / (M · d · Σ_b w_b).
//
// With equal weights it equals Loss for the same draws.
func (p *Prior) LossWeighted(t *ad.Tape, z *ad.Node, kT, w []float64, rng *rand.Rand) (*ad.Node, error) {
	d := p.cfg.Dim
	if z.Cols != d {
		return nil, fmt.Errorf("diffusion: Loss: z has %d columns, prior has latent dimension %d", z.Cols, d)
	}
	if len(kT) != z.Rows {
		return nil, fmt.Errorf("diffusion: Loss: len(kT) = %d, want one per row of z (%d)", len(kT), z.Rows)
	}
	if z.Rows == 0 {
		return nil, fmt.Errorf("diffusion: Loss: z has no rows")
	}
	if rng == nil {
		return nil, fmt.Errorf("diffusion: Loss: rng is nil")
	}
	for r, v := range kT {
		if !(v > 0) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("diffusion: Loss: kT[%d] = %g, want finite and > 0", r, v)
		}
	}
	M := p.cfg.Replicas
	R := z.Rows * M
	s := &p.scratch
	if w != nil {
		if len(w) != z.Rows {
			return nil, fmt.Errorf("diffusion: Loss: len(w) = %d, want one weight per row of z (%d)", len(w), z.Rows)
		}
		sum := 0.0
		for r, v := range w {
			if !(v >= 0) || math.IsInf(v, 1) {
				return nil, fmt.Errorf("diffusion: Loss: w[%d] = %g, want finite and ≥ 0", r, v)
			}
			sum += v
		}
		if !(sum > 0) {
			return nil, fmt.Errorf("diffusion: Loss: weights sum to %g, want > 0", sum)
		}
		s.w = growF(s.w, R)
		for r := range R {
			s.w[r] = w[r/M]
		}
	}
	ed := p.emb.dim()
	s.sqab = growF(s.sqab, R)
	s.noise = growF(s.noise, R*d)
	s.eps = growF(s.eps, R*d)
	s.coef = growF(s.coef, R)
	nk := p.nTables()
	if cap(s.keys) < nk*R {
		s.keys = make([]int, nk*R)
	}
	s.keys = s.keys[:nk*R]
	lin := p.cfg.Coupling.linearHead()
	if lin {
		s.hf = growF(s.hf, 3*R)
	}
	N := p.sched.Len()
	if len(s.estep) != N*ed {
		// The step embeddings take only N values: one table per Prior.
		s.estep = growF(s.estep, N*ed)
		for i := range N {
			p.emb.step(s.estep[i*ed:(i+1)*ed], i)
		}
	}
	// The distinct temperatures of the batch, each embedded once.
	s.temps = s.temps[:0]
	s.etemp = s.etemp[:0]
	tr := p.cfg.KTRef
	for b, T := range kT {
		j := 0
		for j < len(s.temps) && s.temps[j] != T {
			j++
		}
		if j == len(s.temps) {
			s.temps = append(s.temps, T)
			if n := len(s.etemp) + ed; cap(s.etemp) >= n {
				s.etemp = s.etemp[:n]
			} else {
				s.etemp = append(s.etemp, make([]float64, ed)...)
			}
			p.emb.temp(s.etemp[j*ed:], T/tr)
		}
		sig := math.Pow(T/tr, p.cfg.exponent())
		var hf [3]float64
		if lin {
			factors(hf[:], T/tr, p.cfg.exponent())
		}
		for m := range M {
			r := b*M + m
			i := p.drawStep(rng)
			ab := p.sched.AlphaBar(i)
			s.sqab[r] = math.Sqrt(ab)
			sn := math.Sqrt(1 - ab)
			for k := range d {
				e := sig * rng.NormFloat64()
				s.eps[r*d+k] = e
				s.noise[r*d+k] = sn * e
			}
			s.keys[nk*r] = i
			if nk == 2 {
				s.keys[2*r+1] = j
			}
			if lin {
				copy(s.hf[3*r:3*r+3], hf[:])
			}
		}
	}
	// ½·Σ_r c_r ‖ε_θ − ε‖² with c_r = 1/(R·d), or w_r/(d·Σ w) (weighted).
	if w == nil {
		for r := range R {
			s.coef[r] = 1 / float64(R*d)
		}
	} else {
		sum := 0.0
		for _, v := range s.w[:R] {
			sum += v
		}
		for r, v := range s.w[:R] {
			s.coef[r] = v / (float64(d) * sum)
		}
	}
	zr := z
	if c := p.cfg.latentScale(); c != 1 {
		zr = t.Scale(zr, 1/c)
	}
	if M > 1 {
		zr = t.RepeatRows(zr, M)
	}
	zi := t.Add(t.ScaleRows(zr, s.sqab), t.Const(R, d, s.noise))
	return p.network(t, p.inputs(t, zi, s.sqab[:R]), N, len(s.temps)), nil
}

// inputs returns the noise network's input for the noised latents zi
// (R×d): zi itself, followed with Config.InputFrequencies by the features
// [sin(2π f_j u_k)… | cos(2π f_j u_k)…] of each coordinate k in turn (the
// layout of inputFeatures), scaled per row by sqab (√ᾱ of the row's step)
// if Config.InputGated.
func (p *Prior) inputs(t *ad.Tape, zi *ad.Node, sqab []float64) *ad.Node {
	x := zi
	if len(p.inFreqs) == 0 {
		return x
	}
	for k := range zi.Cols {
		f := t.Fourier(t.SliceCols(zi, k, k+1), p.inFreqs)
		if p.cfg.InputGated {
			f = t.ScaleRows(f, sqab)
		}
		x = t.ConcatCols(x, f)
	}
	return x
}

// inputFeatures writes the network inputs of the n×d rows z at step i into
// dst (n × Config.inputWidth): what inputs records on a tape, without one.
func (p *Prior) inputFeatures(dst, z []float64, n, i int) {
	d, F := p.cfg.Dim, len(p.inFreqs)
	g := 1.0
	if p.cfg.InputGated {
		g = math.Sqrt(p.sched.AlphaBar(i))
	}
	w := d * (1 + 2*F)
	for r := range n {
		row := dst[r*w : (r+1)*w]
		copy(row, z[r*d:(r+1)*d])
		for k := range d {
			f := row[d+2*F*k : d+2*F*(k+1)]
			for j, fj := range p.inFreqs {
				sn, cs := math.Sincos(2 * math.Pi * fj * z[r*d+k])
				f[j], f[F+j] = g*sn, g*cs
			}
		}
	}
}

// network records the fused noise network (ad.CondMLP) and its loss
// against s.eps on t for the noised latents zi, with the step and
// temperature keys, weights and embedding tables of the scratch. In hidden
// layer k the embedding's projection e·P_kᵀ + b_k is split into a table of
// N step rows e_step(i)·P_stepᵀ + b_k and one of the batch's distinct
// temperatures e_temp(T)·P_tempᵀ, recorded on the tape so their gradients
// reach P_k and b_k; each noised row adds one row of each.
func (p *Prior) network(t *ad.Tape, zi *ad.Node, N, nT int) *ad.Node {
	s := &p.scratch
	ed := p.emb.dim()
	last := len(p.layers) - 1
	if s.op == nil {
		s.op = &ad.CondMLP{Act: p.cfg.Act.ad()}
		for _, l := range p.layers[:last] {
			s.op.Residual = append(s.op.Residual, l.residual)
		}
		s.fl = make([]ad.FusedLayer, len(p.layers))
		for k := range s.fl[:last] {
			s.fl[k].Tables = make([]*ad.Node, p.nTables())
		}
	}
	s.op.Precision = p.prec
	R := zi.Rows
	s.op.Head = nil
	if p.cfg.Coupling.linearHead() {
		if s.head == nil {
			s.head = p.newHead()
		}
		s.head.f = s.hf[:3*R]
		s.op.Head = s.head
	}
	nk := p.nTables()
	estep := t.Const(N, ed, s.estep)
	var etemp *ad.Node
	if nk == 2 {
		etemp = t.Const(nT, ed, s.etemp[:nT*ed])
	}
	for k, l := range p.layers[:last] {
		P := t.Param(l.P)
		s.fl[k].W = t.Param(l.W)
		if nk == 1 {
			s.fl[k].Tables[0] = t.Affine(estep, P, t.Param(l.B))
			continue
		}
		s.fl[k].Tables[0] = t.Affine(estep, t.SliceCols(P, 0, ed), t.Param(l.B))
		s.fl[k].Tables[1] = t.Affine(etemp, t.SliceCols(P, ed, 2*ed), nil)
	}
	o := p.layers[last]
	s.fl[last] = ad.FusedLayer{W: t.Param(o.W), B: t.Param(o.B)}
	return s.op.Loss(t, zi, s.fl, s.keys[:nk*R], nk, s.eps[:R*p.cfg.Dim], s.coef[:R])
}

// SetPrecision selects the arithmetic of the noise network in Loss, Fit and
// Generate (default ad.Float32, the zero value; ad.Float64 is the
// reference). Parameters, optimiser state and
// checkpoints stay float64 whatever the choice. Not safe to call while
// Loss or Generate run.
func (p *Prior) SetPrecision(prec ad.Precision) { p.prec = prec }

// Precision returns the arithmetic set by SetPrecision.
func (p *Prior) Precision() ad.Precision { return p.prec }

func growF(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}
