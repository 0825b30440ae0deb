package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/dspib/dspib/internal/par"
	"github.com/dspib/dspib/internal/stream"
	"github.com/dspib/dspib/learn/ad"
)

// chunkRows is the number of samples one worker generates together. It is
// fixed (not derived from GOMAXPROCS) so that the split of the work, and
// hence every random stream, is the same on any machine.
const chunkRows = 64

// infer holds the buffers of one no-grad forward pass of ε_θ over a chunk:
// the sampler evaluates the network N times per sample and must neither
// build a tape nor allocate per step. The network runs through
// ad.CondMLPInfer (the fused kernels of the training loss, in the prior's
// precision) with the embedding's projection folded into each hidden
// layer's bias, once per chunk and step.
type infer struct {
	p    *Prior
	net  ad.CondMLPInfer
	emb  []float64   // [e_step | e_temp]
	bias [][]float64 // per hidden layer: b + P·emb
	eps  []float64   // chunkRows × d, the prediction
	out  []float64   // chunkRows × the head's width (linear couplings)
	head *thermoHead // the output head (linear couplings)
	hf   [3]float64  // its factors at the temperature of setTemp
	z    []float64   // chunkRows × d
	x    []float64   // chunkRows × the input width (input features), or nil
	prev []float64   // chunkRows × d, previous data prediction (ProbabilityFlow), corrector noise (Ancestral)
}

func (p *Prior) newInfer() *infer {
	f := &infer{p: p, emb: make([]float64, p.embDim()),
		eps: make([]float64, chunkRows*p.cfg.Dim), z: make([]float64, chunkRows*p.cfg.Dim),
		prev: make([]float64, chunkRows*p.cfg.Dim)}
	if p.cfg.Coupling.linearHead() {
		f.head = p.newHead()
		f.out = make([]float64, chunkRows*f.head.width())
	}
	if len(p.inFreqs) > 0 {
		f.x = make([]float64, chunkRows*p.cfg.inputWidth())
	}
	f.net = ad.CondMLPInfer{Act: p.cfg.Act.ad(), Precision: p.prec}
	ws := make([][]float64, len(p.layers))
	widths := []int{p.cfg.inputWidth()}
	for k, l := range p.layers {
		ws[k] = l.W.Data
		widths = append(widths, l.W.Rows)
		if k < len(p.layers)-1 {
			f.net.Residual = append(f.net.Residual, l.residual)
			f.bias = append(f.bias, make([]float64, l.W.Rows))
		}
	}
	f.net.SetWeights(ws, widths)
	last := len(p.layers) - 1
	f.net.SetBias(last, p.layers[last].B.Data)
	return f
}

// setTemp sets the temperature to the reduced temperature r = T/T_ref: its
// embedding, and the factors of the Linear head.
func (f *infer) setTemp(r float64) {
	c := f.p.cfg.Coupling
	if c.embedsTemp() {
		ed := f.p.emb.dim()
		f.p.emb.temp(f.emb[ed:], r)
	}
	if c.linearHead() {
		factors(f.hf[:], r, f.p.cfg.exponent())
	}
}

// forward writes ε_θ(z, i, T) for the n×d rows z into f.eps, using the
// temperature embedding set by setTemp. It computes what the training
// network computes, up to summation order (the embedding's projection is
// folded into the bias, once per chunk) and the precision.
func (f *infer) forward(z []float64, n, i int) {
	p := f.p
	ed := p.emb.dim()
	p.emb.step(f.emb[:ed], i)
	last := len(p.layers) - 1
	ne := len(f.emb)
	for k, l := range p.layers[:last] {
		// bias_k = b + P·emb, shared by the chunk (one step, one temperature).
		bk := f.bias[k]
		for o := range bk {
			s := l.B.Data[o]
			for j, e := range f.emb {
				s += l.P.Data[o*ne+j] * e
			}
			bk[o] = s
		}
		f.net.SetBias(k, bk)
	}
	x := z
	if len(p.inFreqs) > 0 {
		f.x = growF(f.x, n*p.cfg.inputWidth())
		p.inputFeatures(f.x, z, n, i)
		x = f.x
	}
	if f.out == nil {
		f.net.Forward(f.eps, x, n)
		return
	}
	// The linear couplings' head on every output row.
	d, w := p.cfg.Dim, f.head.width()
	f.out = growF(f.out, n*w)
	f.net.Forward(f.out, x, n)
	for r := range n {
		f.head.apply(f.hf[:], f.out[r*w:(r+1)*w], f.eps[r*d:(r+1)*d])
	}
}

