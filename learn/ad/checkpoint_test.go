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

	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NoError(t, SaveCheckpoint(path, psA, optA, extra))
	ents, _ := os.ReadDir(dir)
	assert.Len(t, ents, 1, "directory entries after an atomic save")

	netB := NewMLP("c", []int{2, 8, 3}, ActSiLU, rand.New(rand.NewPCG(2, 0)))
	psB := ParamSet(netB.Params())
	optB, _ := NewAdam(psB, AdamConfig{LR: 0.01})
	got, err := LoadCheckpoint(path, psB, optB)
	require.NoError(t, err)
	for i := range psA {
		testutil.SameBits(t, "parameter "+psA[i].Name+" after load", psA[i].Data, psB[i].Data)
	}
	require.Equal(t, 5, optB.Steps(), "optimiser steps")
	require.Equal(t, optA.LR(), optB.LR(), "optimiser learning rate")
	require.Len(t, got, 1, "extra tensors")
	require.Equal(t, extra.Name, got[0].Name, "extra tensor name")
	testutil.SameBits(t, "extra tensor "+extra.Name, extra.Data, got[0].Data)
	trainSteps(netA, psA, optA, 3)
	trainSteps(netB, psB, optB, 3)
	for i := range psA {
		testutil.SameBits(t, "parameter "+psA[i].Name+" after resumed training", psA[i].Data, psB[i].Data)
	}
}

// TestCheckpointErrors: wrong shapes, missing tensors and corruption are
// reported with the tensor name, both shapes, or the checksum.
func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.ckpt")
	net := NewMLP("c", []int{2, 8, 3}, ActReLU, rand.New(rand.NewPCG(1, 0)))
	opt, _ := NewAdam(net.Params(), AdamConfig{})
	require.NoError(t, SaveCheckpoint(path, net.Params(), opt))
	wide := NewMLP("c", []int{2, 9, 3}, ActReLU, rand.New(rand.NewPCG(1, 0)))
	before := append([]float64(nil), wide.Layers[0].W.Data...)
	_, err := LoadCheckpoint(path, wide.Params(), nil)
	assert.ErrorContains(t, err, `tensor "c.0.W" is 8×2 in the file but 9×2 in the model`, "shape mismatch")
	assert.True(t, bitsEqual(before, wide.Layers[0].W.Data), "a failed load modified the model")
	other := NewMLP("d", []int{2, 8, 3}, ActReLU, rand.New(rand.NewPCG(1, 0)))
	_, err = LoadCheckpoint(path, other.Params(), nil)
	assert.ErrorContains(t, err, `tensor "d.0.W" (8×2) missing`, "missing tensor")

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	bad := append([]byte(nil), raw...)
	bad[40] ^= 1
	_, err = ReadTensors(bytes.NewReader(bad))
	assert.ErrorContains(t, err, "checksum mismatch", "flipped bit")
	_, err = ReadTensors(bytes.NewReader(raw[:len(raw)-3]))
	assert.Error(t, err, "truncated file read without error")
	_, err = ReadTensors(strings.NewReader("hello world, not a checkpoint"))
	assert.ErrorContains(t, err, "bad magic", "garbage")
	// A header claiming a (2^32−1)×(2^32−1) tensor, with a valid checksum.
	huge := []byte("DSPIBAD\x00" + "\x01\x00\x00\x00" + "\x01\x00\x00\x00" + "\x01\x00\x00\x00" + "h" +
		"\xff\xff\xff\xff" + "\xff\xff\xff\xff")
	huge = binary.LittleEndian.AppendUint64(huge, crc64.Checksum(huge, crc64.MakeTable(crc64.ECMA)))
	_, err = ReadTensors(bytes.NewReader(huge))
	assert.ErrorContains(t, err, `tensor "h": 4294967295×4294967295 does not fit`, "huge header")
	assert.Error(t, WriteTensors(&bytes.Buffer{}, []Tensor{{Name: "a", Rows: 1, Cols: 1, Data: []float64{1}}, {Name: "a", Rows: 1, Cols: 1, Data: []float64{2}}}),
		"duplicate names written without error")
}

// TestCheckpointFormat pins the documented layout on a tiny file built by hand.
func TestCheckpointFormat(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteTensors(&buf, []Tensor{{Name: "ab", Rows: 1, Cols: 2, Data: []float64{1, -2}}}))
	b := buf.Bytes()
	want := []byte("DSPIBAD\x00" + "\x01\x00\x00\x00" + "\x01\x00\x00\x00" + "\x02\x00\x00\x00" + "ab" +
		"\x01\x00\x00\x00" + "\x02\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\xf0\x3f" + "\x00\x00\x00\x00\x00\x00\x00\xc0")
	require.Equal(t, want, b[:len(b)-8], "body")
	require.Len(t, b, len(want)+8, "length: body and an 8-byte checksum")
}
