package diffusion

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/dspib/dspib/internal/par"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/monitor"
)

// TrainConfig configures standalone training of a prior on given latents.
// Every zero field means its default.
type TrainConfig struct {
	// Prior is the model configuration used by Train (ignored by Fit). A
	// zero Prior.KTRef means the lowest training temperature (docs/method.md §3).
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
	// Workers bounds the goroutines a training step runs on (default
	// GOMAXPROCS). The result does not depend on it: see Fit.
	Workers int
	// Observers are called after every epoch, in order (learn/monitor:
	// Phase "diffusion", Epoch from 1, Max = Epochs, Losses: loss, the
	// epoch's mean diffusion loss, dimensionless; Last at the last epoch);
	// an error stops training and is returned. A *monitor.Progress writes
	// progress lines.
	Observers []monitor.Observer
	// Checkpoint, if set, is a file that TrainContext and FitContext write
	// atomically after every epoch (parameters, Adam state, losses so far
	// and the random stream) and resume from when it exists, so that an
	// interrupted run continues bit for bit; a file written for other data
	// or settings is refused. Fit and Train refuse it: they take a
	// *rand.Rand, whose state cannot be saved.
	Checkpoint string
	// EMADecay, when not 0, keeps an exponential moving average of the
	// weights (EMA) with this decay per optimiser step, in (0, 1); the
	// trained prior holds the average (the weights it samples with), and
	// checkpoints store it. Default 0: the last weights.
	EMADecay float64
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
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("diffusion: TrainConfig.Epochs = %d, want ≥ 1", c.Epochs)
	case c.BatchSize < 1:
		return fmt.Errorf("diffusion: TrainConfig.BatchSize = %d, want ≥ 1", c.BatchSize)
	case c.Workers < 1:
		return fmt.Errorf("diffusion: TrainConfig.Workers = %d, want ≥ 1 (0 means GOMAXPROCS)", c.Workers)
	case !(c.LRDecay > 0 && c.LRDecay <= 1):
		return fmt.Errorf("diffusion: TrainConfig.LRDecay = %g, want in (0, 1]", c.LRDecay)
	case c.EMADecay != 0 && !(c.EMADecay > 0 && c.EMADecay < 1):
		return fmt.Errorf("diffusion: TrainConfig.EMADecay = %g, want in (0, 1), or 0 for no average", c.EMADecay)
	}
	return nil
}

// Train builds a prior from cfg.Prior (kT_ref defaulting to the lowest
// training temperature) and fits it to the latents samples (n×d,
// row-major) with per-row temperatures kT ([ε], len n); see Fit. It
// returns the prior and the mean diffusion loss of every epoch.
func Train(samples, kT []float64, cfg TrainConfig, rng *rand.Rand) (*Prior, []float64, error) {
	p, err := newForTraining(cfg, kT, rng)
	if err != nil {
		return nil, nil, err
	}
	hist, err := p.Fit(samples, kT, cfg, rng)
	if err != nil {
		return nil, nil, err
	}
	return p, hist, nil
}

// newForTraining builds the untrained prior of Train from cfg.Prior, with
// kT_ref defaulting to the lowest of the per-row temperatures kT.
func newForTraining(cfg TrainConfig, kT []float64, rng *rand.Rand) (*Prior, error) {
	pc := cfg.Prior
	if pc.KTRef == 0 && len(kT) > 0 {
		pc.KTRef = math.Inf(1)
		for i, v := range kT {
			if !(v > 0) || math.IsInf(v, 1) {
				return nil, fmt.Errorf("diffusion: Train: kT[%d] = %g, want finite and > 0", i, v)
			}
			pc.KTRef = min(pc.KTRef, v)
		}
	}
	return New(pc, rng)
}

