package dspib

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/spib"
)

// EpochStats describes one phase-2 epoch. Losses are in nats: CE is the
// cross-entropy ⟨−ln p(y_{t+Δ}|z)⟩, LogQ the entropy term ⟨ln q(z|x)⟩ and
// Diff the diffusion loss L_diff (unscaled, dimensionless), each a
// (weighted) mean; Loss = CE + β·LogQ + β·λ·Diff.
type EpochStats struct {
	Epoch                                    int // from 1
	TrainLoss, TrainCE, TrainLogQ, TrainDiff float64
	TestLoss, TestCE, TestLogQ, TestDiff     float64
	LR                                       float64       // learning rate used in this epoch
	OptimizerSteps                           int           // Adam steps since phase 2 started
	Elapsed                                  time.Duration // since this call of Fit started
}

// jointLoss records the phase-2 loss of one batch on t (spec §3):
//
//	loss = CE + β·LogQ + β·λ·Diff,
//
// x is the B×D standardised batch, eps B×d standard normal draws of the
// reparameterisation, labels the future states, w the frame weights (nil:
// plain means), temps the frames' kT. The diffusion draws come from rng.
func jointLoss(t *ad.Tape, m *spib.Model, p *diffusion.Prior, x *ad.Node, eps []float64, labels []int,
	w, temps []float64, beta, lambda float64, rng *rand.Rand) (loss, ce, logq, diff *ad.Node, err error) {
	mean, lv := m.EncodeTape(t, x)
	e := t.Const(x.Rows, mean.Cols, eps)
	z := t.Reparam(mean, lv, e)
	ce = m.CrossEntropyTape(t, z, labels, w)
	logq = t.WeightedMeanRows(t.GaussLogPDF(z, mean, lv), w)
	diff, err = p.LossWeighted(t, z, temps, w, rng)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	loss = t.Add(ce, t.Scale(t.Add(logq, t.Scale(diff, lambda)), beta))
	return loss, ce, logq, diff, nil
}

// trainer holds the buffers of phase 2; a step allocates nothing after the
// first one of each batch size.
type trainer struct {
	m     *spib.Model
	p     *diffusion.Prior
	d     *spib.Data
	cfg   Config
	rng   *rand.Rand
	opt   *ad.Adam
	tapes map[int]*ad.Tape
	batch spib.Batch
	eps   []float64
	order []int
	sums  [4]float64
	err   error
}

func newTrainer(m *spib.Model, p *diffusion.Prior, d *spib.Data, cfg Config, rng *rand.Rand) (*trainer, error) {
	ps := append(append(m.EncoderParams(), m.DecoderParams()...), p.Params()...)
	opt, err := ad.NewAdam(ps, ad.AdamConfig{LR: cfg.LearningRate})
	if err != nil {
		return nil, err
	}
	return &trainer{m: m, p: p, d: d, cfg: cfg, rng: rng, opt: opt, tapes: map[int]*ad.Tape{}}, nil
}

// checkpointParams are the parameters a checkpoint stores: the SPIB part
// (including the VampPrior logits) and the prior's network.
func (tr *trainer) checkpointParams() []*ad.Param {
	return append(append([]*ad.Param(nil), tr.m.Params()...), tr.p.Params()...)
}

// step evaluates the loss on the pairs idx, with an Adam step if train.
func (tr *trainer) step(idx []int, train bool) (ce, lq, df float64, err error) {
	tr.d.Gather(&tr.batch, idx)
	n, dd := len(idx), tr.m.LatentDim()
	if cap(tr.eps) < n*dd {
		tr.eps = make([]float64, n*dd)
	}
	eps := tr.eps[:n*dd]
	for i := range eps {
		eps[i] = tr.rng.NormFloat64()
	}
	t := tr.tapes[n]
	if t == nil {
		t = ad.NewTape()
		tr.tapes[n] = t
	}
	t.Reset()
	x := t.Const(n, tr.d.D, tr.batch.X)
	loss, c, q, f, err := jointLoss(t, tr.m, tr.p, x, eps, tr.batch.Labels, tr.batch.Weights, tr.batch.Temp,
		tr.cfg.beta(), tr.cfg.Lambda, tr.rng)
	if err != nil {
		return 0, 0, 0, err
	}
	if train {
		tr.opt.ZeroGrad()
		t.Backward(loss)
		tr.opt.Step()
	}
	return c.Scalar(), q.Scalar(), f.Scalar(), nil
}

