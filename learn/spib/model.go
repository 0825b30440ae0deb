package spib

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/dspib/dspib/learn/ad"
)

// Model is a SPIB network (Wang & Tiwary, J. Chem. Phys. 154, 134111, 2021):
// a stochastic encoder q(z|x) = N(z; z_mean(x), diag e^{logvar}), a decoder
// p(y|z) over K metastable states and a VampPrior r(z) (Tomczak & Welling,
// AISTATS 2018) over one representative input per state.
//
// Inputs x are standardised features (see Standardizer); methods that take
// original features say so. All network maths runs on an ad.Tape so that the
// D-SPIB phase 2 can reuse the encoder and decoder.
type Model struct {
	cfg Config // validated
	// D is the number of input features, K the number of states.
	D, K int
	// Std standardises original features before they enter the encoder.
	Std Standardizer

	enc1, enc2 *ad.Linear // hidden layers (Nonlinear only)
	encMean    *ad.Linear // → z_mean
	encLogVar  *ad.Linear // per-sample log-variance head, or nil
	logVar     *ad.Param  // shared log-variance (1×d), or nil
	dec1, dec2 *ad.Linear
	decOut     *ad.Linear // n2 → K
	theta      *ad.Param  // 1×K prior mixture logits, w = softmax(θ)

	// RepInputs holds the K representative inputs u_k, K×D standardised.
	RepInputs []float64
}

// NewModel returns a freshly initialised model for D features and K states
// (PyTorch-style U(±1/√fan_in) weights from rng, shared log-variance 0,
// prior logits 0). cfg must be validated. Representative inputs are zero
// until SetRepresentatives is called.
func NewModel(cfg Config, D, K int, std Standardizer, rng *rand.Rand) *Model {
	d, n1, n2 := cfg.LatentDim, cfg.Hidden1, cfg.Hidden2
	m := &Model{cfg: cfg, D: D, K: K, Std: std}
	in := D
	if cfg.Encoder == Nonlinear {
		m.enc1 = ad.NewLinear("enc.0", D, n1, rng)
		m.enc2 = ad.NewLinear("enc.1", n1, n1, rng)
		in = n1
	}
	m.encMean = ad.NewLinear("enc.mean", in, d, rng)
	if cfg.LogVar == PerSampleLogVar {
		m.encLogVar = ad.NewLinear("enc.logvar", in, d, rng)
	} else {
		m.logVar = ad.NewParam("enc.logvar", 1, d)
	}
	m.dec1 = ad.NewLinear("dec.0", d, n2, rng)
	m.dec2 = ad.NewLinear("dec.1", n2, n2, rng)
	m.decOut = ad.NewLinear("dec.out", n2, K, rng)
	m.theta = ad.NewParam("prior.theta", 1, K)
	m.RepInputs = make([]float64, K*D)
	return m
}

// Config returns the validated configuration the model was built with.
func (m *Model) Config() Config { return m.cfg }

// LatentDim returns d.
func (m *Model) LatentDim() int { return m.cfg.LatentDim }

// EncoderParams returns the encoder's parameters (including the shared
// log-variance or the log-variance head).
func (m *Model) EncoderParams() ad.ParamSet {
	var s ad.ParamSet
	if m.enc1 != nil {
		s = append(s, m.enc1.Params()...)
		s = append(s, m.enc2.Params()...)
	}
	s = append(s, m.encMean.Params()...)
	if m.encLogVar != nil {
		s = append(s, m.encLogVar.Params()...)
	} else {
		s = append(s, m.logVar)
	}
	return s
}

// DecoderParams returns the decoder's parameters.
func (m *Model) DecoderParams() ad.ParamSet {
	return ad.Collect(m.dec1, m.dec2, m.decOut)
}

// PriorParams returns the VampPrior mixture logits θ (1×K).
func (m *Model) PriorParams() ad.ParamSet { return ad.ParamSet{m.theta} }

// Params returns every trainable parameter: encoder, decoder, prior.
func (m *Model) Params() ad.ParamSet {
	s := m.EncoderParams()
	s = append(s, m.DecoderParams()...)
	return append(s, m.theta)
}

// EncodeTape records the encoder on t for the B×D standardised inputs x and
// returns z_mean (B×d) and the log-variance: B×d for the per-sample head,
// or the shared 1×d row (ad ops broadcast it).
func (m *Model) EncodeTape(t *ad.Tape, x *ad.Node) (mean, logvar *ad.Node) {
	h := x
	if m.enc1 != nil {
		h = m.enc1.ForwardAct(t, h, ad.ActReLU)
		h = m.enc2.ForwardAct(t, h, ad.ActReLU)
	}
	mean = m.encMean.Forward(t, h)
	if m.encLogVar != nil {
		// −10·sigmoid(Linear(h)), as the original SPIB code: logvar ∈ (−10, 0).
		logvar = t.Scale(m.encLogVar.ForwardAct(t, h, ad.ActSigmoid), -10)
	} else {
		logvar = t.Param(m.logVar)
	}
	return mean, logvar
}

// DecodeTape records the decoder on t for latents z (B×d) and returns the
// B×K log-probabilities log p(y|z) (LogSoftmax output).
func (m *Model) DecodeTape(t *ad.Tape, z *ad.Node) *ad.Node {
	h := m.dec1.ForwardAct(t, z, ad.ActReLU)
	h = m.dec2.ForwardAct(t, h, ad.ActReLU)
	return t.LogSoftmax(m.decOut.Forward(t, h))
}