// Fit trains p's noise network on the latents samples (n×d, row-major)
// with per-row temperatures kT ([ε], len n) by minimising Loss with Adam
// (Kingma & Ba 2015) over cfg.Epochs shuffled passes in mini-batches of
// cfg.BatchSize latents. The latents are data here (no gradient flows to
// them). It returns the mean loss of every epoch (each batch weighted by
// its size). All randomness (shuffles, steps, noise) comes from rng.
//
// A step cuts its batch into fixed shards of 128 latents, run on up to
// cfg.Workers goroutines, each shard with its own tape, gradients and PCG
// stream seeded from rng; the step's loss is the row-weighted mean of the
// shards' losses and the gradients are summed in shard order, so the
// result is the same bits for any number of workers (as in learn/dspib's
// phase 2). BenchmarkFitStep: 54 ms per step of 512 latents × 16 replicas
// on one worker, 29 ms on two.
func (p *Prior) Fit(samples, kT []float64, cfg TrainConfig, rng *rand.Rand) ([]float64, error) {
	if cfg.Checkpoint != "" {
		return nil, fmt.Errorf("diffusion: Fit: TrainConfig.Checkpoint needs FitContext or TrainContext (a *rand.PCG whose state can be saved)")
	}
	if rng == nil {
		return nil, fmt.Errorf("diffusion: Fit: rng is nil")
	}
	return p.fit(context.Background(), samples, kT, cfg, rng, nil)
}

// fit is Fit, cancellable between epochs, with the checkpoints of
// cfg.Checkpoint when src (the source behind rng) is given.
func (p *Prior) fit(ctx context.Context, samples, kT []float64, cfg TrainConfig, rng *rand.Rand, src *rand.PCG) ([]float64, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	d := p.cfg.Dim
	n := len(kT)
	if n == 0 {
		return nil, fmt.Errorf("diffusion: Fit: no samples (len(kT) = 0)")
	}
	if len(samples) != n*d {
		return nil, fmt.Errorf("diffusion: Fit: len(samples) = %d, want len(kT)·d = %d·%d = %d", len(samples), n, d, n*d)
	}
	for i, v := range samples {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("diffusion: Fit: samples[%d] (row %d, column %d) = %g, want finite", i, i/d, i%d, v)
		}
	}
	for i, v := range kT {
		if !(v > 0) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("diffusion: Fit: kT[%d] = %g, want finite and > 0", i, v)
		}
	}
	opt, err := ad.NewAdam(p.params, cfg.Adam)
	if err != nil {
		return nil, err
	}
	B := min(cfg.BatchSize, n)
	perm := make([]int, n)
	hist := make([]float64, 0, cfg.Epochs)
	var ema *EMA
	if cfg.EMADecay != 0 {
		if ema, err = NewEMA(p.params, cfg.EMADecay); err != nil {
			return nil, err
		}
		// The trained prior holds the average, however the loop ends.
		defer ema.Swap()
	}
	var ck *fitCheckpoint
	if src != nil && cfg.Checkpoint != "" {
		ck = &fitCheckpoint{path: cfg.Checkpoint, fp: fitFingerprint(p, samples, kT, cfg), ema: ema}
		var err error
		if hist, err = ck.load(p, opt, src, cfg.Epochs); err != nil {
			return nil, err
		}
	}
	// The shards clone p after a resume has restored its parameters.
	f, err := p.newFitter(B, cfg.Workers)
	if err != nil {
		return nil, err
	}
	defer f.pool.Close()
	start := time.Now()
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
				copy(f.z[r*d:(r+1)*d], samples[idx*d:(idx+1)*d])
				f.temps[r] = kT[idx]
			}
			l, err := f.step(m, rng)
			if err != nil {
				return hist, err
			}
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return hist, fmt.Errorf("diffusion: Fit: loss = %g at epoch %d, batch starting at %d (lower TrainConfig.Adam.LR?)", l, epoch, lo)
			}
			opt.Step()
			if ema != nil {
				ema.Update()
			}
			sum += l * float64(m)
		}
		hist = append(hist, sum/float64(n))
		e := monitor.Epoch{Phase: "diffusion", Epoch: epoch + 1, Max: cfg.Epochs,
			Losses: []monitor.Loss{{Name: "loss", Value: hist[epoch]}}, Elapsed: time.Since(start), Last: epoch+1 == cfg.Epochs}
		if err := monitor.Notify(cfg.Observers, e); err != nil {
			return hist, fmt.Errorf("diffusion: epoch %d: %w", epoch+1, err)
		}
		opt.Decay(cfg.LRDecay)
		if ck != nil {
			if err := ck.save(p, opt, src, hist); err != nil {
				return hist, err
			}
		}
	}
	return hist, nil
}