// epoch runs one pass over pairs (shuffled and trained if train) and returns
// the batch-size-weighted means of CE, log q and the diffusion loss.
func (tr *trainer) epoch(pairs []int, train bool) (ce, lq, df float64, err error) {
	if len(pairs) == 0 {
		return math.NaN(), math.NaN(), math.NaN(), nil
	}
	var rng *rand.Rand
	if train {
		rng = tr.rng
	}
	if cap(tr.order) < len(pairs) {
		tr.order = make([]int, 0, len(pairs))
	}
	err = spib.Batches(pairs, tr.cfg.SPIB.BatchSize, rng, tr.order, func(b []int) error {
		c, q, f, err := tr.step(b, train)
		if err != nil {
			return err
		}
		k := float64(len(b))
		ce, lq, df = ce+k*c, lq+k*q, df+k*f
		return nil
	})
	n := float64(len(pairs))
	return ce / n, lq / n, df / n, err
}

// total combines the parts into the loss.
func (c Config) total(ce, lq, df float64) float64 {
	return ce + c.beta()*(lq+c.Lambda*df)
}

// runEpoch trains one epoch and evaluates the test pairs.
func (tr *trainer) runEpoch(epoch int, start time.Time) (EpochStats, error) {
	st := EpochStats{Epoch: epoch, LR: tr.opt.LR()}
	var err error
	if st.TrainCE, st.TrainLogQ, st.TrainDiff, err = tr.epoch(tr.d.Train, true); err != nil {
		return st, fmt.Errorf("dspib: phase 2 epoch %d: %w", epoch, err)
	}
	if st.TestCE, st.TestLogQ, st.TestDiff, err = tr.epoch(tr.d.Test, false); err != nil {
		return st, fmt.Errorf("dspib: phase 2 epoch %d (test): %w", epoch, err)
	}
	if tr.cfg.LRDecay != 1 {
		tr.opt.Decay(tr.cfg.LRDecay)
	}
	st.TrainLoss = tr.cfg.total(st.TrainCE, st.TrainLogQ, st.TrainDiff)
	st.TestLoss = tr.cfg.total(st.TestCE, st.TestLogQ, st.TestDiff)
	st.OptimizerSteps = tr.opt.Steps()
	st.Elapsed = time.Since(start)
	if math.IsNaN(st.TrainLoss) || math.IsInf(st.TrainLoss, 0) {
		return st, fmt.Errorf("dspib: phase 2 epoch %d: training loss is %v (CE %v, log q %v, diffusion %v)",
			epoch, st.TrainLoss, st.TrainCE, st.TrainLogQ, st.TrainDiff)
	}
	return st, nil
}

// converger is the phase-2 stopping rule: both the training CE and the
// unscaled training diffusion loss have stopped changing (spib.Convergence
// each), or the epoch cap.
type converger struct {
	ce, diff  spib.Convergence
	maxEpochs int
	converged bool
}

func newConverger(cfg Config) *converger {
	return &converger{
		ce:        spib.Convergence{Tol: cfg.SPIB.Tolerance, Patience: cfg.patience()},
		diff:      spib.Convergence{Tol: cfg.SPIB.Tolerance, Patience: cfg.patience()},
		maxEpochs: cfg.MaxEpochs,
	}
}

// update records one epoch and reports whether phase 2 is done.
func (c *converger) update(st EpochStats) bool {
	a := c.ce.Update(st.TrainCE)
	b := c.diff.Update(st.TrainDiff)
	c.converged = a && b
	return c.converged || st.Epoch >= c.maxEpochs
}

// progress writes rate-limited progress lines.
type progress struct {
	w     io.Writer
	every time.Duration
	last  time.Time
}

func (p *progress) report(st EpochStats, force bool) {
	if p.w == nil {
		return
	}
	now := time.Now()
	if !force && !p.last.IsZero() && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "dspib: phase 2 epoch %d: loss %.6g (CE %.6g, log q %.6g, diffusion %.6g) test CE %.6g diffusion %.6g, elapsed %v\n",
		st.Epoch, st.TrainLoss, st.TrainCE, st.TrainLogQ, st.TrainDiff, st.TestCE, st.TestDiff,
		st.Elapsed.Round(time.Millisecond))
}
