package ad

import (
	"math"
	"math/rand/v2"
)

// spibModel is the SPIB network of docs/method.md §2 at benchmark size: encoder
// D→16→16→2 (ReLU), one shared learnable log-variance per latent dimension,
// decoder 2→16→16→K (ReLU) + LogSoftmax, VampPrior over K representative
// inputs with weights softmax(θ).
type spibModel struct {
	enc, dec *MLP
	logvar   *Param // 1×d
	theta    *Param // 1×K
	ps       ParamSet
	opt      *Adam

	// one batch of data, fixed for the benchmark
	x, eps, reps []float64
	labels       []int
	B, D, K, d   int
	beta         float64
	tape         *Tape
}

func newSPIB(B, D, K int, seed uint64) *spibModel {
	const d = 2
	rng := rand.New(rand.NewPCG(seed, 0))
	m := &spibModel{
		enc:    NewMLP("enc", []int{D, 16, 16, d}, ActReLU, rng),
		dec:    NewMLP("dec", []int{d, 16, 16, K}, ActReLU, rng),
		logvar: NewParam("logvar", 1, d),
		theta:  NewParam("theta", 1, K),
		B:      B, D: D, K: K, d: d, beta: 1e-3,
		tape: NewTape(),
	}
	m.ps = Collect(m.enc, m.dec, ParamSet{m.logvar, m.theta})
	var err error
	if m.opt, err = NewAdam(m.ps, AdamConfig{}); err != nil {
		panic(err)
	}
	m.x, m.eps, m.reps = randSlice(rng, B*D), randSlice(rng, B*d), randSlice(rng, K*D)
	m.labels = make([]int, B)
	for i := range m.labels {
		m.labels[i] = rng.IntN(K)
	}
	return m
}

// forward records the SPIB loss L = NLL + β·mean(log q(z|x) − log r(z)).
func (m *spibModel) forward() *Node {
	t := m.tape
	t.Reset()
	lv := t.Param(m.logvar)
	mean := m.enc.Forward(t, t.Const(m.B, m.D, m.x))
	z := t.Reparam(mean, lv, t.Const(m.B, m.d, m.eps))
	logp := t.LogSoftmax(m.dec.Forward(t, z))
	nll := t.NLL(logp, m.labels, nil)
	muK := m.enc.Forward(t, t.Const(m.K, m.D, m.reps))
	logq := t.GaussLogPDF(z, mean, lv)
	logr := t.MixtureLogPDF(z, muK, lv, t.Param(m.theta))
	kl := t.WeightedMeanRows(t.Sub(logq, logr), nil)
	return t.Add(nll, t.Scale(kl, m.beta))
}

// step is one training step: forward, backward, Adam.
func (m *spibModel) step() float64 {
	m.ps.ZeroGrad()
	l := m.forward()
	m.tape.Backward(l)
	m.opt.Step()
	return l.Scalar()
}

// dspibModel is the phase-2 network of docs/method.md §3: the SPIB encoder/decoder plus
// the noise network ε_θ(z_i, i, T) on M = 16 replicas of every latent, hidden
// widths 16–64–64–64–64–16 (SiLU) with identity residuals on the 64→64 layers
// and, in every hidden layer, a projection of the [time | temperature]
// embedding (raw value + 4 sinusoids each, 18 features).
type dspibModel struct {
	*spibModel
	in    *Linear   // 2→16
	hid   []*Linear // 16→64, 64→64 ×3, 64→16
	out   *Linear   // 16→2
	proj  []*Param  // width×18 projection of the embedding, one per hidden layer
	M     int
	sqA   []float64 // per-row √ᾱ_i
	sq1mA []float64 // per-row √(1−ᾱ_i)
	emb   []float64 // (B·M)×18 fixed embedding input
	noise []float64 // (B·M)×d target noise
}

var embFreqs = []float64{0.5, 1, 2, 4}

func newDSPIB(B, D, K, M int, seed uint64) *dspibModel {
	m := &dspibModel{spibModel: newSPIB(B, D, K, seed), M: M}
	rng := rand.New(rand.NewPCG(seed, 1))
	widths := []int{16, 64, 64, 64, 64, 16}
	m.in = NewLinear("eps.in", 2, 16, rng)
	for i := 1; i < len(widths); i++ {
		m.hid = append(m.hid, NewLinear("eps.h"+string(rune('0'+i)), widths[i-1], widths[i], rng))
	}
	m.out = NewLinear("eps.out", 16, 2, rng)
	for i, w := range widths {
		p := NewLinear("eps.p"+string(rune('0'+i)), 18, w, rng).W
		m.proj = append(m.proj, p)
	}
	mods := []Module{m.enc, m.dec, ParamSet{m.logvar}, m.in, m.out}
	for _, l := range m.hid {
		mods = append(mods, l)
	}
	mods = append(mods, ParamSet(m.proj))
	m.ps = Collect(mods...)
	var err error
	if m.opt, err = NewAdam(m.ps, AdamConfig{}); err != nil {
		panic(err)
	}
	R := B * M
	m.sqA, m.sq1mA = make([]float64, R), make([]float64, R)
	m.emb = make([]float64, 0, R*18)
	for r := 0; r < R; r++ {
		s := rng.Float64()        // diffusion time i/N
		lt := 0.5 * rng.Float64() // log(T/T_ref)
		ab := math.Exp(-10 * s)
		m.sqA[r], m.sq1mA[r] = math.Sqrt(ab), math.Sqrt(1-ab)
		for _, v := range []float64{s, lt} {
			m.emb = append(m.emb, v)
			for _, f := range embFreqs {
				m.emb = append(m.emb, math.Sin(2*math.Pi*f*v))
			}
			for _, f := range embFreqs {
				m.emb = append(m.emb, math.Cos(2*math.Pi*f*v))
			}
		}
	}
	m.noise = randSlice(rng, R*2)
	return m
}

// forward records L = NLL + β·mean log q + β·½·mean (ε_θ − ε)².
func (m *dspibModel) forward() *Node {
	t := m.tape
	t.Reset()
	lv := t.Param(m.logvar)
	mean := m.enc.Forward(t, t.Const(m.B, m.D, m.x))
	z := t.Reparam(mean, lv, t.Const(m.B, m.d, m.eps))
	nll := t.NLL(t.LogSoftmax(m.dec.Forward(t, z)), m.labels, nil)
	logq := t.Mean(t.GaussLogPDF(z, mean, lv))

	R := m.B * m.M
	zr := t.RepeatRows(z, m.M)
	noise := t.Const(R, 2, m.noise)
	zi := t.Add(t.ScaleRows(zr, m.sqA), t.ScaleRows(noise, m.sq1mA))
	emb := t.Const(R, 18, m.emb)
	// Each hidden layer is SiLU(W h + b + P e), fused into one AffineAct2.
	h := t.AffineAct2(zi, t.Param(m.in.W), emb, t.Param(m.proj[0]), t.Param(m.in.B), ActSiLU)
	for i, l := range m.hid {
		a := t.AffineAct2(h, t.Param(l.W), emb, t.Param(m.proj[i+1]), t.Param(l.B), ActSiLU)
		if l.In == l.Out {
			a = t.Add(a, h)
		}
		h = a
	}
	pred := m.out.Forward(t, h)
	diff := t.Scale(t.MSE(pred, noise), 0.5)
	return t.Add(nll, t.Scale(t.Add(logq, diff), m.beta))
}

func (m *dspibModel) step() float64 {
	m.ps.ZeroGrad()
	l := m.forward()
	m.tape.Backward(l)
	m.opt.Step()
	return l.Scalar()
}
