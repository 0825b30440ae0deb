package spib

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/ad"
	"github.com/stretchr/testify/require"
)

// FuzzLoad feeds Load an arbitrary JSON sidecar and checkpoint file.
// Properties: no panic; Load allocates at most 16 bytes per input byte
// (plus 1 MiB): the architecture the sidecar claims is allocated only if
// the checkpoint is large enough to hold its weights; and what loads
// round-trips: Save of the loaded model loads back with the same sidecar
// fields and the same tensors, bit for bit.
func FuzzLoad(f *testing.F) {
	seed := func(cfg Config, D, K int) (sidecar, ckpt []byte) {
		cfg, err := cfg.Validate()
		require.NoError(f, err)
		m := NewModel(cfg, D, K, Standardizer{Mean: make([]float64, D), Std: make([]float64, D)}, newRand(4))
		for i := range m.RepInputs {
			m.RepInputs[i] = float64(i) - 0.5
		}
		path := filepath.Join(f.TempDir(), "m")
		require.NoError(f, m.Save(path))
		sidecar, err = os.ReadFile(path + ".json")
		require.NoError(f, err)
		ckpt, err = os.ReadFile(path)
		require.NoError(f, err)
		return sidecar, ckpt
	}
	sc, ck := seed(Config{Hidden1: 3, Hidden2: 2, LatentDim: 1}, 2, 3)
	f.Add(sc, ck)
	f.Add(sc, ck[:len(ck)/2])
	f.Add(sc[:len(sc)/2], ck)
	sc2, ck2 := seed(Config{Encoder: Linear, LogVar: PerSampleLogVar, Workers: 1}, 1, 1)
	f.Add(sc2, ck2)
	// The sidecar claims an architecture far larger than the checkpoint.
	f.Add([]byte(`{"format": "dspib/spib-model/v1", "config": {"hidden1": 4294967296}, "d_in": 2, "states": 3}`), ck)
	f.Add([]byte(`{"format": "dspib/spib-model/v1", "config": {}, "d_in": 9223372036854775807, "states": 2}`), ck)
	f.Add([]byte(`{"format": "dspib/spib-model/v1", "config": {"latent_dim": 3037000500, "hidden2": 3037000500}, "d_in": 1, "states": 1}`), ck)
	f.Add([]byte(`{"format": "dspib/spib-model/v1", "config": {"encoder": "linear"}, "d_in": 1000000, "states": 1000000}`), ck)

	f.Fuzz(func(t *testing.T, sidecar, ckpt []byte) {
		path := filepath.Join(t.TempDir(), "m")
		require.NoError(t, os.WriteFile(path+".json", sidecar, 0o644))
		require.NoError(t, os.WriteFile(path, ckpt, 0o644))
		var m *Model
		var err error
		n := testutil.Allocated(func() { m, err = Load(path) })
		require.LessOrEqual(t, n, uint64(16*(len(ckpt)+len(sidecar))+1<<20), "allocated for %d + %d input bytes", len(sidecar), len(ckpt))
		if err != nil {
			require.Nil(t, m)
			return
		}
		values := len(m.RepInputs) + len(m.Std.Mean) + len(m.Std.Std)
		for _, p := range m.Params() {
			values += len(p.Data)
		}
		require.LessOrEqual(t, 8*values, len(ckpt), "more values than the checkpoint holds")
		out := filepath.Join(filepath.Dir(path), "out")
		require.NoError(t, m.Save(out))
		back, err := Load(out)
		require.NoError(t, err)
		require.Equal(t, m.Config(), back.Config())
		require.Equal(t, [2]int{m.D, m.K}, [2]int{back.D, back.K})
		same := func(name string, a, b []float64) {
			require.Len(t, b, len(a), name)
			for i := range a {
				require.Equal(t, math.Float64bits(a[i]), math.Float64bits(b[i]), "%s[%d]", name, i)
			}
		}
		for i, p := range m.Params() {
			same(p.Name, p.Data, back.Params()[i].Data)
		}
		same("rep.inputs", m.RepInputs, back.RepInputs)
		same("std.mean", m.Std.Mean, back.Std.Mean)
		same("std.std", m.Std.Std, back.Std.Std)
	})
}

// FuzzTensorLists feeds the list decoders of checkpoints (TensorInts,
// TensorRows, HistoryFromTensor) a 1×n tensor whose first entry, the
// claimed length, is head and whose other entries are the little-endian
// float64s of body. Properties: no panic; the result is backed by the
// tensor's entries; and lists round-trip, as numbers through IntsTensor
// (−0 is the integer 0) and bit for bit through RowsTensor (but its row
// count, again a number).
func FuzzTensorLists(f *testing.F) {
	enc := func(v ...float64) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		return b
	}
	f.Add(3.0, enc(0, 1, 2), uint8(1), 3)
	f.Add(0.0, enc(), uint8(4), 1)
	f.Add(1.0, enc(1, 2, 3, 4), uint8(4), 5)
	f.Add(2.0, enc(make([]float64, 2*histCols)...), uint8(histCols), 1)
	f.Add(1.5, enc(1), uint8(1), 2)
	f.Add(math.NaN(), enc(), uint8(1), 1)
	// Claims whose int conversion wraps: 2⁶³·14 ≡ 0 (mod 2⁶⁴).
	f.Add(math.Ldexp(1, 63), enc(), uint8(histCols), 1)
	f.Add(1e300, enc(), uint8(roundsCols), 1)

	f.Fuzz(func(t *testing.T, head float64, body []byte, cols8 uint8, bound int) {
		data := []float64{head}
		for i := 0; i+8 <= len(body); i += 8 {
			data = append(data, math.Float64frombits(binary.LittleEndian.Uint64(body[i:])))
		}
		tn := ad.Tensor{Name: "t", Rows: 1, Cols: len(data), Data: data}
		if ints, err := TensorInts(tn, -1, bound); err == nil {
			require.Len(t, ints, len(data)-1)
			back := IntsTensor("t", ints)
			require.Equal(t, tn.Cols, back.Cols)
			for i, v := range back.Data {
				// Equal as numbers: −0 is read as the integer 0.
				require.True(t, data[i] == v, "entry %d: %v read back as %v", i, data[i], v)
			}
		}
		cols := int(cols8) + 1
		if rows, err := TensorRows(tn, cols); err == nil {
			require.Equal(t, len(data)-1, len(rows)*cols)
			back := RowsTensor("t", rows, cols)
			require.Equal(t, tn.Cols, back.Cols)
			require.True(t, data[0] == back.Data[0], "row count %v read back as %v", data[0], back.Data[0])
			for i, v := range back.Data[1:] {
				require.Equal(t, math.Float64bits(data[i+1]), math.Float64bits(v), "entry %d", i+1)
			}
		}
		if h, err := HistoryFromTensor(tn); err == nil {
			require.Equal(t, len(data)-1, len(h)*histCols)
		}
	})
}

