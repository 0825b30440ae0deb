package spib

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/monitor"
)

// ErrTooFewStates is returned (wrapped) when relabelling leaves fewer than two
// populated states: SPIB cannot continue. The Result returned with it is
// still usable and describes the model at that point.
var ErrTooFewStates = errors.New("spib: fewer than two metastable states remain")

// EpochStats describes one training epoch.
type EpochStats struct {
	Round      int // refinement round, 0 for the initial labels
	Epoch      int // epoch within the round, from 1
	TotalEpoch int // epochs since the start of training, from 1
	// TrainLoss, TrainCE, TrainKL: the epoch means over the training
	// batches (weighted by batch size) of the loss L = CE + β·KL and its
	// parts (CE in nats; KL in nats, before multiplying by β).
	TrainLoss, TrainCE, TrainKL float64
	// TestLoss, TestCE, TestKL: the same on the test pairs after the epoch.
	TestLoss, TestCE, TestKL float64
	// NumStates is the number of states populated after relabelling the
	// future frames of the training pairs by argmax of the decoder applied
	// to z_mean (every frame is relabelled at the end of a round).
	NumStates int
	// Trained is the number of states the decoder currently predicts.
	Trained int
	// OptimizerSteps is the number of Adam steps taken in this round so far
	// (a fresh optimiser starts every round).
	OptimizerSteps int
	LR             float64       // learning rate used in this epoch
	Elapsed        time.Duration // since the start of training
}

// record is e as the observers of learn/monitor see it.
func (e EpochStats) record(maxEpochs int, last bool) monitor.Epoch {
	return monitor.Epoch{Phase: "spib", Round: e.Round, Epoch: e.Epoch, Max: maxEpochs,
		Losses: []monitor.Loss{{Name: "loss", Value: e.TrainLoss}, {Name: "ce", Value: e.TrainCE},
			{Name: "kl", Value: e.TrainKL}, {Name: "test_loss", Value: e.TestLoss},
			{Name: "test_ce", Value: e.TestCE}, {Name: "test_kl", Value: e.TestKL}},
		States: e.NumStates, Elapsed: e.Elapsed, Last: last}
}

// RoundStats summarises one refinement round.
type RoundStats struct {
	Epochs    int  // epochs trained in the round
	Converged bool // true: the tolerance rule stopped it; false: MaxEpochs
	States    int  // states trained in the round (decoder outputs)
	Kept      int  // populated states after the round's final relabelling
}

// Convergence is the stopping rule of SPIB rounds (docs/method.md §2): an epoch is
// unchanged when |L − L_prev| / |L_prev| < Tol; the rule fires when more
// than Patience consecutive epochs were unchanged. D-SPIB phase 2 uses one
// per monitored loss.
type Convergence struct {
	Tol       float64
	Patience  int
	prev      float64
	started   bool
	unchanged int
}

// Update records the loss of one epoch and reports whether the rule fired.
func (c *Convergence) Update(loss float64) bool {
	if c.started && math.Abs(loss-c.prev) < c.Tol*math.Abs(c.prev) {
		c.unchanged++
	} else {
		c.unchanged = 0
	}
	c.prev, c.started = loss, true
	return c.unchanged > c.Patience
}

// Reset forgets the history (for a new round).
func (c *Convergence) Reset() { c.prev, c.started, c.unchanged = 0, false, 0 }

// Result is a trained SPIB model with its training history and the encoding
// of every input frame (in Data order: trajectories concatenated).
type Result struct {
	Model   *Model
	Data    *Data
	History []EpochStats
	Rounds  []RoundStats
	// ZMean and ZSample are z_mean and one sample z ~ q(z|x) per frame
	// (N×d, row-major).
	ZMean, ZSample []float64
	// Labels are argmax_k p(k|z_mean) per frame; Probs the N×K probabilities.
	Labels []int
	Probs  []float64
	// Populations[k] is the (weighted) fraction of frames labelled k.
	Populations []float64
	// TestLoss, ValLoss and their parts: the loss on the test and
	// validation pairs with the final model and labels (not computed if
	// training stopped with an error).
	TestLoss, TestCE, TestKL float64
	ValLoss, ValCE, ValKL    float64
	// Stopped says why training ended.
	Stopped string
}

