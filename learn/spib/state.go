package spib

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math"
	"math/rand/v2"
	"time"

	"github.com/dspib/dspib/learn/ad"
)

// Checkpoint format of a TrainState: one learn/ad tensor file
// (ad.SaveCheckpoint, written atomically) holding
//
//	enc.*, dec.*, prior.theta   the parameters (Model.Params names)
//	adam.*                      the round's Adam state
//	spib.rep                    the representatives (K×D, standardised)
//	spib.state                  1×11: version, round, epoch, total epochs, K, D, d,
//	                            convergence (previous loss, started 0/1, unchanged epochs),
//	                            elapsed [ns]
//	spib.labels                 the adopted labels, one per frame
//	spib.hist, spib.rounds      EpochStats (14 columns) and RoundStats (4 columns)
//	spib.rng                    the *rand.PCG state, one byte per entry
//
// plus any tensors of the caller. Integer lists and row lists are stored as
// 1×(n·cols+1) rows whose first entry is n. Every float is stored
// bit-exactly.
const stateVersion = 1

const (
	histCols   = 14
	roundsCols = 4
	stateLen   = 11
)

// spibTensor reports whether name is one of the tensors Save writes besides
// the parameters and the optimiser.
func spibTensor(name string) bool {
	switch name {
	case "spib.rep", "spib.state", "spib.labels", "spib.hist", "spib.rounds", "spib.rng":
		return true
	}
	return false
}

// Save writes st to path atomically (learn/ad's checkpoint format, see the
// list above), with the caller's extra tensors, whose names must differ
// from those.
func (st *TrainState) Save(path string, extra ...ad.Tensor) error {
	for _, t := range extra {
		if spibTensor(t.Name) {
			return fmt.Errorf("spib: TrainState.Save: extra tensor name %q is reserved", t.Name)
		}
	}
	m := st.Model
	c := st.Conv
	started := 0.0
	if c.started {
		started = 1
	}
	meta := []float64{stateVersion, float64(st.Round), float64(st.Epoch), float64(st.TotalEpoch), float64(m.K),
		float64(m.D), float64(m.LatentDim()), c.prev, started, float64(c.unchanged), float64(st.Elapsed)}
	rounds := make([][]float64, len(st.Rounds))
	for i, r := range st.Rounds {
		conv := 0.0
		if r.Converged {
			conv = 1
		}
		rounds[i] = []float64{float64(r.Epochs), conv, float64(r.States), float64(r.Kept)}
	}
	rng := make([]int, len(st.RNG))
	for i, b := range st.RNG {
		rng[i] = int(b)
	}
	ts := append([]ad.Tensor{
		{Name: "spib.rep", Rows: m.K, Cols: m.D, Data: m.RepInputs},
		{Name: "spib.state", Rows: 1, Cols: len(meta), Data: meta},
		IntsTensor("spib.labels", st.Labels),
		HistoryTensor("spib.hist", st.History),
		RowsTensor("spib.rounds", rounds, roundsCols),
		IntsTensor("spib.rng", rng),
	}, extra...)
	if err := ad.SaveCheckpoint(path, m.Params(), st.Opt, ts...); err != nil {
		return fmt.Errorf("spib: TrainState.Save: %w", err)
	}
	return nil
}

