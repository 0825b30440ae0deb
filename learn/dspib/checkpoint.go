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
// atomically) holding
//
//	enc.*, dec.*, prior.theta    the phase-2 SPIB part (spib names)
//	eps.*, diffusion.*           the diffusion prior (diffusion.Prior.Tensors)
//	adam.*                       the phase-2 Adam state
//	phase1/<name>, phase1/rep    the phase-1 SPIB parameters and representatives (K×D)
//	spib.rep                     representatives of the phase-2 SPIB part (K×D, standardised)
//	spib.std.mean, spib.std.std  the standardisation (1×D), to recognise the data
//	dspib.meta                   1×10: version, settings fingerprint (hi, lo 32 bits), N, D, K, d,
//	                             epochs done, input fingerprint (hi, lo 32 bits)
//	dspib.rng                    the *rand.PCG state (MarshalBinary), one byte per entry
//	dspib.labels                 the adopted labels, one per frame
//	dspib.train/test/val         the pair indices of each split
//	dspib.hist1, dspib.hist2     phase-1 (14 columns) and phase-2 (12 columns) histories
//
// Integer lists are stored as 1×(n+1) rows whose first entry is n, so that
// empty lists need no empty tensor. Every float is stored bit-exactly.
const checkpointVersion = 1

const (
	hist1Cols = 14
	hist2Cols = 12
	phase1Pre = "phase1/"
)

func intsTensor(name string, v []int) ad.Tensor {
	d := make([]float64, len(v)+1)
	d[0] = float64(len(v))
	for i, x := range v {
		d[i+1] = float64(x)
	}
	return ad.Tensor{Name: name, Rows: 1, Cols: len(d), Data: d}
}

func rowsTensor(name string, rows [][]float64, cols int) ad.Tensor {
	d := make([]float64, 1, 1+len(rows)*cols)
	d[0] = float64(len(rows))
	for _, r := range rows {
		d = append(d, r...)
	}
	return ad.Tensor{Name: name, Rows: 1, Cols: len(d), Data: d}
}

func hist1Row(h spib.EpochStats) []float64 {
	return []float64{float64(h.Round), float64(h.Epoch), float64(h.TotalEpoch), h.TrainLoss, h.TrainCE, h.TrainKL,
		h.TestLoss, h.TestCE, h.TestKL, float64(h.NumStates), float64(h.Trained), float64(h.OptimizerSteps), h.LR,
		float64(h.Elapsed)}
}

func hist1From(r []float64) spib.EpochStats {
	return spib.EpochStats{Round: int(r[0]), Epoch: int(r[1]), TotalEpoch: int(r[2]), TrainLoss: r[3], TrainCE: r[4],
		TrainKL: r[5], TestLoss: r[6], TestCE: r[7], TestKL: r[8], NumStates: int(r[9]), Trained: int(r[10]),
		OptimizerSteps: int(r[11]), LR: r[12], Elapsed: time.Duration(r[13])}
}

func hist2Row(h EpochStats) []float64 {
	return []float64{float64(h.Epoch), h.TrainLoss, h.TrainCE, h.TrainLogQ, h.TrainDiff, h.TestLoss, h.TestCE,
		h.TestLogQ, h.TestDiff, h.LR, float64(h.OptimizerSteps), float64(h.Elapsed)}
}

func hist2From(r []float64) EpochStats {
	return EpochStats{Epoch: int(r[0]), TrainLoss: r[1], TrainCE: r[2], TrainLogQ: r[3], TrainDiff: r[4],
		TestLoss: r[5], TestCE: r[6], TestLogQ: r[7], TestDiff: r[8], LR: r[9], OptimizerSteps: int(r[10]),
		Elapsed: time.Duration(r[11])}
}

// save writes the checkpoint atomically.
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
	rf := make([]float64, len(rb))
	for i, b := range rb {
		rf[i] = float64(b)
	}
	h1 := make([][]float64, len(st.hist1))
	for i, h := range st.hist1 {
		h1[i] = hist1Row(h)
	}
	h2 := make([][]float64, len(st.hist))
	for i, h := range st.hist {
		h2[i] = hist2Row(h)
	}
	meta := []float64{checkpointVersion, float64(fp.cfg >> 32), float64(fp.cfg & 0xffffffff), float64(d.N), float64(d.D),
		float64(m.K), float64(m.LatentDim()), float64(len(st.hist)), float64(fp.in >> 32), float64(fp.in & 0xffffffff)}
	extra = append(extra,
		ad.Tensor{Name: phase1Pre + "rep", Rows: st.phase1.K, Cols: d.D, Data: st.phase1.RepInputs},
		ad.Tensor{Name: "spib.rep", Rows: m.K, Cols: d.D, Data: m.RepInputs},
		ad.Tensor{Name: "spib.std.mean", Rows: 1, Cols: d.D, Data: d.Std.Mean},
		ad.Tensor{Name: "spib.std.std", Rows: 1, Cols: d.D, Data: d.Std.Std},
		ad.Tensor{Name: "dspib.meta", Rows: 1, Cols: len(meta), Data: meta},
		ad.Tensor{Name: "dspib.rng", Rows: 1, Cols: len(rf), Data: rf},
		intsTensor("dspib.labels", d.Labels),
		intsTensor("dspib.train", d.Train),
		intsTensor("dspib.test", d.Test),
		intsTensor("dspib.val", d.Val),
		rowsTensor("dspib.hist1", h1, hist1Cols),
		rowsTensor("dspib.hist2", h2, hist2Cols),
	)
	if err := ad.SaveCheckpoint(path, tr.checkpointParams(), tr.opt, extra...); err != nil {
		return fmt.Errorf("dspib: checkpoint: %w", err)
	}
	return nil
}