// Train builds the data set from trajs (which must carry initial labels, see
// KMeansLabels), then trains SPIB with cfg, drawing every random number
// (split, initialisation, batches, noise) from rng. The same seed gives the
// same model bit for bit, whatever GOMAXPROCS and cfg.Workers. TrainContext
// is the cancellable, checkpointable variant.
func Train(trajs []Trajectory, cfg Config, rng *rand.Rand) (*Result, error) {
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	data, err := NewData(trajs, cfg, rng)
	if err != nil {
		return nil, err
	}
	return TrainData(data, cfg, rng)
}

// TrainContext is Train with cancellation and per-epoch checkpoints (see
// TrainDataContext), drawing every random number from src.
func TrainContext(ctx context.Context, trajs []Trajectory, cfg Config, src *rand.PCG, opts RunOptions) (*Result, error) {
	if src == nil {
		return nil, fmt.Errorf("spib: nil *rand.PCG")
	}
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	data, err := NewData(trajs, cfg, rand.New(src))
	if err != nil {
		return nil, err
	}
	return TrainDataContext(ctx, data, cfg, src, opts)
}

// RunOptions are the parts of Config.Checkpoint for a caller that keeps
// the training state in a file of its own (learn/dspib's phase 1 adds its
// tensors to it): resuming and saving without changing the result. The
// zero value starts afresh and writes nothing; with Config.Checkpoint set
// it must be zero.
type RunOptions struct {
	// Resume, when not nil, continues the run it describes (from
	// LoadTrainState, or a state passed to Save) instead of starting
	// afresh: the model, optimiser, round, convergence history, labels and
	// RNG state are taken from it. The Data must be the one the run was
	// started with (same frames, pairs and split), the Config the same.
	Resume *TrainState
	// Save, when not nil, is called after every epoch that training
	// continues from (not after the last one, which ends training), after
	// the observers, with the state to continue from; an error it returns
	// stops training and is returned. The state shares memory with the
	// run: save it (TrainState.Save) during the call, do not keep it.
	Save func(*TrainState) error
}

// TrainState is a SPIB run between two epochs: everything needed to continue
// it bit for bit (with the same Data and Config). Save writes it and
// LoadTrainState reads it back.
type TrainState struct {
	// Round is the refinement round the next epoch belongs to (0 for the
	// initial labels); Epoch the epochs already done in it; TotalEpoch the
	// epochs done since the start of training.
	Round, Epoch, TotalEpoch int
	// Model is the current model (parameters, K states, representatives).
	Model *Model
	// Opt is the round's Adam over Model.Params() (moments, step count and
	// learning rate).
	Opt *ad.Adam
	// Conv is the round's stopping rule with its history.
	Conv Convergence
	// Labels are the labels adopted at the last refinement, one per frame
	// of the Data (0 ≤ label < Model.K).
	Labels []int
	// History and Rounds are the statistics so far.
	History []EpochStats
	Rounds  []RoundStats
	// RNG is the state of the run's *rand.PCG (MarshalBinary) after the
	// epoch: the next batch order and noise come from it.
	RNG []byte
	// Elapsed is the training time so far; a resumed run continues its
	// EpochStats.Elapsed from it.
	Elapsed time.Duration
}

// Batch holds the gathered inputs of one batch of lagged pairs: the
// standardised x_t rows, the labels of y_{t+Δ} and the weights of x_t.
type Batch struct {
	N       int
	X       []float64 // N×D standardised inputs x_t
	Labels  []int     // N labels of the future frames
	Weights []float64 // N weights, nil if the data are unweighted
	KT      []float64 // N temperatures kT of the frames
}