// LoadTrainState reads a state written by TrainState.Save, to continue a run
// on data with cfg (TrainDataContext with RunOptions.Resume), and returns
// the caller's extra tensors. A file of another model shape, other data
// (frames, features) or a damaged one is an error naming the problem.
func LoadTrainState(path string, data *Data, cfg Config) (*TrainState, []ad.Tensor, error) {
	fail := func(format string, a ...any) (*TrainState, []ad.Tensor, error) {
		return nil, nil, fmt.Errorf("spib: checkpoint %s: %s", path, fmt.Sprintf(format, a...))
	}
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, nil, err
	}
	all, err := ad.LoadTensors(path)
	if err != nil {
		return nil, nil, fmt.Errorf("spib: checkpoint: %w", err)
	}
	by := IndexTensors(all)
	need := by.Get
	meta, ok := by["spib.state"]
	if !ok || len(meta.Data) != stateLen {
		return fail("not a SPIB training state (tensor spib.state missing or malformed)")
	}
	md := meta.Data
	if md[0] != stateVersion {
		return fail("format version %g, want %d", md[0], stateVersion)
	}
	for i, v := range md[1:7] {
		if v < 0 || v != math.Trunc(v) || v > math.MaxInt32 {
			return fail("spib.state[%d] = %g, want a non-negative integer", i+1, v)
		}
	}
	K, D, d := int(md[4]), int(md[5]), int(md[6])
	if D != data.D || d != cfg.LatentDim {
		return fail("written for %d features and %d latent dimensions, have %d and %d", D, d, data.D, cfg.LatentDim)
	}
	if K < 2 {
		return fail("%d state(s), want ≥ 2", K)
	}
	// Checked before NewModel sizes the model by K: the K×D representatives
	// are stored, so a K the file does not back is refused unallocated.
	rep, ok := by["spib.rep"]
	if !ok || rep.Rows != K || rep.Cols != D {
		return fail("tensor spib.rep missing or not %d×%d", K, D)
	}
	st := &TrainState{Round: int(md[1]), Epoch: int(md[2]), TotalEpoch: int(md[3]),
		Elapsed: time.Duration(md[10])}
	st.Conv = Convergence{Tol: cfg.Tolerance, Patience: cfg.patience(), prev: md[7], started: md[8] != 0, unchanged: int(md[9])}
	// The parameter values are overwritten below; the initialisation RNG
	// only has to exist.
	st.Model = NewModel(cfg, D, K, data.Std, rand.New(rand.NewPCG(0, 0)))
	if st.Opt, err = ad.NewAdam(st.Model.Params(), ad.AdamConfig{LR: cfg.LearningRate}); err != nil {
		return nil, nil, err
	}
	extra, err := ad.LoadCheckpoint(path, st.Model.Params(), st.Opt)
	if err != nil {
		return nil, nil, fmt.Errorf("spib: checkpoint from another model shape: %w", err)
	}
	copy(st.Model.RepInputs, rep.Data)
	if st.Labels, err = TensorInts(need("spib.labels"), data.N, K); err != nil {
		return fail("%v", err)
	}
	if st.History, err = HistoryFromTensor(need("spib.hist")); err != nil {
		return fail("%v", err)
	}
	rounds, err := TensorRows(need("spib.rounds"), roundsCols)
	if err != nil {
		return fail("%v", err)
	}
	for _, r := range rounds {
		st.Rounds = append(st.Rounds, RoundStats{Epochs: int(r[0]), Converged: r[1] != 0, States: int(r[2]), Kept: int(r[3])})
	}
	rng, err := TensorInts(need("spib.rng"), -1, 256)
	if err != nil {
		return fail("%v", err)
	}
	st.RNG = make([]byte, len(rng))
	for i, b := range rng {
		st.RNG[i] = byte(b)
	}
	if err := st.check(data, cfg); err != nil {
		return fail("%v", err)
	}
	var rest []ad.Tensor
	for _, t := range extra {
		if !spibTensor(t.Name) {
			rest = append(rest, t)
		}
	}
	return st, rest, nil
}

// TensorIndex maps a checkpoint's tensor names to its tensors.
type TensorIndex map[string]ad.Tensor

// IndexTensors indexes ts by name.
func IndexTensors(ts []ad.Tensor) TensorIndex {
	by := make(TensorIndex, len(ts))
	for _, t := range ts {
		by[t.Name] = t
	}
	return by
}

// Get returns the named tensor; a missing one comes back empty (0×0, so
// TensorInts and TensorRows report it as missing or malformed) but named.
func (ix TensorIndex) Get(name string) ad.Tensor {
	t := ix[name]
	t.Name = name
	return t
}

// IntsTensor stores the integers v as a 1×(n+1) tensor whose first entry
// is n (so that an empty list needs no empty tensor).
func IntsTensor(name string, v []int) ad.Tensor {
	d := make([]float64, len(v)+1)
	d[0] = float64(len(v))
	for i, x := range v {
		d[i+1] = float64(x)
	}
	return ad.Tensor{Name: name, Rows: 1, Cols: len(d), Data: d}
}

// TensorInts reads a tensor written by IntsTensor, checking that it holds n
// integers (any number if n < 0), each in [0, bound).
func TensorInts(t ad.Tensor, n, bound int) ([]int, error) {
	l := t.Rows * t.Cols
	if t.Name == "" || l < 1 || t.Data[0] != float64(l-1) || (n >= 0 && l-1 != n) {
		return nil, fmt.Errorf("tensor %q missing or malformed (want %d integers)", t.Name, n)
	}
	out := make([]int, l-1)
	for i, v := range t.Data[1:] {
		if v < 0 || v >= float64(bound) || v != math.Trunc(v) {
			return nil, fmt.Errorf("%s[%d] = %g, want an integer in [0, %d)", t.Name, i, v, bound)
		}
		out[i] = int(v)
	}
	return out, nil
}

// RowsTensor stores rows of cols numbers each as a 1×(n·cols+1) tensor whose
// first entry is the number of rows n.
func RowsTensor(name string, rows [][]float64, cols int) ad.Tensor {
	d := make([]float64, 1, 1+len(rows)*cols)
	d[0] = float64(len(rows))
	for _, r := range rows {
		d = append(d, r[:cols]...)
	}
	return ad.Tensor{Name: name, Rows: 1, Cols: len(d), Data: d}
}

// TensorRows reads a tensor written by RowsTensor (the rows share its data).
func TensorRows(t ad.Tensor, cols int) ([][]float64, error) {
	l := t.Rows * t.Cols
	// Data[0] is bounded by l−1 before the int conversion: a huge value
	// converts to an arbitrary int, and 2⁶³ times an even cols wraps to 0.
	if t.Name == "" || l < 1 || !(t.Data[0] >= 0 && t.Data[0] <= float64(l-1)) || t.Data[0] != math.Trunc(t.Data[0]) ||
		int(t.Data[0])*cols != l-1 {
		return nil, fmt.Errorf("tensor %q missing or malformed (want rows of %d numbers)", t.Name, cols)
	}
	rows := make([][]float64, int(t.Data[0]))
	for i := range rows {
		rows[i] = t.Data[1+i*cols : 1+(i+1)*cols]
	}
	return rows, nil
}

