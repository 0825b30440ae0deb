package dspib

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/spib"
)

// Checkpoint format: one learn/ad tensor file (ad.SaveCheckpoint, written
// atomically). During phase 1 it is a spib.TrainState (spib.TrainState.Save:
// parameters, adam.*, spib.*) plus the dspib tensors marked (1) below; from
// the phase boundary on it holds
//
//	enc.*, dec.*, prior.theta    the phase-2 SPIB part (spib names)
//	eps.*, diffusion.*           the diffusion prior (diffusion.Prior.Tensors)
//	adam.*                       the phase-2 Adam state
//	phase1/<name>, phase1/rep    the phase-1 SPIB parameters and representatives (K×D)
//	spib.rep                     representatives of the phase-2 SPIB part (K×D, standardised)
//	spib.std.mean, spib.std.std  (1) the standardisation (1×D), to recognise the data
//	dspib.meta                   (1) 1×11: version, settings fingerprint (hi, lo 32 bits), N, D, K, d,
//	                             epochs done (of the phase), input fingerprint (hi, lo 32 bits), phase (1 or 2)
//	dspib.rng                    the *rand.PCG state (MarshalBinary), one byte per entry
//	dspib.labels                 the adopted labels, one per frame
//	dspib.train/test/val         (1) the pair indices of each split
//	dspib.hist1, dspib.hist2     phase-1 (spib.HistoryTensor) and phase-2 (15 columns; 14 without
//	                             TestDiffSE are read too) histories
//	ema/*, ema.meta              the prior's weight average (diffusion.EMA; absent with EMADecay < 0)
//
// Integer lists are stored as 1×(n+1) rows whose first entry is n
// (spib.IntsTensor), so that empty lists need no empty tensor. Every float
// is stored bit-exactly.
const checkpointVersion = 3

const (
	hist2Cols = 15
	// hist2ColsOld is the width before TestDiffSE.
	hist2ColsOld = 14
	metaLen      = 11
	phase1Pre    = "phase1/"
)

func hist2Row(h EpochStats) []float64 {
	return []float64{float64(h.Epoch), h.TrainLoss, h.TrainCE, h.TrainLogQ, h.TrainDiff, h.TestLoss, h.TestCE,
		h.TestLogQ, h.TestDiff, h.LR, float64(h.OptimizerSteps), float64(h.Elapsed), h.TrainCESE, h.TrainDiffSE, h.TestDiffSE}
}

func hist2From(r []float64) EpochStats {
	return EpochStats{Epoch: int(r[0]), TrainLoss: r[1], TrainCE: r[2], TrainLogQ: r[3], TrainDiff: r[4],
		TestLoss: r[5], TestCE: r[6], TestLogQ: r[7], TestDiff: r[8], LR: r[9], OptimizerSteps: int(r[10]),
		Elapsed: time.Duration(r[11]), TrainCESE: r[12], TrainDiffSE: r[13], TestDiffSE: at(r, 14)}
}

// at returns r[i], or 0 past its end (a row of an older, narrower history).
func at(r []float64, i int) float64 {
	if i < len(r) {
		return r[i]
	}
	return 0
}

// dataTensors are the tensors both phases' checkpoints carry: the metadata
// (phase, K, epochs done), the standardisation and the split.
func dataTensors(d *spib.Data, fp prints, phase, K, dim, epochs int) []ad.Tensor {
	meta := []float64{checkpointVersion, float64(fp.cfg >> 32), float64(fp.cfg & 0xffffffff), float64(d.N), float64(d.D),
		float64(K), float64(dim), float64(epochs), float64(fp.in >> 32), float64(fp.in & 0xffffffff), float64(phase)}
	return []ad.Tensor{
		{Name: "spib.std.mean", Rows: 1, Cols: d.D, Data: d.Std.Mean},
		{Name: "spib.std.std", Rows: 1, Cols: d.D, Data: d.Std.Std},
		{Name: "dspib.meta", Rows: 1, Cols: len(meta), Data: meta},
		spib.IntsTensor("dspib.train", d.Train),
		spib.IntsTensor("dspib.test", d.Test),
		spib.IntsTensor("dspib.val", d.Val),
	}
}

// savePhase1 writes the phase-1 checkpoint: the SPIB training state and
// the data tensors.
func savePhase1(path string, ts *spib.TrainState, d *spib.Data, fp prints) error {
	if err := ts.Save(path, dataTensors(d, fp, 1, ts.Model.K, ts.Model.LatentDim(), ts.TotalEpoch)...); err != nil {
		return fmt.Errorf("dspib: checkpoint: %w", err)
	}
	return nil
}