// Gather fills b with the pairs listed in idx (reusing b's memory).
func (d *Data) Gather(b *Batch, idx []int) {
	n := len(idx)
	b.N = n
	b.X = grow(b.X, n*d.D)
	b.Labels = growInt(b.Labels, n)
	b.KT = grow(b.KT, n)
	if d.Weights != nil {
		b.Weights = grow(b.Weights, n)
	} else {
		b.Weights = nil
	}
	for i, p := range idx {
		s := d.Src[p]
		copy(b.X[i*d.D:(i+1)*d.D], d.X[s*d.D:(s+1)*d.D])
		b.Labels[i] = d.Labels[d.Dst[p]]
		b.KT[i] = d.KT[s]
		if d.Weights != nil {
			b.Weights[i] = d.Weights[s]
		}
	}
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

func growInt(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}

// trainer holds the buffers of one training run; a step allocates nothing.
type trainer struct {
	m     *Model
	d     *Data
	cfg   Config
	rng   *rand.Rand
	opt   *ad.Adam
	tapes map[int]*ad.Tape // one per batch size, so shapes repeat
	batch Batch
	eps   []float64
	order []int
	enc   encoded         // relabelling buffers
	ctx   context.Context // checked between training batches
}

func (tr *trainer) tape(n int) *ad.Tape {
	t := tr.tapes[n]
	if t == nil {
		t = ad.NewTape()
		tr.tapes[n] = t
	}
	t.Reset()
	return t
}

// step evaluates the loss on the pairs idx; with train it also takes an
// Adam step. It returns the loss and its parts.
func (tr *trainer) step(idx []int, train bool) (loss, ce, kl float64) {
	tr.d.Gather(&tr.batch, idx)
	n, dd := len(idx), tr.cfg.LatentDim
	tr.eps = grow(tr.eps, n*dd)
	for i := range tr.eps {
		tr.eps[i] = tr.rng.NormFloat64()
	}
	t := tr.tape(n)
	x := t.Const(n, tr.d.D, tr.batch.X)
	l, c, k := tr.m.LossTape(t, x, tr.eps, tr.batch.Labels, tr.batch.Weights)
	if train {
		tr.opt.ZeroGrad()
		t.Backward(l)
		tr.opt.Step()
	}
	return l.Scalar(), c.Scalar(), k.Scalar()
}

// epoch runs one pass over pairs (shuffled if train) and returns the
// batch-size-weighted means of the loss and its parts. A training pass
// checks tr.ctx (if set) before every batch and stops with its error.
func (tr *trainer) epoch(pairs []int, train bool) (loss, ce, kl float64, err error) {
	var rng *rand.Rand
	if train {
		rng = tr.rng
	}
	if cap(tr.order) < len(pairs) {
		tr.order = make([]int, 0, len(pairs))
	}
	err = Batches(pairs, tr.cfg.BatchSize, rng, tr.order, func(b []int) error {
		if train && tr.ctx != nil {
			if err := tr.ctx.Err(); err != nil {
				return err
			}
		}
		l, c, k := tr.step(b, train)
		f := float64(len(b))
		loss, ce, kl = loss+f*l, ce+f*c, kl+f*k
		return nil
	})
	n := float64(len(pairs))
	return loss / n, ce / n, kl / n, err
}

// eval is epoch without training (it cannot fail).
func (tr *trainer) eval(pairs []int) (loss, ce, kl float64) {
	loss, ce, kl, _ = tr.epoch(pairs, false)
	return loss, ce, kl
}

// TrainData trains SPIB on prepared data (labels set; cfg is validated
// here). It updates data.Labels and data.NumStates in place with the labels
// adopted at every refinement, so on return they are the final labels. A
// non-finite training loss stops it with an error naming round and epoch;
// fewer than two remaining states with ErrTooFewStates (the Result is
// returned in both cases).
func TrainData(data *Data, cfg Config, rng *rand.Rand) (*Result, error) {
	if rng == nil {
		return nil, fmt.Errorf("spib: nil *rand.Rand")
	}
	return train(context.Background(), data, cfg, rng, nil, RunOptions{})
}

// TrainDataContext is TrainData drawing every random number from src, with
// cancellation, resuming and per-epoch checkpoints (cfg.Checkpoint, or
// opts for a caller with its own file). Cancellation of
// ctx is checked before every training batch and after every epoch's
// checkpoint; it stops training with ctx.Err() and a nil Result, and the
// last checkpoint continues the run. With the same src state, a run
// resumed from any checkpoint gives the same Result bit for bit as an
// uninterrupted one (Elapsed aside).
func TrainDataContext(ctx context.Context, data *Data, cfg Config, src *rand.PCG, opts RunOptions) (*Result, error) {
	if src == nil {
		return nil, fmt.Errorf("spib: nil *rand.PCG")
	}
	return train(ctx, data, cfg, rand.New(src), src, opts)
}

// train is TrainData and TrainDataContext: rng draws from src when src is
// not nil (needed for checkpoints and resuming).
func train(ctx context.Context, data *Data, cfg Config, rng *rand.Rand, src *rand.PCG, opts RunOptions) (*Result, error) {
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	if data.Labels == nil {
		return nil, fmt.Errorf("spib: no initial labels: set Trajectory.Labels (e.g. with KMeansLabels)")
	}
	if data.NumStates < 2 {
		return nil, fmt.Errorf("spib: initial labels contain %d state(s); SPIB needs at least two", data.NumStates)
	}
	if data.Lag != cfg.Lag {
		return nil, fmt.Errorf("spib: Data built with lag %d but Config.Lag = %d", data.Lag, cfg.Lag)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.Checkpoint != "" {
		if opts, err = pathOptions(data, cfg, src, opts); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	newAdam := func(m *Model) (*ad.Adam, error) {
		return ad.NewAdam(m.Params(), ad.AdamConfig{LR: cfg.LearningRate})
	}
	var st *TrainState
	if st = opts.Resume; st != nil {
		if err := st.check(data, cfg); err != nil {
			return nil, err
		}
		if err := src.UnmarshalBinary(st.RNG); err != nil {
			return nil, fmt.Errorf("spib: resume: RNG state: %w", err)
		}
		copy(data.Labels, st.Labels)
		data.NumStates = st.Model.K
		st.Conv.Tol, st.Conv.Patience = cfg.Tolerance, cfg.patience()
		start = start.Add(-st.Elapsed)
	} else {
		m := NewModel(cfg, data.D, data.NumStates, data.Std, rng)
		if err := m.SetRepresentatives(initialRepresentatives(data, rng)); err != nil {
			return nil, err
		}
		opt, err := newAdam(m)
		if err != nil {
			return nil, err
		}
		st = &TrainState{Model: m, Opt: opt, Conv: Convergence{Tol: cfg.Tolerance, Patience: cfg.patience()}}
	}
	// The state shares the run's labels; history slices are the Result's.
	st.Labels = data.Labels
	m := st.Model
	tr := &trainer{m: m, d: data, cfg: cfg, rng: rng, opt: st.Opt, tapes: map[int]*ad.Tape{}, ctx: ctx}
	res := &Result{Model: m, Data: data}
	trainDst := make([]int, len(data.Train))
	for i, p := range data.Train {
		trainDst[i] = data.Dst[p]
	}
	var stopErr error
	for {
		st.Epoch++
		st.TotalEpoch++
		round, epoch := st.Round, st.Epoch
		es := EpochStats{Round: round, Epoch: epoch, TotalEpoch: st.TotalEpoch, LR: tr.opt.LR(), Trained: m.K}
		if es.TrainLoss, es.TrainCE, es.TrainKL, err = tr.epoch(data.Train, true); err != nil {
			return nil, err
		}
		es.TestLoss, es.TestCE, es.TestKL = tr.eval(data.Test)
		if cfg.LRDecay != 1 {
			tr.opt.Decay(cfg.LRDecay)
		}
		// Relabel the training future frames (as the SPIB reference) to
		// monitor the number of populated states.
		m.encodeInto(&tr.enc, data.X, 0, trainDst, cfg.Workers, false)
		es.NumStates = countStates(tr.enc.labels, m.K)
		es.OptimizerSteps = tr.opt.Steps()
		es.Elapsed = time.Since(start)
		if math.IsNaN(es.TrainLoss) || math.IsInf(es.TrainLoss, 0) {
			res.History, res.Rounds = st.History, st.Rounds
			return res, fmt.Errorf("spib: round %d epoch %d: training loss is %v", round, epoch, es.TrainLoss)
		}
		st.History = append(st.History, es)
		converged := st.Conv.Update(es.TrainLoss)
		done := converged || epoch >= cfg.MaxEpochs
		if err := monitor.Notify(cfg.Observers, es.record(cfg.MaxEpochs, done)); err != nil {
			return nil, fmt.Errorf("spib: round %d epoch %d: %w", round, epoch, err)
		}
		if done {
			last, err := st.endRound(data, cfg, converged)
			if err != nil {
				stopErr = err
				if !errors.Is(err, ErrTooFewStates) {
					res.History, res.Rounds = st.History, st.Rounds
					return res, err
				}
			}
			if last {
				tr.opt = st.Opt
				res.Stopped = fmt.Sprintf("finished %d refinement(s) with %d states", cfg.refinements(), m.K)
				if stopErr != nil {
					res.Stopped = stopErr.Error()
				}
				break
			}
			tr.opt = st.Opt
		}
		if opts.Save != nil {
			if st.RNG, err = src.MarshalBinary(); err != nil {
				return nil, fmt.Errorf("spib: checkpoint: %w", err)
			}
			st.Elapsed = time.Since(start)
			if err := opts.Save(st); err != nil {
				return nil, fmt.Errorf("spib: checkpoint after round %d epoch %d: %w", round, epoch, err)
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	res.History, res.Rounds = st.History, st.Rounds
	if stopErr == nil {
		res.TestLoss, res.TestCE, res.TestKL = tr.eval(data.Test)
		if len(data.Val) > 0 {
			res.ValLoss, res.ValCE, res.ValKL = tr.eval(data.Val)
		}
	}
	res.finish(rng, cfg.Workers)
	return res, stopErr
}

// endRound ends the current round (docs/method.md §2): it relabels every frame by
// argmax of the decoder on z_mean and, unless fewer than two states remain
// (ErrTooFewStates, labels not adopted), adopts the labels and removes the
// empty states. It reports whether training is over; if not, it starts the
// next round: representatives re-picked, prior weights reset, a fresh Adam,
// convergence history forgotten.
func (st *TrainState) endRound(data *Data, cfg Config, converged bool) (last bool, err error) {
	m := st.Model
	enc := m.encodeStd(data.X, data.N, cfg.Workers, false)
	counts := make([]int, m.K)
	for _, l := range enc.labels {
		counts[l]++
	}
	kept := countStates(enc.labels, m.K)
	st.Rounds = append(st.Rounds, RoundStats{Epochs: st.Epoch, Converged: converged, States: m.K, Kept: kept})
	if kept < 2 {
		return true, fmt.Errorf("%w: round %d ended with %d populated state(s)", ErrTooFewStates, st.Round, kept)
	}
	keep := make([]int, 0, m.K)
	newIndex := make([]int, m.K)
	for k, c := range counts {
		newIndex[k] = len(keep)
		if c > 0 {
			keep = append(keep, k)
		}
	}
	// Adopt the new labels and drop empty states (also after the last
	// round, so that Data.Labels = Result.Labels: removing a logit that is
	// never the largest leaves every argmax unchanged).
	for f, l := range enc.labels {
		data.Labels[f] = newIndex[l]
	}
	data.NumStates = len(keep)
	m.keepStates(keep)
	if st.Round >= cfg.refinements() {
		return true, nil
	}
	if err := m.SetRepresentatives(representatives(data, enc.zMean, cfg.LatentDim)); err != nil {
		return true, err
	}
	if st.Opt, err = ad.NewAdam(m.Params(), ad.AdamConfig{LR: cfg.LearningRate}); err != nil {
		return true, err
	}
	st.Conv.Reset()
	st.Round++
	st.Epoch = 0
	return false, nil
}

// check reports whether st can continue a run on data with cfg.
func (st *TrainState) check(data *Data, cfg Config) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("spib: resume: %s", fmt.Sprintf(format, a...))
	}
	switch {
	case st.Model == nil || st.Opt == nil:
		return bad("state without model or optimiser")
	case st.Model.D != data.D:
		return bad("model has %d inputs, the data %d features", st.Model.D, data.D)
	case st.Model.LatentDim() != cfg.LatentDim:
		return bad("model latent dimension %d, Config.LatentDim %d", st.Model.LatentDim(), cfg.LatentDim)
	case st.Model.K < 2:
		return bad("model has %d state(s)", st.Model.K)
	case len(st.Labels) != data.N:
		return bad("%d labels for %d frames", len(st.Labels), data.N)
	case st.Round > cfg.refinements() || st.Round < 0 || st.Epoch < 0 || st.Epoch >= cfg.MaxEpochs:
		return bad("round %d epoch %d outside the run (%d refinements, %d epochs per round)", st.Round, st.Epoch, cfg.refinements(), cfg.MaxEpochs)
	case len(st.History) != st.TotalEpoch:
		return bad("%d epochs of history, the state says %d", len(st.History), st.TotalEpoch)
	}
	for f, l := range st.Labels {
		if l < 0 || l >= st.Model.K {
			return bad("label of frame %d is %d, want 0..%d", f, l, st.Model.K-1)
		}
	}
	return nil
}

// countStates returns the number of distinct labels in 0..K−1.
func countStates(labels []int, K int) int {
	seen := make([]bool, K)
	n := 0
	for _, l := range labels {
		if !seen[l] {
			seen[l] = true
			n++
		}
	}
	return n
}

// finish encodes every frame with the final model.
func (res *Result) finish(rng *rand.Rand, workers int) {
	m, data := res.Model, res.Data
	enc := m.encodeStd(data.X, data.N, workers, true)
	res.ZMean, res.Labels = enc.zMean, enc.labels
	res.ZSample = make([]float64, len(enc.zMean))
	for i, mu := range enc.zMean {
		res.ZSample[i] = mu + math.Exp(0.5*enc.logVar[i])*rng.NormFloat64()
	}
	for i, v := range enc.logP {
		enc.logP[i] = math.Exp(v)
	}
	res.Probs = enc.logP
	res.Populations = Populations(enc.labels, data.Weights, m.K)
}

// Populations returns the (weighted) fraction of frames per state of a
// model with K states (weights nil: every frame counts 1), computed by
// analysis.Populations into a new slice of length K. Labels come from the
// model (0 ≤ l < K), so the only possible error is a zero total weight, for
// which populations are undefined: NaN.
func Populations(labels []int, weights []float64, K int) []float64 {
	pop := make([]float64, K)
	if err := analysis.Populations(pop, labels, weights); err != nil {
		for k := range pop {
			pop[k] = math.NaN()
		}
	}
	return pop
}

// trainSources returns the frames that are x_t of a training pair.
func trainSources(data *Data) []int {
	src := make([]int, len(data.Train))
	for i, p := range data.Train {
		src[i] = data.Src[p]
	}
	return src
}

// initialRepresentatives picks, for every state, a random training input
// frame carrying that label (any frame of the state if no training input
// does), as the SPIB reference does.
func initialRepresentatives(data *Data, rng *rand.Rand) []float64 {
	byState := make([][]int, data.NumStates)
	for _, f := range trainSources(data) {
		byState[data.Labels[f]] = append(byState[data.Labels[f]], f)
	}
	rep := make([]float64, data.NumStates*data.D)
	for k := range byState {
		if len(byState[k]) == 0 {
			for f, l := range data.Labels {
				if l == k {
					byState[k] = append(byState[k], f)
				}
			}
		}
		f := byState[k][rng.IntN(len(byState[k]))]
		copy(rep[k*data.D:(k+1)*data.D], data.Frame(f))
	}
	return rep
}

// representatives picks, for every state k, the training input frame of
// state k whose z_mean is nearest (Euclidean) to the (weighted) mean z_mean
// of the state's training input frames (docs/method.md §2); any frame of the state if
// no training input carries it. zMean is N×d for all frames.
func representatives(data *Data, zMean []float64, d int) []float64 {
	K := data.NumStates
	byState := make([][]int, K)
	for _, f := range trainSources(data) {
		byState[data.Labels[f]] = append(byState[data.Labels[f]], f)
	}
	rep := make([]float64, K*data.D)
	centre := make([]float64, d)
	for k := range byState {
		if len(byState[k]) == 0 {
			for f, l := range data.Labels {
				if l == k {
					byState[k] = append(byState[k], f)
				}
			}
		}
		clear(centre)
		wsum := 0.0
		for _, f := range byState[k] {
			w := 1.0
			if data.Weights != nil {
				w = data.Weights[f]
			}
			for j := range d {
				centre[j] += w * zMean[f*d+j]
			}
			wsum += w
		}
		if wsum == 0 {
			wsum = 1
		}
		for j := range centre {
			centre[j] /= wsum
		}
		best, bestD := byState[k][0], math.Inf(1)
		for _, f := range byState[k] {
			s := 0.0
			for j := range d {
				dz := zMean[f*d+j] - centre[j]
				s += dz * dz
			}
			if s < bestD {
				best, bestD = f, s
			}
		}
		copy(rep[k*data.D:(k+1)*data.D], data.Frame(best))
	}
	return rep
}
