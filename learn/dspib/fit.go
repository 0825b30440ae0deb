package dspib

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/monitor"
	"github.com/dspib/dspib/learn/spib"
)

// Result is a two-phase fit: the D-SPIB model, the phase-1 SPIB model it
// started from (the SPIB baseline), the loss histories and the encoding of
// every input frame by the final model (in Data order: trajectories
// concatenated).
type Result struct {
	Model  *Model // phase 2: SPIB part trained jointly with the prior
	Phase1 *Model // phase 1: SPIB with its VampPrior (Prior nil)
	Data   *spib.Data
	// Phase1History and History are the per-epoch losses of the two phases
	// (History's last Config.PolishEpochs entries are the epochs of the
	// prior alone).
	Phase1History []spib.EpochStats
	History       []EpochStats
	// ZMean is z_mean per frame (N×d); Labels argmax_k p(k|z_mean), Probs the
	// N×K state probabilities, Populations the (weighted) fraction of frames
	// per state.
	ZMean       []float64
	Labels      []int
	Probs       []float64
	Populations []float64
	// Test and Val are the phase-2 losses of the final model on the test
	// and validation pairs (NaN for an empty split).
	Test, Val EpochStats
	// Converged is true if the phase-2 tolerance rule stopped training,
	// false if the epoch cap did. Resumed says whether a checkpoint was used.
	Converged, Resumed bool
	Stopped            string
}