// Sampler selects the reverse-time integrator of Generate.
type Sampler int

const (
	// Ancestral is DDPM ancestral sampling (Ho et al. 2020, Algorithm 2)
	// with variance β_i σ_T², as in docs/method.md §3 (the default).
	Ancestral Sampler = iota
	// ProbabilityFlow integrates the probability-flow ODE of the process
	// (Song et al., ICLR 2021) deterministically from the random start
	// z ~ N(0, σ_T² I) on the step grid with the second-order multistep
	// exponential integrator DPM-Solver++(2M) (Lu et al., arXiv:2211.01095,
	// Algorithm 2). With α = √ᾱ_i, σ = √(1−ᾱ_i), λ = ln(α/σ), the data
	// prediction ẑ_0 = (z − σ ε_θ(z, i, T))/α and h = λ_{i−1} − λ_i:
	//
	//	z ← (σ_{i−1}/σ_i) z + α_{i−1}(1 − e^{−h}) D,
	//	D = (1 + 1/2r) ẑ_0 − (1/2r) ẑ_0^{prev},  r = h_prev/h,
	//
	// with D = ẑ_0 at the first step, and z ← ẑ_0 at the last (ᾱ_{−1} = 1).
	// The temperature scale σ_T cancels from the ODE in this form.
	ProbabilityFlow
)

// String returns the sampler's name.
func (s Sampler) String() string {
	switch s {
	case Ancestral:
		return "ancestral"
	case ProbabilityFlow:
		return "probability-flow"
	}
	return fmt.Sprintf("Sampler(%d)", int(s))
}