// save writes the phase-2 checkpoint atomically.
func (st *fitState) save(path string, fp prints, src *rand.PCG) error {
	tr := st.tr
	m, d := tr.m, st.data
	pnames := map[string]bool{}
	for _, p := range tr.p.Params() {
		pnames[p.Name] = true
	}
	var extra []ad.Tensor
	for _, t := range tr.p.Tensors() {
		if !pnames[t.Name] {
			extra = append(extra, t)
		}
	}
	for _, t := range ad.ParamTensors(st.phase1.Params()) {
		t.Name = phase1Pre + t.Name
		extra = append(extra, t)
	}
	rb, err := src.MarshalBinary()
	if err != nil {
		return fmt.Errorf("dspib: checkpoint: %w", err)
	}
	rng := make([]int, len(rb))
	for i, b := range rb {
		rng[i] = int(b)
	}
	h2 := make([][]float64, len(st.hist))
	for i, h := range st.hist {
		h2[i] = hist2Row(h)
	}
	extra = append(extra,
		ad.Tensor{Name: phase1Pre + "rep", Rows: st.phase1.K, Cols: d.D, Data: st.phase1.RepInputs},
		ad.Tensor{Name: "spib.rep", Rows: m.K, Cols: d.D, Data: m.RepInputs},
		spib.IntsTensor("dspib.rng", rng),
		spib.IntsTensor("dspib.labels", d.Labels),
		spib.HistoryTensor("dspib.hist1", st.hist1),
		spib.RowsTensor("dspib.hist2", h2, hist2Cols),
	)
	extra = append(extra, dataTensors(d, fp, 2, m.K, m.LatentDim(), len(st.hist))...)
	extra = append(extra, tr.gen.tensors()...)
	if err := ad.SaveCheckpoint(path, tr.checkpointParams(), tr.opt, extra...); err != nil {
		return fmt.Errorf("dspib: checkpoint: %w", err)
	}
	return nil
}

// phase1State is what a phase-1 checkpoint resumes: the data (split as
// when the run started) and the SPIB training state.
type phase1State struct {
	data  *spib.Data
	state *spib.TrainState
}

