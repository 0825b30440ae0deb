package ad

import (
	"bytes"
	"encoding/binary"
	"hash/crc64"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func bitsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// trainSteps runs n classifier steps of net on a fixed batch.
func trainSteps(net *MLP, ps ParamSet, opt *Adam, n int) {
	x, y := blobs(rand.New(rand.NewPCG(99, 0)), 3, 20)
	tp := NewTape()
	for range n {
		tp.Reset()
		ps.ZeroGrad()
		tp.Backward(tp.NLL(tp.LogSoftmax(net.Forward(tp, tp.Const(len(y), 2, x))), y, nil))
		opt.Step()
		opt.Decay(0.9)
	}
}

// TestCheckpointRoundTrip: parameters, Adam state and extra tensors survive
// save→load bit for bit, and training resumed from the checkpoint continues
// exactly as the uninterrupted run.
func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.ckpt")
	netA := NewMLP("c", []int{2, 8, 3}, ActSiLU, rand.New(rand.NewPCG(1, 0)))
	psA := ParamSet(netA.Params())
	optA, _ := NewAdam(psA, AdamConfig{LR: 0.01})
	trainSteps(netA, psA, optA, 5)
	extra := Tensor{Name: "standardise.mean", Rows: 1, Cols: 3, Data: []float64{1.5, math.Inf(-1), -0.0}}
	if err := SaveCheckpoint(path, psA, optA, extra); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries after an atomic save, want 1", len(ents))
	}

	netB := NewMLP("c", []int{2, 8, 3}, ActSiLU, rand.New(rand.NewPCG(2, 0)))
	psB := ParamSet(netB.Params())
	optB, _ := NewAdam(psB, AdamConfig{LR: 0.01})
	got, err := LoadCheckpoint(path, psB, optB)
	if err != nil {
		t.Fatal(err)
	}
	for i := range psA {
		if !bitsEqual(psA[i].Data, psB[i].Data) {
			t.Fatalf("parameter %s differs after load", psA[i].Name)
		}
	}
	if optB.Steps() != 5 || optB.LR() != optA.LR() {
		t.Fatalf("optimiser: steps %d lr %v, want 5, %v", optB.Steps(), optB.LR(), optA.LR())
	}
	if len(got) != 1 || got[0].Name != extra.Name || !bitsEqual(got[0].Data, extra.Data) {
		t.Fatalf("extra tensors = %+v, want [%+v]", got, extra)
	}
	trainSteps(netA, psA, optA, 3)
	trainSteps(netB, psB, optB, 3)
	for i := range psA {
		if !bitsEqual(psA[i].Data, psB[i].Data) {
			t.Fatalf("parameter %s differs after resumed training", psA[i].Name)
		}
	}
}

// TestCheckpointErrors: wrong shapes, missing tensors and corruption are
// reported with the tensor name, both shapes, or the checksum.
func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.ckpt")
	net := NewMLP("c", []int{2, 8, 3}, ActReLU, rand.New(rand.NewPCG(1, 0)))
	opt, _ := NewAdam(net.Params(), AdamConfig{})
	if err := SaveCheckpoint(path, net.Params(), opt); err != nil {
		t.Fatal(err)
	}
	wide := NewMLP("c", []int{2, 9, 3}, ActReLU, rand.New(rand.NewPCG(1, 0)))
	before := append([]float64(nil), wide.Layers[0].W.Data...)
	_, err := LoadCheckpoint(path, wide.Params(), nil)
	if err == nil || !strings.Contains(err.Error(), `tensor "c.0.W" is 8×2 in the file but 9×2 in the model`) {
		t.Errorf("shape mismatch: err = %v", err)
	}
	if !bitsEqual(before, wide.Layers[0].W.Data) {
		t.Error("a failed load modified the model")
	}
	other := NewMLP("d", []int{2, 8, 3}, ActReLU, rand.New(rand.NewPCG(1, 0)))
	if _, err := LoadCheckpoint(path, other.Params(), nil); err == nil || !strings.Contains(err.Error(), `tensor "d.0.W" (8×2) missing`) {
		t.Errorf("missing tensor: err = %v", err)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), raw...)
	bad[40] ^= 1
	if _, err := ReadTensors(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("flipped bit: err = %v", err)
	}
	if _, err := ReadTensors(bytes.NewReader(raw[:len(raw)-3])); err == nil {
		t.Error("truncated file read without error")
	}
	if _, err := ReadTensors(strings.NewReader("hello world, not a checkpoint")); err == nil || !strings.Contains(err.Error(), "bad magic") {
		t.Errorf("garbage: err = %v", err)
	}
	// A header claiming a (2^32−1)×(2^32−1) tensor, with a valid checksum.
	huge := []byte("DSPIBAD\x00" + "\x01\x00\x00\x00" + "\x01\x00\x00\x00" + "\x01\x00\x00\x00" + "h" +
		"\xff\xff\xff\xff" + "\xff\xff\xff\xff")
	huge = binary.LittleEndian.AppendUint64(huge, crc64.Checksum(huge, crc64.MakeTable(crc64.ECMA)))
	if _, err := ReadTensors(bytes.NewReader(huge)); err == nil || !strings.Contains(err.Error(), `tensor "h": 4294967295×4294967295 does not fit`) {
		t.Errorf("huge header: err = %v", err)
	}
	if err := WriteTensors(&bytes.Buffer{}, []Tensor{{Name: "a", Rows: 1, Cols: 1, Data: []float64{1}}, {Name: "a", Rows: 1, Cols: 1, Data: []float64{2}}}); err == nil {
		t.Error("duplicate names written without error")
	}
}

// TestCheckpointFormat pins the documented layout on a tiny file built by hand.
func TestCheckpointFormat(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTensors(&buf, []Tensor{{Name: "ab", Rows: 1, Cols: 2, Data: []float64{1, -2}}}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	want := []byte("DSPIBAD\x00" + "\x01\x00\x00\x00" + "\x01\x00\x00\x00" + "\x02\x00\x00\x00" + "ab" +
		"\x01\x00\x00\x00" + "\x02\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\xf0\x3f" + "\x00\x00\x00\x00\x00\x00\x00\xc0")
	if !bytes.Equal(b[:len(b)-8], want) {
		t.Fatalf("body = % x\nwant   % x", b[:len(b)-8], want)
	}
	if len(b) != len(want)+8 {
		t.Fatalf("length %d, want %d", len(b), len(want)+8)
	}
}