// Fit runs SPIB (phase 1, spib.TrainData) on trajs, which must carry initial
// labels (e.g. spib.KMeansLabels), and then D-SPIB (phase 2) as described in
// the package doc, drawing every random number from src. The same src state
// gives the same result bit for bit, whatever GOMAXPROCS and
// cfg.SPIB.Workers, and so does a run resumed from cfg.Checkpoint.
//
// Cancellation of ctx is checked before every phase-1 training batch,
// after every epoch of both phases (after its checkpoint is written) and at
// the phase boundary; Fit then returns an error wrapping ctx.Err(), and the
// checkpoint keeps the last finished epoch. Resuming needs the same call: a checkpoint written with other
// settings, other trajectories (features, temperatures, initial labels,
// weights) or another initial state of src is refused with an error naming
// which; delete it to start afresh.
func Fit(ctx context.Context, trajs []spib.Trajectory, cfg Config, src *rand.PCG) (*Result, error) {
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	if src == nil {
		return nil, errors.New("dspib: Fit: nil *rand.PCG")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	rng := rand.New(src)
	var fp prints
	if fp.cfg, err = cfg.fingerprint(); err != nil {
		return nil, err
	}
	if fp.in, err = inputFingerprint(trajs, src); err != nil {
		return nil, err
	}
	var st *fitState
	var p1 *phase1State
	if cfg.Checkpoint != "" {
		if _, err := os.Stat(cfg.Checkpoint); err == nil {
			if st, p1, err = loadCheckpoint(cfg.Checkpoint, trajs, cfg, fp, src, rng); err != nil {
				return nil, err
			}
		} else if !os.IsNotExist(err) {
			return nil, fmt.Errorf("dspib: checkpoint: %w", err)
		}
	}
	if st == nil {
		scfg := cfg.SPIB
		scfg.Observers = append(slices.Clip(scfg.Observers), cfg.Observers...)
		var data *spib.Data
		var opts spib.RunOptions
		if p1 != nil {
			data, opts.Resume = p1.data, p1.state
		} else if data, err = spib.NewData(trajs, scfg, rng); err != nil {
			return nil, fmt.Errorf("dspib: %w", err)
		}
		if cfg.Checkpoint != "" {
			opts.Save = func(ts *spib.TrainState) error { return savePhase1(cfg.Checkpoint, ts, data, fp) }
		}
		r1, err := spib.TrainDataContext(ctx, data, scfg, src, opts)
		if err != nil {
			return nil, fmt.Errorf("dspib: phase 1: %w", err)
		}
		if st, err = newFitState(r1.Model, data, r1.History, cfg, rng); err != nil {
			return nil, err
		}
		st.resumed = p1 != nil
		if cfg.Checkpoint != "" {
			if err := st.save(cfg.Checkpoint, fp, src); err != nil {
				return nil, err
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return st.run(ctx, cfg, fp, src, start)
}

// fitState is everything phase 2 needs to continue: what a checkpoint holds.
type fitState struct {
	data    *spib.Data
	phase1  *spib.Model
	tr      *trainer
	hist1   []spib.EpochStats
	hist    []EpochStats
	resumed bool
}

// newFitState starts phase 2 from a phase-1 model: a copy of it, a new
// diffusion prior (T_ref the lowest training temperature unless set) and a
// fresh Adam over encoder, decoder and prior.
func newFitState(m1 *spib.Model, data *spib.Data, hist1 []spib.EpochStats, cfg Config, rng *rand.Rand) (*fitState, error) {
	pc := cfg.Prior
	if pc.KTRef == 0 {
		pc.KTRef = math.Inf(1)
		for _, kT := range data.KT {
			pc.KTRef = min(pc.KTRef, kT)
		}
	}
	p, err := diffusion.New(pc, rng)
	if err != nil {
		return nil, fmt.Errorf("dspib: Config.Prior: %w", err)
	}
	tr, err := newTrainer(m1.Clone(), p, data, cfg, rng)
	if err != nil {
		return nil, err
	}
	return &fitState{data: data, phase1: m1, tr: tr, hist1: hist1}, nil
}

// run trains phase 2 until convergence or the cap, checkpointing every
// epoch, and finishes the result.
func (st *fitState) run(ctx context.Context, cfg Config, fp prints, src *rand.PCG, start time.Time) (*Result, error) {
	defer st.tr.close()
	if cfg.StopOn == StopHeldOut && len(st.data.Test) == 0 {
		return nil, fmt.Errorf("dspib: Config.StopOn = %v watches the test pairs' diffusion loss, but the test split is empty (SPIB.TestFraction)", cfg.StopOn)
	}
	conv := newConverger(cfg, (len(st.data.Train)+cfg.SPIB.BatchSize-1)/cfg.SPIB.BatchSize)
	// joint is the number of jointly trained epochs once the rule (or the
	// cap) has stopped them, 0 before; the epochs after it in st.hist
	// trained the prior alone (Config.PolishEpochs).
	joint := 0
	for i, h := range st.hist {
		if conv.update(h) {
			joint = i + 1
			break
		}
	}
	maxEpochs := cfg.MaxEpochs + cfg.PolishEpochs
	for epoch := len(st.hist) + 1; joint == 0 || epoch <= joint+cfg.PolishEpochs; epoch++ {
		if joint > 0 {
			st.tr.gen.polish(st.tr.m)
		}
		es, err := st.tr.runEpoch(epoch, start)
		if err != nil {
			return nil, err
		}
		st.hist = append(st.hist, es)
		if joint == 0 && conv.update(es) {
			joint = epoch
		}
		done := joint > 0 && epoch == joint+cfg.PolishEpochs
		if err := monitor.Notify(cfg.Observers, es.record(maxEpochs, done)); err != nil {
			return nil, fmt.Errorf("dspib: phase 2 epoch %d: %w", epoch, err)
		}
		if cfg.Checkpoint != "" {
			if err := st.save(cfg.Checkpoint, fp, src); err != nil {
				return nil, err
			}
		}
		if err := ctx.Err(); err != nil && !done {
			return nil, err
		}
	}
	// From here on the prior holds the weights the model samples with.
	st.tr.gen.sampling()
	res := &Result{
		Model:         &Model{SPIB: st.tr.m, Prior: st.tr.p},
		Phase1:        &Model{SPIB: st.phase1},
		Data:          st.data,
		Phase1History: st.hist1,
		History:       st.hist,
		Converged:     conv.converged,
		Resumed:       st.resumed,
	}
	switch {
	case res.Converged && cfg.StopOn == StopHeldOut:
		res.Stopped = fmt.Sprintf("phase 2 converged after %d epochs (held-out diffusion loss stopped improving)", joint)
	case res.Converged:
		res.Stopped = fmt.Sprintf("phase 2 converged after %d epochs (CE and diffusion loss stopped improving)", joint)
	default:
		res.Stopped = fmt.Sprintf("phase 2 reached the cap of %d epochs", cfg.MaxEpochs)
	}
	if cfg.PolishEpochs > 0 {
		res.Stopped += fmt.Sprintf(", then %d epochs of the prior alone", cfg.PolishEpochs)
	}
	if err := st.finish(res, cfg); err != nil {
		return nil, err
	}
	return res, nil
}

// finish evaluates the final model on the test and validation pairs and
// encodes every frame.
func (st *fitState) finish(res *Result, cfg Config) error {
	tr := st.tr
	var err error
	ev := func(pairs []int, e *EpochStats) {
		if err != nil {
			return
		}
		e.Epoch = len(st.hist)
		var m epochMeans
		m, err = tr.epoch(pairs, false)
		e.TestCE, e.TestLogQ, e.TestDiff = m.ce, m.lq, m.df
		e.TestLoss = cfg.total(e.TestCE, e.TestLogQ, e.TestDiff)
	}
	ev(st.data.Test, &res.Test)
	ev(st.data.Val, &res.Val)
	if err != nil {
		return err
	}
	m, d := tr.m, st.data
	res.ZMean, _, res.Labels, err = m.EncodeData(d, cfg.SPIB.Workers)
	if err != nil {
		return err
	}
	res.Probs = stateProbs(m, res.ZMean)
	res.Populations = spib.Populations(res.Labels, d.Weights, m.K)
	return nil
}

// stateProbs returns p(k|z) (N×K) for the N×d latents z by the decoder.
func stateProbs(m *spib.Model, z []float64) []float64 {
	d, K := m.LatentDim(), m.K
	n := len(z) / d
	out := make([]float64, n*K)
	const chunk = 4096
	t := ad.NewTape()
	for a := 0; a < n; a += chunk {
		b := min(n, a+chunk)
		t.Reset()
		lp := m.DecodeTape(t, t.Const(b-a, d, z[a*d:b*d]))
		for i, v := range lp.Data {
			out[a*K+i] = math.Exp(v)
		}
	}
	return out
}