// decodeLogitsTape is DecodeTape without the LogSoftmax (same argmax).
func (m *Model) decodeLogitsTape(t *ad.Tape, z *ad.Node) *ad.Node {
	h := m.dec1.ForwardAct(t, z, ad.ActReLU)
	h = m.dec2.ForwardAct(t, h, ad.ActReLU)
	return m.decOut.Forward(t, h)
}

// CrossEntropyTape records the (weighted) cross-entropy
// −Σ_i w_i log p(labels_i | z_i) / Σ_i w_i (w nil: plain mean) as a 1×1 node.
func (m *Model) CrossEntropyTape(t *ad.Tape, z *ad.Node, labels []int, w []float64) *ad.Node {
	return t.NLL(m.DecodeTape(t, z), labels, w)
}

// PriorLogPDFTape records log r(z) (B×1) of the VampPrior
// r(z) = Σ_k softmax(θ)_k N(z; z_mean(u_k), diag e^{logvar(u_k)}), with the
// representative inputs u_k passed through the encoder on the tape so that
// the encoder receives gradient through the prior.
func (m *Model) PriorLogPDFTape(t *ad.Tape, z *ad.Node) *ad.Node {
	u := t.Const(m.K, m.D, m.RepInputs)
	mu, lv := m.EncodeTape(t, u)
	return t.MixtureLogPDF(z, mu, lv, t.Param(m.theta))
}

// LossTape records the SPIB loss of one batch (docs/method.md §2) with a single-sample
// Monte Carlo estimate of the KL term:
//
//	L = CE + β·KL,  CE = ⟨−log p(y_{t+Δ}|z)⟩_w,  KL = ⟨log q(z|x_t) − log r(z)⟩_w,
//
// z = z_mean + e^{logvar/2}·ε, where ⟨·⟩_w is the weighted mean
// Σ_i w_i(·)_i / Σ_i w_i (plain mean for w nil). x is the B×D standardised
// batch, eps B×d standard normal draws, labels the B targets. Both Gaussian
// densities keep their −½·d·ln 2π constant, which cancels in the KL.
func (m *Model) LossTape(t *ad.Tape, x *ad.Node, eps []float64, labels []int, w []float64) (loss, ce, kl *ad.Node) {
	mean, lv := m.EncodeTape(t, x)
	z := t.Reparam(mean, lv, t.Const(x.Rows, m.cfg.LatentDim, eps))
	ce = m.CrossEntropyTape(t, z, labels, w)
	logq := t.GaussLogPDF(z, mean, lv)
	logr := m.PriorLogPDFTape(t, z)
	kl = t.WeightedMeanRows(t.Sub(logq, logr), w)
	loss = t.Add(ce, t.Scale(kl, m.cfg.beta()))
	return loss, ce, kl
}

// SetRepresentatives replaces the representative inputs (K×D standardised,
// copied) and resets the prior logits θ to 0 (uniform weights).
func (m *Model) SetRepresentatives(rep []float64) error {
	if len(rep) != m.K*m.D {
		return fmt.Errorf("spib: %d representative values, want K×D = %d×%d", len(rep), m.K, m.D)
	}
	copy(m.RepInputs, rep)
	clear(m.theta.Data)
	clear(m.theta.Grad)
	return nil
}

// keepStates shrinks the decoder output layer, θ and the representatives to
// the states listed in keep (old indices, increasing), keeping their values.
func (m *Model) keepStates(keep []int) {
	n2 := m.cfg.Hidden2
	out := &ad.Linear{In: n2, Out: len(keep),
		W: ad.NewParam("dec.out.W", len(keep), n2), B: ad.NewParam("dec.out.b", 1, len(keep))}
	rep := make([]float64, len(keep)*m.D)
	for i, k := range keep {
		copy(out.W.Data[i*n2:(i+1)*n2], m.decOut.W.Data[k*n2:(k+1)*n2])
		out.B.Data[i] = m.decOut.B.Data[k]
		copy(rep[i*m.D:(i+1)*m.D], m.RepInputs[k*m.D:(k+1)*m.D])
	}
	theta := ad.NewParam("prior.theta", 1, len(keep))
	for i, k := range keep {
		theta.Data[i] = m.theta.Data[k]
	}
	m.decOut = out
	m.K = len(keep)
	m.theta = theta
	m.RepInputs = rep
}

// argmax returns the index of the largest element (the first on ties).
func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Clone returns a deep copy of m (parameters, standardisation and
// representatives), e.g. to train phase 2 while keeping the phase-1 model.
func (m *Model) Clone() *Model {
	cp := func(l *ad.Linear) *ad.Linear {
		if l == nil {
			return nil
		}
		return &ad.Linear{In: l.In, Out: l.Out, W: cloneParam(l.W), B: cloneParam(l.B)}
	}
	c := *m
	c.enc1, c.enc2, c.encMean, c.encLogVar = cp(m.enc1), cp(m.enc2), cp(m.encMean), cp(m.encLogVar)
	c.dec1, c.dec2, c.decOut = cp(m.dec1), cp(m.dec2), cp(m.decOut)
	if m.logVar != nil {
		c.logVar = cloneParam(m.logVar)
	}
	c.theta = cloneParam(m.theta)
	c.RepInputs = slices.Clone(m.RepInputs)
	c.Std = Standardizer{Mean: slices.Clone(m.Std.Mean), Std: slices.Clone(m.Std.Std)}
	return &c
}

func cloneParam(p *ad.Param) *ad.Param {
	return &ad.Param{Name: p.Name, Rows: p.Rows, Cols: p.Cols, Data: slices.Clone(p.Data), Grad: make([]float64, len(p.Grad))}
}