// FuzzLoadTrainState feeds LoadTrainState, the resume reader of SPIB
// training (and of D-SPIB's phase 1), an arbitrary checkpoint file for a
// fixed small data set. With fixCRC the input is a file body whose
// CRC-64/ECMA is appended, so that mutated fields reach the checks.
// Properties: no panic; LoadTrainState allocates at most 32 bytes per input
// byte (plus 1 MiB), so nothing is sized by a claim the file does not back
// (the state count K sizes the model); and a state that loads
// saves and loads back the same, bit for bit.
func FuzzLoadTrainState(f *testing.F) {
	cfg := Config{Lag: 1, MaxEpochs: 3, Refinements: 1, Workers: 1, Hidden1: 3, Hidden2: 2}
	data, err := NewData(toyTrajs(6, 5), cfg, newRand(1))
	require.NoError(f, err)
	vcfg, err := cfg.Validate()
	require.NoError(f, err)
	m := NewModel(vcfg, data.D, 3, data.Std, newRand(2))
	opt, err := ad.NewAdam(m.Params(), ad.AdamConfig{LR: 1e-3})
	require.NoError(f, err)
	rb, err := rand.NewPCG(3, 4).MarshalBinary()
	require.NoError(f, err)
	labels := make([]int, data.N)
	for i := range labels {
		labels[i] = i % 3
	}
	st := &TrainState{Round: 1, Epoch: 1, TotalEpoch: 2, Model: m, Opt: opt, Labels: labels,
		History: make([]EpochStats, 2), Rounds: []RoundStats{{Epochs: 1, States: 3, Kept: 3}}, RNG: rb}
	path := filepath.Join(f.TempDir(), "spib.ckpt")
	require.NoError(f, st.Save(path, IntsTensor("caller.note", []int{1})))
	raw, err := os.ReadFile(path)
	require.NoError(f, err)
	_, _, err = LoadTrainState(path, data, cfg)
	require.NoError(f, err, "the valid seed must load")
	f.Add(raw, false)
	f.Add(raw[:len(raw)/2], false)
	f.Add(raw[:len(raw)-8], true)
	// spib.state claims 2³¹−1 states; the tensors stay 3 states.
	ts, err := ad.ReadTensors(bytes.NewReader(raw))
	require.NoError(f, err)
	for i := range ts {
		if ts[i].Name == "spib.state" {
			ts[i].Data = slices.Clone(ts[i].Data)
			ts[i].Data[4] = math.MaxInt32
		}
	}
	var b bytes.Buffer
	require.NoError(f, ad.WriteTensors(&b, ts))
	f.Add(b.Bytes()[:b.Len()-8], true)

	f.Fuzz(func(t *testing.T, in []byte, fixCRC bool) {
		raw := testutil.TensorFileInput(in, fixCRC)
		path := testutil.WriteTemp(t, "in.ckpt", raw)
		var st *TrainState
		var extra []ad.Tensor
		var err error
		n := testutil.Allocated(func() { st, extra, err = LoadTrainState(path, data, cfg) })
		require.LessOrEqual(t, n, uint64(32*len(raw)+1<<20), "allocated for a %d-byte file", len(raw))
		if err != nil {
			require.Nil(t, st)
			return
		}
		require.LessOrEqual(t, 8*len(st.Model.RepInputs), len(raw), "more representatives than the file holds")
		out := filepath.Join(filepath.Dir(path), "out.ckpt")
		require.NoError(t, st.Save(out, extra...))
		back, extra2, err := LoadTrainState(out, data, cfg)
		require.NoError(t, err)
		require.Equal(t, len(extra), len(extra2))
		require.Equal(t, [3]int{st.Round, st.Epoch, st.TotalEpoch}, [3]int{back.Round, back.Epoch, back.TotalEpoch})
		require.Equal(t, st.Labels, back.Labels)
		require.Equal(t, st.Rounds, back.Rounds)
		require.Equal(t, st.RNG, back.RNG)
		for i, p := range st.Model.Params() {
			for j, v := range p.Data {
				require.Equal(t, math.Float64bits(v), math.Float64bits(back.Model.Params()[i].Data[j]), "%s[%d]", p.Name, j)
			}
		}
		for j, v := range st.Model.RepInputs {
			require.Equal(t, math.Float64bits(v), math.Float64bits(back.Model.RepInputs[j]), "rep[%d]", j)
		}
		h1, h2 := HistoryTensor("h", st.History).Data, HistoryTensor("h", back.History).Data
		for j, v := range h1 {
			require.Equal(t, math.Float64bits(v), math.Float64bits(h2[j]), "history[%d]", j)
		}
	})
}