// Sample draws n latents at temperature kT [ε] with the ancestral sampler;
// see Generate. The result is n×d, row-major.
func (p *Prior) Sample(kT float64, n int, seed uint64) ([]float64, error) {
	out, err := p.Generate([]float64{kT}, n, seed)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// Generate draws n latents at each temperature of temps (kT [ε];
// trained, interpolated or extrapolated — any finite kT > 0) by ancestral
// sampling (Ho et al. 2020, Algorithm 2, with variance σ_i² = β_i σ_T²):
//
//	z ~ N(0, σ_T² I)   (the stationary law of the forward process at T)
//	for i = N−1, …, 0:
//	    z ← (z − β_i/√(1−ᾱ_i) · ε_θ(z, i, T)) / √(1−β_i) + √β_i · σ_T · ξ,
//
// with ξ ~ N(0, I) and ξ = 0 at i = 0. Because ε_θ predicts the σ_T-scaled
// noise (see Prior), the first two terms are the DDPM posterior mean for
// that noise. Unlike the reference implementation, the start is scaled by
// σ_T and step 0 is applied (docs/method.md §3 choice).
//
// out[k] holds the n×d samples for temps[k], row-major. The work is split
// into fixed chunks of 64 samples, each with its own PCG stream derived from
// (seed, temps[k], chunk index) by internal/stream, and run on GOMAXPROCS
// workers, so the samples at a temperature are bit-identical for a seed
// whatever the number of cores and whichever other temperatures are
// generated with it, in any order.
//
// Config.Sampler, SampleSteps, UnitStart and Corrector change this: Generate uses the
// configured sampler (Ancestral by default) on the configured steps, from
// the configured start. With Config.LatentScale c the sampler runs in the
// prior's units u = z/c and returns z = c·u.
func (p *Prior) Generate(temps []float64, n int, seed uint64) ([][]float64, error) {
	return p.GenerateWith(p.cfg.Sampler, temps, n, seed)
}

// GenerateWith is Generate with a choice of sampler (Config.SampleSteps
// and UnitStart still apply).
func (p *Prior) GenerateWith(s Sampler, temps []float64, n int, seed uint64) ([][]float64, error) {
	return p.generate(s, temps, 0, n, seed)
}

// GenerateRange draws the samples first, …, first+n−1 at temperature kT of
// the sequence GenerateWith(s, []float64{kT}, total, seed) draws for any
// total ≥ first+n: generating a large sample in consecutive ranges gives the
// same bits as generating it at once, with memory bounded by the range.
// first must be a multiple of ChunkRows (the samplers' chunk of one random
// stream), and so must n unless the range ends the sample.
func (p *Prior) GenerateRange(s Sampler, kT float64, first, n int, seed uint64) ([]float64, error) {
	if first < 0 || first%ChunkRows != 0 {
		return nil, fmt.Errorf("diffusion: GenerateRange: first = %d, want a multiple of %d, ≥ 0", first, ChunkRows)
	}
	out, err := p.generate(s, []float64{kT}, first, n, seed)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ChunkRows is the number of samples drawn from one random stream.
const ChunkRows = chunkRows

// generateTag names the random streams of the samplers (internal/stream).
const generateTag = "diffusion/generate"

// generate draws the samples first, …, first+n−1 at every temperature;
// first is a multiple of chunkRows.
func (p *Prior) generate(s Sampler, temps []float64, first, n int, seed uint64) ([][]float64, error) {
	if s != Ancestral && s != ProbabilityFlow {
		return nil, fmt.Errorf("diffusion: Generate: sampler = %d, want Ancestral or ProbabilityFlow", int(s))
	}
	if n < 0 {
		return nil, fmt.Errorf("diffusion: Generate: n = %d samples, want ≥ 0", n)
	}
	sig := make([]float64, len(temps))
	for k, kT := range temps {
		v, err := p.Sigma(kT)
		if err != nil {
			return nil, fmt.Errorf("diffusion: Generate: temps[%d] = %g, want a finite kT > 0", k, kT)
		}
		sig[k] = v
	}
	d := p.cfg.Dim
	out := make([][]float64, len(temps))
	for k := range out {
		out[k] = make([]float64, n*d)
	}
	perTemp := (n + chunkRows - 1) / chunkRows
	jobs := perTemp * len(temps)
	if jobs == 0 {
		return out, nil
	}
	// Job g is chunk c of temperature k; each writes its own rows from its
	// own stream, so the result does not depend on the workers.
	p.forChunks(jobs, func(f *infer, g int) {
		k, c := g/perTemp, g%perTemp
		lo, hi := c*chunkRows, min(n, (c+1)*chunkRows)
		rng := stream.New(seed, generateTag, temps[k], uint64(first/chunkRows+c))
		f.sampleChunk(out[k][lo*d:hi*d], hi-lo, temps[k], sig[k], s, rng)
	})
	return out, nil
}

// forChunks runs job(f, g) for g = 0, …, jobs−1 on GOMAXPROCS workers, each
// with its own infer buffers (made on first use).
func (p *Prior) forChunks(jobs int, job func(f *infer, g int)) {
	workers := runtime.GOMAXPROCS(0)
	infs := make([]*infer, min(workers, max(jobs, 1)))
	par.Chunks(jobs, 1, workers, func(w, g, _, _ int) {
		if infs[w] == nil {
			infs[w] = p.newInfer()
		}
		job(infs[w], g)
	})
}

// denoiseTag names the random streams of Denoise (internal/stream).
const denoiseTag = "diffusion/denoise"

// Denoise returns the n×d latents z (row-major) noised by the forward
// process at temperature kT [ε] to step from,
//
//	z_from = √ᾱ_from z + √(1−ᾱ_from) σ_T ξ,  ξ ~ N(0, I),
//
// and carried back to step 0 by the ancestral sampler's steps from, …, 0
// (with Config.Corrector's steps; on the training schedule, whatever
// Config.SampleSteps). This is SDEdit's partial resampling (Meng et al.,
// ICLR 2022) used as a diagnostic: if z are samples of the distribution the
// prior should generate at kT, a perfect noise network returns samples of
// that distribution from every level, so comparing the result with z (or
// an independent sample) for a range of levels tells at which noise levels
// the network loses structure; with from = N−1 it is generation that
// starts from z's noised copy instead of pure noise. The work is split as
// in Generate (fixed chunks with their own streams from seed and kT), so
// the result does not depend on the number of cores.
func (p *Prior) Denoise(z []float64, kT float64, from int, seed uint64) ([]float64, error) {
	d := p.cfg.Dim
	if len(z)%d != 0 {
		return nil, fmt.Errorf("diffusion: Denoise: len(z) = %d is not a multiple of the latent dimension %d", len(z), d)
	}
	if n := p.sched.Len(); from < 0 || from >= n {
		return nil, fmt.Errorf("diffusion: Denoise: from = %d, want a step in [0, %d]", from, n-1)
	}
	sig, err := p.Sigma(kT)
	if err != nil {
		return nil, fmt.Errorf("diffusion: Denoise: kT = %g, want a finite kT > 0", kT)
	}
	for i, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("diffusion: Denoise: z row %d column %d is %v", i/d, i%d, v)
		}
	}
	n := len(z) / d
	out := make([]float64, len(z))
	c := p.cfg.latentScale()
	for i, v := range z {
		out[i] = v / c
	}
	ab := p.sched.AlphaBar(from)
	p.forChunks((n+chunkRows-1)/chunkRows, func(f *infer, g int) {
		lo, hi := g*chunkRows, min(n, (g+1)*chunkRows)
		rng := stream.New(seed, denoiseTag, kT, uint64(g))
		zc := out[lo*d : hi*d]
		for j, v := range zc {
			zc[j] = math.Sqrt(ab)*v + math.Sqrt(1-ab)*sig*rng.NormFloat64()
		}
		f.setTemp(kT / p.cfg.KTRef)
		reverse(zc, from, sig, p.sched, f, corrector{p.cfg.Corrector, p.cfg.CorrectorSNR, f.prev}, hi-lo, rng)
	})
	for i := range out {
		out[i] *= c
	}
	return out, nil
}