// HistoryTensor stores a training history bit-exactly (RowsTensor, 14
// columns: round, epoch, total epoch, train loss/CE/KL, test loss/CE/KL,
// states, trained states, optimiser steps, learning rate, elapsed [ns]).
func HistoryTensor(name string, h []EpochStats) ad.Tensor {
	rows := make([][]float64, len(h))
	for i, e := range h {
		rows[i] = []float64{float64(e.Round), float64(e.Epoch), float64(e.TotalEpoch), e.TrainLoss, e.TrainCE, e.TrainKL,
			e.TestLoss, e.TestCE, e.TestKL, float64(e.NumStates), float64(e.Trained), float64(e.OptimizerSteps), e.LR,
			float64(e.Elapsed)}
	}
	return RowsTensor(name, rows, histCols)
}

// HistoryFromTensor reads a tensor written by HistoryTensor.
func HistoryFromTensor(t ad.Tensor) ([]EpochStats, error) {
	rows, err := TensorRows(t, histCols)
	if err != nil {
		return nil, err
	}
	h := make([]EpochStats, len(rows))
	for i, r := range rows {
		h[i] = EpochStats{Round: int(r[0]), Epoch: int(r[1]), TotalEpoch: int(r[2]), TrainLoss: r[3], TrainCE: r[4],
			TrainKL: r[5], TestLoss: r[6], TestCE: r[7], TestKL: r[8], NumStates: int(r[9]), Trained: int(r[10]),
			OptimizerSteps: int(r[11]), LR: r[12], Elapsed: time.Duration(r[13])}
	}
	return h, nil
}

// runTensor names the tensor with which a Config.Checkpoint file records
// its run: 1×2, the fingerprint's high and low 32 bits (runFingerprint).
const runTensor = "spib.run"

// pathOptions returns the RunOptions of cfg.Checkpoint: resume from the
// file if it exists (refusing one of another run), save to it after every
// epoch.
func pathOptions(data *Data, cfg Config, src *rand.PCG, opts RunOptions) (RunOptions, error) {
	path := cfg.Checkpoint
	switch {
	case src == nil:
		return opts, fmt.Errorf("spib: Config.Checkpoint needs TrainContext or TrainDataContext (a *rand.PCG whose state can be saved)")
	case opts.Resume != nil || opts.Save != nil:
		return opts, fmt.Errorf("spib: Config.Checkpoint and RunOptions both set: give one")
	}
	fp, err := runFingerprint(data, cfg, src)
	if err != nil {
		return opts, err
	}
	mark := ad.Tensor{Name: runTensor, Rows: 1, Cols: 2, Data: []float64{float64(fp >> 32), float64(fp & 0xffffffff)}}
	opts.Save = func(st *TrainState) error { return st.Save(path, mark) }
	ts, err := ad.LoadTensors(path)
	if errors.Is(err, fs.ErrNotExist) {
		return opts, nil
	}
	if err != nil {
		return opts, fmt.Errorf("spib: checkpoint: %w", err)
	}
	t, ok := IndexTensors(ts)[runTensor]
	if !ok || len(t.Data) != 2 {
		return opts, fmt.Errorf("spib: checkpoint %s: not the training state of a SPIB run (tensor %s missing); delete it to start afresh", path, runTensor)
	}
	if uint64(t.Data[0])<<32|uint64(t.Data[1]) != fp {
		return opts, fmt.Errorf("spib: checkpoint %s: written for other data, settings or another seed; delete it to start afresh", path)
	}
	if opts.Resume, _, err = LoadTrainState(path, data, cfg); err != nil {
		return opts, err
	}
	return opts, nil
}

// runFingerprint hashes (FNV-1a, 64 bits) what a run resumed from
// Config.Checkpoint must share with the run that wrote it: the settings
// (but Workers), the data (features, temperatures, weights, initial
// labels, trajectories, lag and split) and the state of src.
func runFingerprint(d *Data, cfg Config, src *rand.PCG) (uint64, error) {
	cfg.Workers = 0
	cj, err := MarshalConfig(cfg)
	if err != nil {
		return 0, err
	}
	rb, err := src.MarshalBinary()
	if err != nil {
		return 0, fmt.Errorf("spib: %w", err)
	}
	h := fnv.New64a()
	h.Write(cj)
	h.Write(rb)
	var b [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	for _, xs := range [][]float64{d.X, d.KT, d.Weights} {
		put(uint64(len(xs)))
		for _, v := range xs {
			put(math.Float64bits(v))
		}
	}
	for _, is := range [][]int{{d.D, d.Lag}, d.Labels, d.TrajStart, d.Train, d.Test, d.Val} {
		put(uint64(len(is)))
		for _, v := range is {
			put(uint64(v))
		}
	}
	return h.Sum64(), nil
}
