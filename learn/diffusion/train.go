package diffusion

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dspib/dspib/learn/ad"
)

// TrainConfig configures standalone training of a prior on given latents.
// Every zero field means its default.
type TrainConfig struct {
	// Prior is the model configuration used by Train (ignored by Fit). A
	// zero Prior.TRef means the lowest training temperature (spec §3).
	Prior Config
	// Epochs is the number of passes over the samples (default 100).
	Epochs int
	// BatchSize is the number of latents per optimiser step (default 512);
	// each is replicated Prior.Replicas times in the loss.
	BatchSize int
	// Adam configures the optimiser (zero value: lr 1e−3, PyTorch betas).
	Adam ad.AdamConfig
	// LRDecay multiplies the learning rate after every epoch (default 1:
	// constant); must be in (0, 1].
	LRDecay float64
	// Checkpoint, if set, is a file that TrainContext and FitContext write
	// atomically after every epoch (parameters, Adam state, losses so far
	// and the random stream) and resume from when it exists, so that an
	// interrupted run continues bit for bit. Fit and Train refuse it: they
	// take a *rand.Rand, whose state cannot be saved.
	Checkpoint string
}

// setDefaults fills zero fields and validates the training fields.
func (c *TrainConfig) setDefaults() error {
	if c.Epochs == 0 {
		c.Epochs = 100
	}
	if c.BatchSize == 0 {
		c.BatchSize = 512
	}
	if c.LRDecay == 0 {
		c.LRDecay = 1
	}
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("diffusion: TrainConfig.Epochs = %d, want ≥ 1", c.Epochs)
	case c.BatchSize < 1:
		return fmt.Errorf("diffusion: TrainConfig.BatchSize = %d, want ≥ 1", c.BatchSize)
	case !(c.LRDecay > 0 && c.LRDecay <= 1):
		return fmt.Errorf("diffusion: TrainConfig.LRDecay = %g, want in (0, 1]", c.LRDecay)
	}
	return nil
}

// Train builds a prior from cfg.Prior (T_ref defaulting to the lowest
// training temperature) and fits it to the latents samples (n×d,
// row-major) with per-row temperatures temps (kT, len n); see Fit. It
// returns the prior and the mean diffusion loss of every epoch.
func Train(samples, temps []float64, cfg TrainConfig, rng *rand.Rand) (*Prior, []float64, error) {
	p, err := newForTraining(cfg, temps, rng)
	if err != nil {
		return nil, nil, err
	}
	hist, err := p.Fit(samples, temps, cfg, rng)
	if err != nil {
		return nil, nil, err
	}
	return p, hist, nil
}

// newForTraining builds the untrained prior of Train from cfg.Prior, with
// T_ref defaulting to the lowest of temps.
func newForTraining(cfg TrainConfig, temps []float64, rng *rand.Rand) (*Prior, error) {
	pc := cfg.Prior
	if pc.TRef == 0 && len(temps) > 0 {
		pc.TRef = math.Inf(1)
		for i, T := range temps {
			if !(T > 0) || math.IsInf(T, 1) {
				return nil, fmt.Errorf("diffusion: Train: temps[%d] = %g, want a finite kT > 0", i, T)
			}
			pc.TRef = min(pc.TRef, T)
		}
	}
	return New(pc, rng)
}

// Fit trains p's noise network on the latents samples (n×d, row-major)
// with per-row temperatures temps (kT, len n) by minimising Loss with Adam
// (Kingma & Ba 2015) over cfg.Epochs shuffled passes in mini-batches of
// cfg.BatchSize latents. The latents are data here (no gradient flows to
// them). It returns the mean loss of every epoch (each batch weighted by
// its size). All randomness (shuffles, steps, noise) comes from rng.
func (p *Prior) Fit(samples, temps []float64, cfg TrainConfig, rng *rand.Rand) ([]float64, error) {
	if cfg.Checkpoint != "" {
		return nil, fmt.Errorf("diffusion: Fit: TrainConfig.Checkpoint needs FitContext or TrainContext (a *rand.PCG whose state can be saved)")
	}
	if rng == nil {
		return nil, fmt.Errorf("diffusion: Fit: rng is nil")
	}
	return p.fit(context.Background(), samples, temps, cfg, rng, nil)
}

// fit is Fit, cancellable between epochs, with the checkpoints of
// cfg.Checkpoint when src (the source behind rng) is given.
func (p *Prior) fit(ctx context.Context, samples, temps []float64, cfg TrainConfig, rng *rand.Rand, src *rand.PCG) ([]float64, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	d := p.cfg.Dim
	n := len(temps)
	if n == 0 {
		return nil, fmt.Errorf("diffusion: Fit: no samples (len(temps) = 0)")
	}
	if len(samples) != n*d {
		return nil, fmt.Errorf("diffusion: Fit: len(samples) = %d, want len(temps)·d = %d·%d = %d", len(samples), n, d, n*d)
	}
	for i, v := range samples {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("diffusion: Fit: samples[%d] (row %d, column %d) = %g, want finite", i, i/d, i%d, v)
		}
	}
	for i, T := range temps {
		if !(T > 0) || math.IsInf(T, 1) {
			return nil, fmt.Errorf("diffusion: Fit: temps[%d] = %g, want a finite kT > 0", i, T)
		}
	}
	opt, err := ad.NewAdam(p.params, cfg.Adam)
	if err != nil {
		return nil, err
	}
	B := min(cfg.BatchSize, n)
	perm := make([]int, n)
	zb := make([]float64, B*d)
	tb := make([]float64, B)
	tape := ad.NewTape()
	hist := make([]float64, 0, cfg.Epochs)
	var ck *fitCheckpoint
	if src != nil && cfg.Checkpoint != "" {
		ck = &fitCheckpoint{path: cfg.Checkpoint, fp: fitFingerprint(p, samples, temps, cfg)}
		var err error
		if hist, err = ck.load(p, opt, src, cfg.Epochs); err != nil {
			return nil, err
		}
	}
	for epoch := len(hist); epoch < cfg.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return hist, err
		}
		// Every epoch shuffles the identity afresh, so that an epoch's
		// order depends only on the random stream (which a checkpoint
		// saves), not on the previous epoch's order.
		for i := range perm {
			perm[i] = i
		}
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		sum := 0.0
		for lo := 0; lo < n; lo += B {
			hi := min(n, lo+B)
			m := hi - lo
			for r, idx := range perm[lo:hi] {
				copy(zb[r*d:(r+1)*d], samples[idx*d:(idx+1)*d])
				tb[r] = temps[idx]
			}
			tape.Reset()
			opt.ZeroGrad()
			loss, err := p.Loss(tape, tape.Const(m, d, zb[:m*d]), tb[:m], rng)
			if err != nil {
				return hist, err
			}
			l := loss.Scalar()
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return hist, fmt.Errorf("diffusion: Fit: loss = %g at epoch %d, batch starting at %d (lower TrainConfig.Adam.LR?)", l, epoch, lo)
			}
			tape.Backward(loss)
			opt.Step()
			sum += l * float64(m)
		}
		hist = append(hist, sum/float64(n))
		opt.Decay(cfg.LRDecay)
		if ck != nil {
			if err := ck.save(p, opt, src, hist); err != nil {
				return hist, err
			}
		}
	}
	return hist, nil
}