// loadCheckpoint rebuilds the phase-2 state from path, for the data trajs
// and settings cfg (fingerprint fp), and restores src.
func loadCheckpoint(path string, trajs []spib.Trajectory, cfg Config, fp prints, src *rand.PCG, rng *rand.Rand) (*fitState, error) {
	fail := func(format string, a ...any) (*fitState, error) {
		return nil, fmt.Errorf("dspib: checkpoint %s: %s", path, fmt.Sprintf(format, a...))
	}
	ts, err := ad.LoadTensors(path)
	if err != nil {
		return nil, fmt.Errorf("dspib: checkpoint: %w", err)
	}
	by := map[string]ad.Tensor{}
	for _, t := range ts {
		by[t.Name] = t
	}
	meta, ok := by["dspib.meta"]
	if !ok || tlen(meta) != 10 {
		return fail("not a D-SPIB fit checkpoint (tensor dspib.meta missing or malformed)")
	}
	md := meta.Data
	if md[0] != checkpointVersion {
		return fail("format version %g, want %d", md[0], checkpointVersion)
	}
	if uint64(md[1])<<32|uint64(md[2]) != fp.cfg {
		return fail("written with different settings (SPIB, prior, λ, learning rate, decay or epoch cap differ); restore them or delete the checkpoint to start afresh")
	}
	if uint64(md[8])<<32|uint64(md[9]) != fp.in {
		return fail("written for other data or another seed (features, temperatures, initial labels, weights or the initial RNG state differ); delete the checkpoint to start afresh")
	}
	N, D, K, dd, epochs := int(md[3]), int(md[4]), int(md[5]), int(md[6]), int(md[7])
	if dd != cfg.SPIB.LatentDim {
		return fail("latent dimension %d, settings say %d", dd, cfg.SPIB.LatentDim)
	}
	data, err := spib.NewData(trajs, cfg.SPIB, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, fmt.Errorf("dspib: %w", err)
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
	ints := func(name string, n, bound int) ([]int, error) {
		t, ok := by[name]
		if !ok || tlen(t) < 1 || int(t.Data[0]) != tlen(t)-1 || (n >= 0 && tlen(t)-1 != n) {
			return nil, fmt.Errorf("dspib: checkpoint %s: tensor %s missing or malformed", path, name)
		}
		out := make([]int, tlen(t)-1)
		for i, v := range t.Data[1:] {
			if v < 0 || int(v) >= bound || v != math.Trunc(v) {
				return nil, fmt.Errorf("dspib: checkpoint %s: %s[%d] = %g, want an integer in [0, %d)", path, name, i, v, bound)
			}
			out[i] = int(v)
		}
		return out, nil
	}
	if data.Labels, err = ints("dspib.labels", N, K); err != nil {
		return nil, err
	}
	data.NumStates = K
	np := len(data.Src)
	if data.Train, err = ints("dspib.train", -1, np); err != nil {
		return nil, err
	}
	if data.Test, err = ints("dspib.test", -1, np); err != nil {
		return nil, err
	}
	if data.Val, err = ints("dspib.val", -1, np); err != nil {
		return nil, err
	}
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
		return nil, err
	}
	if _, err := ad.LoadCheckpoint(path, tr.checkpointParams(), tr.opt); err != nil {
		return nil, fmt.Errorf("dspib: checkpoint from another model shape: %w", err)
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
	rows := func(name string, cols int, fn func([]float64)) error {
		t, ok := by[name]
		if !ok || tlen(t) < 1 || int(t.Data[0])*cols != tlen(t)-1 {
			return fmt.Errorf("dspib: checkpoint %s: tensor %s missing or malformed", path, name)
		}
		for i := range int(t.Data[0]) {
			fn(t.Data[1+i*cols : 1+(i+1)*cols])
		}
		return nil
	}
	if err := rows("dspib.hist1", hist1Cols, func(r []float64) { st.hist1 = append(st.hist1, hist1From(r)) }); err != nil {
		return nil, err
	}
	if err := rows("dspib.hist2", hist2Cols, func(r []float64) { st.hist = append(st.hist, hist2From(r)) }); err != nil {
		return nil, err
	}
	if len(st.hist) != epochs {
		return fail("%d phase-2 epochs in the history, meta says %d", len(st.hist), epochs)
	}
	rt, ok := by["dspib.rng"]
	if !ok {
		return fail("tensor dspib.rng missing")
	}
	rb := make([]byte, tlen(rt))
	for i, v := range rt.Data {
		rb[i] = byte(v)
	}
	if err := src.UnmarshalBinary(rb); err != nil {
		return fail("RNG state: %v", err)
	}
	return st, nil
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
		put(math.Float64bits(t.Temp))
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