// predictor evaluates a noise model ε(z, i) for m rows z (m×d) at a fixed
// temperature and returns the m×d prediction (valid until the next call).
type predictor interface {
	predict(z []float64, m, i int) []float64
}

func (f *infer) predict(z []float64, m, i int) []float64 {
	f.forward(z, m, i)
	return f.eps[:m*f.p.cfg.Dim]
}

// sampleChunk runs the ancestral sampler for m rows at temperature kT with
// noise scale sig and writes the m×d result into dst.
func (f *infer) sampleChunk(dst []float64, m int, kT, sig float64, s Sampler, rng *rand.Rand) {
	d := f.p.cfg.Dim
	z := f.z[:m*d]
	f.setTemp(kT / f.p.cfg.KTRef)
	var sched Schedule = f.p.sched
	var pred predictor = f
	if r := f.p.sampleSched; r != nil {
		sched, pred = r, respacedPredictor{f, r.tau}
	}
	start := sig
	if f.p.cfg.UnitStart {
		start = 1
	}
	if s == ProbabilityFlow {
		probabilityFlow(z, f.prev[:m*d], start, sched, pred, m, rng)
	} else {
		c := corrector{f.p.cfg.Corrector, f.p.cfg.CorrectorSNR, f.prev}
		ancestral(z, start, sig, sched, pred, c, m, rng)
	}
	if c := f.p.cfg.latentScale(); c != 1 {
		for i, v := range z {
			z[i] = c * v
		}
	}
	copy(dst, z)
}

// corrector configures the Langevin corrector steps of the ancestral
// sampler (Config.Corrector, Config.CorrectorSNR); xi is scratch for the
// noise of one step (at least as long as the chunk).
type corrector struct {
	steps int
	snr   float64
	xi    []float64
}

// langevin runs the corrector's steps on z (m rows of d = len(z)/m) at
// noise level i: Langevin dynamics on the marginal p_i of the forward
// process at temperature T, as the corrector of Song et al. (ICLR 2021,
// Algorithm 5). By Tweedie's formula the score is
// ∇ln p_i(z) = −ε_θ(z, i, T)/(σ_T² √(1−ᾱ_i)) (ε_θ predicts the noise
// √(1−ᾱ_i)·n with n ~ N(0, σ_T² I) in latent units), and each step is
//
//	z ← z + δ ∇ln p_i(z) + √(2δ) ξ,  δ = 2(1−β_i)·(r·⟨‖ξ‖⟩/⟨‖∇ln p_i‖⟩)²,
//
// with ξ ~ N(0, I) and ⟨·⟩ the mean over the m rows, as in Song et al.'s
// code. The rows are the sampler's fixed chunk, so the step does not depend
// on the number of workers.
func langevin(z []float64, c corrector, sig float64, s Schedule, pred predictor, m, i int, rng *rand.Rand) {
	d := len(z) / m
	q := sig * sig * math.Sqrt(1-s.AlphaBar(i)) // ∇ln p_i = −ε_θ/q
	xi := c.xi[:len(z)]
	for range c.steps {
		eps := pred.predict(z, m, i)
		for j := range xi {
			xi[j] = rng.NormFloat64()
		}
		var nx, ne float64
		for r := range m {
			nx += math.Sqrt(dot(xi[r*d:(r+1)*d], xi[r*d:(r+1)*d]))
			ne += math.Sqrt(dot(eps[r*d:(r+1)*d], eps[r*d:(r+1)*d]))
		}
		if ne == 0 {
			continue // no score: nothing to correct towards
		}
		// ⟨‖∇ln p_i‖⟩ = ⟨‖ε_θ‖⟩/q; the sums' 1/m cancel.
		g := c.snr * nx * q / ne
		delta := 2 * (1 - s.Beta(i)) * g * g
		drift, noise := delta/q, math.Sqrt(2*delta)
		for j, e := range eps {
			z[j] += noise*xi[j] - drift*e
		}
	}
}