// loadCheckpoint reads the checkpoint at path, for the data trajs and
// settings cfg (fingerprints fp): a phase-1 checkpoint gives the SPIB
// training state to resume, a phase-2 one the phase-2 state (and restores
// src; for phase 1 spib does that when it resumes).
func loadCheckpoint(path string, trajs []spib.Trajectory, cfg Config, fp prints, src *rand.PCG, rng *rand.Rand) (*fitState, *phase1State, error) {
	fail := func(format string, a ...any) (*fitState, *phase1State, error) {
		return nil, nil, fmt.Errorf("dspib: checkpoint %s: %s", path, fmt.Sprintf(format, a...))
	}
	ts, err := ad.LoadTensors(path)
	if err != nil {
		return nil, nil, fmt.Errorf("dspib: checkpoint: %w", err)
	}
	by := spib.IndexTensors(ts)
	need := by.Get
	meta, ok := by["dspib.meta"]
	if !ok || tlen(meta) < 1 {
		return fail("not a D-SPIB fit checkpoint (tensor dspib.meta missing or malformed)")
	}
	md := meta.Data
	if md[0] != checkpointVersion {
		return fail("format version %g, want %d", md[0], checkpointVersion)
	}
	if tlen(meta) != metaLen {
		return fail("tensor dspib.meta has %d entries, want %d", tlen(meta), metaLen)
	}
	if uint64(md[1])<<32|uint64(md[2]) != fp.cfg {
		return fail("written with different settings (SPIB, prior, λ, learning rate, decay or epoch cap differ); restore them or delete the checkpoint to start afresh")
	}
	if uint64(md[8])<<32|uint64(md[9]) != fp.in {
		return fail("written for other data or another seed (features, temperatures, initial labels, weights or the initial RNG state differ); delete the checkpoint to start afresh")
	}
	N, D, K, dd, epochs, phase := int(md[3]), int(md[4]), int(md[5]), int(md[6]), int(md[7]), md[10]
	if dd != cfg.SPIB.LatentDim {
		return fail("latent dimension %d, settings say %d", dd, cfg.SPIB.LatentDim)
	}
	data, err := spib.NewData(trajs, cfg.SPIB, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("dspib: %w", err)
	}
	if data.N != N || data.D != D {
		return fail("written for %d frames × %d features, the data have %d × %d", N, D, data.N, data.D)
	}
	for _, s := range []struct {
		name string
		v    []float64
	}{{"spib.std.mean", data.Std.Mean}, {"spib.std.std", data.Std.Std}} {
		t, ok := by[s.name]
		if !ok || tlen(t) != D {
			return fail("tensor %s missing or malformed", s.name)
		}
		for j := range D {
			if math.Float64bits(t.Data[j]) != math.Float64bits(s.v[j]) {
				return fail("written for other data (feature %d: %s %g, data give %g)", j, s.name, t.Data[j], s.v[j])
			}
		}
	}
	np := len(data.Src)
	for _, sp := range []struct {
		name string
		dst  *[]int
	}{{"dspib.train", &data.Train}, {"dspib.test", &data.Test}, {"dspib.val", &data.Val}} {
		if *sp.dst, err = spib.TensorInts(need(sp.name), -1, np); err != nil {
			return fail("%v", err)
		}
	}
	switch phase {
	case 1:
		st, _, err := spib.LoadTrainState(path, data, cfg.SPIB)
		if err != nil {
			return nil, nil, fmt.Errorf("dspib: phase 1: %w", err)
		}
		if st.TotalEpoch != epochs || st.Model.K != K {
			return fail("SPIB state at epoch %d with %d states, meta says %d and %d", st.TotalEpoch, st.Model.K, epochs, K)
		}
		return nil, &phase1State{data: data, state: st}, nil
	case 2:
	default:
		return fail("phase %g, want 1 or 2", phase)
	}
	// Checked before anything is sized by K: the K×D representatives are
	// stored, so a K that the file does not back is refused unallocated.
	for _, name := range []string{phase1Pre + "rep", "spib.rep"} {
		if t, ok := by[name]; !ok || t.Rows != K || t.Cols != D {
			return fail("tensor %s missing or not %d×%d", name, K, D)
		}
	}
	if data.Labels, err = spib.TensorInts(need("dspib.labels"), N, K); err != nil {
		return fail("%v", err)
	}
	data.NumStates = K
	p, err := diffusion.FromTensors(ts)
	if err != nil {
		return fail("%v", err)
	}
	if p.Config().Dim != dd {
		return fail("prior latent dimension %d, want %d", p.Config().Dim, dd)
	}
	throw := rand.New(rand.NewPCG(0, 0))
	m2 := spib.NewModel(cfg.SPIB, D, K, data.Std, throw)
	tr, err := newTrainer(m2, p, data, cfg, rng)
	if err != nil {
		return nil, nil, err
	}
	if _, err := ad.LoadCheckpoint(path, tr.checkpointParams(), tr.opt); err != nil {
		return nil, nil, fmt.Errorf("dspib: checkpoint from another model shape: %w", err)
	}
	m1 := spib.NewModel(cfg.SPIB, D, K, data.Std, throw)
	for _, q := range m1.Params() {
		t, ok := by[phase1Pre+q.Name]
		if !ok || t.Rows != q.Rows || t.Cols != q.Cols {
			return fail("tensor %s%s missing or not %d×%d", phase1Pre, q.Name, q.Rows, q.Cols)
		}
		copy(q.Data, t.Data)
	}
	for _, r := range []struct {
		name string
		dst  []float64
	}{{phase1Pre + "rep", m1.RepInputs}, {"spib.rep", m2.RepInputs}} {
		t, ok := by[r.name]
		if !ok || t.Rows != K || t.Cols != D {
			return fail("tensor %s missing or not %d×%d", r.name, K, D)
		}
		copy(r.dst, t.Data)
	}
	st := &fitState{data: data, phase1: m1, tr: tr, resumed: true}
	if st.hist1, err = spib.HistoryFromTensor(need("dspib.hist1")); err != nil {
		return fail("%v", err)
	}
	rows, err := spib.TensorRows(need("dspib.hist2"), hist2Cols)
	if err != nil {
		if rows, err = spib.TensorRows(need("dspib.hist2"), hist2ColsOld); err != nil {
			return fail("%v", err)
		}
	}
	if err := tr.gen.restore(ts); err != nil {
		return fail("%v", err)
	}
	for _, r := range rows {
		st.hist = append(st.hist, hist2From(r))
	}
	if len(st.hist) != epochs {
		return fail("%d phase-2 epochs in the history, meta says %d", len(st.hist), epochs)
	}
	rb, err := spib.TensorInts(need("dspib.rng"), -1, 256)
	if err != nil {
		return fail("%v", err)
	}
	b := make([]byte, len(rb))
	for i, v := range rb {
		b[i] = byte(v)
	}
	if err := src.UnmarshalBinary(b); err != nil {
		return fail("RNG state: %v", err)
	}
	return st, nil, nil
}

func tlen(t ad.Tensor) int { return t.Rows * t.Cols }

// prints are the fingerprints a checkpoint must match: the settings and the
// inputs of Fit.
type prints struct{ cfg, in uint64 }

// inputFingerprint hashes (FNV-1a, 64 bits) everything Fit's result depends
// on besides the settings: every trajectory's temperature, features,
// initial labels and weights, and the initial state of src.
func inputFingerprint(trajs []spib.Trajectory, src *rand.PCG) (uint64, error) {
	h := fnv.New64a()
	var b [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	rb, err := src.MarshalBinary()
	if err != nil {
		return 0, fmt.Errorf("dspib: %w", err)
	}
	h.Write(rb)
	put(uint64(len(trajs)))
	for _, t := range trajs {
		put(math.Float64bits(t.KT))
		put(uint64(len(t.Features)))
		for _, row := range t.Features {
			put(uint64(len(row)))
			for _, v := range row {
				put(math.Float64bits(v))
			}
		}
		put(uint64(len(t.Labels)))
		for _, l := range t.Labels {
			put(uint64(l))
		}
		put(uint64(len(t.Weights)))
		for _, w := range t.Weights {
			put(math.Float64bits(w))
		}
	}
	return h.Sum64(), nil
}