// fitShardRows is the number of latents in one shard of a Fit step. The
// shards depend only on the batch, never on the number of workers.
const fitShardRows = 128

// fitter holds the shards of Fit's steps: clones of the prior whose
// parameter Data alias the master's (forward passes only read them; Adam
// writes them between steps), each with its own gradients, tape, scratch
// buffers and random stream.
type fitter struct {
	p      *Prior
	z      []float64 // the batch's latents, B×d
	temps  []float64 // and temperatures
	shards []*fitShard
	pool   *par.Pool
}

type fitShard struct {
	p      *Prior
	tape   *ad.Tape
	src    *rand.PCG
	rng    *rand.Rand
	lo, hi int     // rows of the batch
	c      float64 // weight in the batch mean, (hi − lo)/m
	loss   float64
	err    error
}

func (p *Prior) newFitter(B, workers int) (*fitter, error) {
	f := &fitter{p: p, z: make([]float64, B*p.cfg.Dim), temps: make([]float64, B)}
	for range (B + fitShardRows - 1) / fitShardRows {
		q, err := FromTensors(p.Tensors())
		if err != nil {
			return nil, err
		}
		for i, w := range q.params {
			w.Data = p.params[i].Data
		}
		q.SetPrecision(p.prec) // Fit trains in the prior's precision
		src := rand.NewPCG(0, 0)
		f.shards = append(f.shards, &fitShard{p: q, tape: ad.NewTape(), src: src, rng: rand.New(src)})
	}
	f.pool = par.New(workers, func(i int) { f.shards[i].run(f) })
	return f, nil
}

// run records the shard's loss and back-propagates c·loss into the
// shard's own gradients.
func (sh *fitShard) run(f *fitter) {
	d := sh.p.cfg.Dim
	t := sh.tape
	t.Reset()
	for _, q := range sh.p.params {
		clear(q.Grad)
	}
	loss, err := sh.p.Loss(t, t.Const(sh.hi-sh.lo, d, f.z[sh.lo*d:sh.hi*d]), f.temps[sh.lo:sh.hi], sh.rng)
	if err != nil {
		sh.err = err
		return
	}
	t.Backward(t.Scale(loss, sh.c))
	sh.loss, sh.err = loss.Scalar(), nil
}

// step computes the loss of the first m rows of the batch buffers and
// leaves its gradient in the master prior's parameters. The shards' seeds
// are drawn from rng in shard order before any shard runs.
func (f *fitter) step(m int, rng *rand.Rand) (float64, error) {
	used := (m + fitShardRows - 1) / fitShardRows
	for s, sh := range f.shards[:used] {
		sh.lo, sh.hi = s*fitShardRows, min(m, (s+1)*fitShardRows)
		sh.c = float64(sh.hi-sh.lo) / float64(m)
		sh.src.Seed(rng.Uint64(), uint64(s))
	}
	f.pool.Run(used)
	loss := 0.0
	for _, sh := range f.shards[:used] {
		if sh.err != nil {
			return 0, sh.err
		}
		loss += sh.c * sh.loss
	}
	ps := ad.ParamSet(f.p.params)
	ps.CopyGrad(f.shards[0].p.params)
	for _, sh := range f.shards[1:used] {
		ps.AddGrad(sh.p.params)
	}
	return loss, nil
}