// dot returns Σ a_j b_j.
func dot(a, b []float64) float64 {
	var s float64
	for j, v := range a {
		s += v * b[j]
	}
	return s
}

// ancestral overwrites z (m rows) with a sample: z ~ N(0, start²I) followed
// by the reverse steps i = N−1, …, 0 of Generate, with noise scale sig, using
// the noise model pred; with c.steps > 0 each step is preceded by c's
// Langevin corrector steps at its noise level (the predictor–corrector
// sampler, Song et al., ICLR 2021, §4.2).
func ancestral(z []float64, start, sig float64, s Schedule, pred predictor, c corrector, m int, rng *rand.Rand) {
	for j := range z {
		z[j] = start * rng.NormFloat64()
	}
	reverse(z, s.Len()-1, sig, s, pred, c, m, rng)
}

// reverse runs the ancestral sampler's steps i = from, …, 0 on z (m rows)
// (see ancestral).
func reverse(z []float64, from int, sig float64, s Schedule, pred predictor, c corrector, m int, rng *rand.Rand) {
	for i := from; i >= 0; i-- {
		if c.steps > 0 {
			langevin(z, c, sig, s, pred, m, i, rng)
		}
		eps := pred.predict(z, m, i)
		b := s.Beta(i)
		c1 := b / math.Sqrt(1-s.AlphaBar(i))
		c2 := 1 / math.Sqrt(1-b)
		for j, e := range eps {
			z[j] = (z[j] - c1*e) * c2
		}
		if i > 0 {
			c3 := math.Sqrt(b) * sig
			for j := range z {
				z[j] += c3 * rng.NormFloat64()
			}
		}
	}
}

// probabilityFlow overwrites z (m rows) with a sample: z ~ N(0, sig²I) (sig
// the start's scale) followed by the deterministic probability-flow steps i = N−1, …, 0 (see
// ProbabilityFlow) using the noise model pred. prev (len(z)) holds the
// previous step's data prediction for the second-order update.
func probabilityFlow(z, prev []float64, sig float64, s Schedule, pred predictor, m int, rng *rand.Rand) {
	for j := range z {
		z[j] = sig * rng.NormFloat64()
	}
	// λ = ln(α/σ) with α = √ᾱ, σ = √(1−ᾱ): half the log signal-to-noise ratio.
	lambda := func(ab float64) float64 { return 0.5 * (math.Log(ab) - math.Log1p(-ab)) }
	hPrev := 0.0
	for i := s.Len() - 1; i >= 0; i-- {
		eps := pred.predict(z, m, i)
		ab := s.AlphaBar(i)
		a, sg := math.Sqrt(ab), math.Sqrt(1-ab)
		if i == 0 {
			// Last step to ᾱ = 1 (σ = 0): z ← ẑ_0, first order.
			for j, e := range eps {
				z[j] = (z[j] - sg*e) / a
			}
			return
		}
		abN := s.AlphaBar(i - 1)
		aN, sgN := math.Sqrt(abN), math.Sqrt(1-abN)
		h := lambda(abN) - lambda(ab)
		c1 := sgN / sg             // σ_t/σ_s
		c2 := -aN * math.Expm1(-h) // α_t (1 − e^{−h})
		// D = ẑ_0 (first step) or (1 + 1/2r) ẑ_0 − (1/2r) ẑ_0,prev, r = h_prev/h.
		w := 0.0
		if i < s.Len()-1 {
			w = 0.5 * h / hPrev
		}
		for j, e := range eps {
			x0 := (z[j] - sg*e) / a
			dj := (1+w)*x0 - w*prev[j]
			prev[j] = x0
			z[j] = c1*z[j] + c2*dj
		}
		hPrev = h
	}
}
