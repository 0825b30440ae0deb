package diffusion

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dspib/dspib/learn/ad"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, c := range []struct {
		emb  Embedding
		proc Process
	}{{Smooth, DDPM}, {Fourier, DDPM}, {Smooth, VP}} {
		emb := c.emb
		cfg := tinyConfig(emb, ReLU)
		cfg.Exponent, cfg.TRef, cfg.Process = 0.5, 0.7, c.proc
		p, err := New(cfg, newRNG(61))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "prior.ckpt")
		if err := p.Save(path); err != nil {
			t.Fatal(err)
		}
		q, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		pc, qc := p.Config(), q.Config()
		if !slices.Equal(pc.Hidden, qc.Hidden) || pc.Exponent != qc.Exponent || pc.TRef != qc.TRef ||
			pc.Embedding != qc.Embedding || pc.Act != qc.Act || pc.Replicas != qc.Replicas || pc.Steps != qc.Steps ||
			pc.Process != qc.Process || pc.BetaMin != qc.BetaMin || pc.BetaMax != qc.BetaMax {
			t.Errorf("%v: config %+v, loaded %+v", emb, pc, qc)
		}
		a, _ := p.Generate([]float64{0.7, 1.3}, 70, 5)
		b, _ := q.Generate([]float64{0.7, 1.3}, 70, 5)
		for k := range a {
			if !slices.Equal(a[k], b[k]) {
				t.Errorf("%v: generation differs after Save/Load (temps[%d])", emb, k)
			}
		}
		// In-memory round trip, as D-SPIB embeds the prior in its checkpoint.
		m, err := FromTensors(append([]ad.Tensor{{Name: "other", Rows: 1, Cols: 1, Data: []float64{1}}}, p.Tensors()...))
		if err != nil {
			t.Fatal(err)
		}
		mg, _ := m.Generate([]float64{0.7, 1.3}, 70, 5)
		if !slices.Equal(a[0], mg[0]) {
			t.Errorf("%v: generation differs after Tensors/FromTensors", emb)
		}
		// LoadWeights into a prior of the same configuration but other weights.
		r, _ := New(cfg, newRNG(62))
		if err := r.LoadWeights(path); err != nil {
			t.Fatal(err)
		}
		c, _ := r.Generate([]float64{0.7, 1.3}, 70, 5)
		if !slices.Equal(a[1], c[1]) {
			t.Errorf("%v: generation differs after LoadWeights", emb)
		}
	}
}

func TestLoadMismatch(t *testing.T) {
	dir := t.TempDir()
	small, _ := New(tinyConfig(Smooth, SiLU), newRNG(63))
	path := filepath.Join(dir, "small.ckpt")
	if err := small.Save(path); err != nil {
		t.Fatal(err)
	}
	// A prior with other widths must refuse the file, naming what differs.
	cfg := tinyConfig(Smooth, SiLU)
	cfg.Hidden = []int{4, 8, 8, 3}
	big, _ := New(cfg, newRNG(64))
	before := slices.Clone(big.Params()[0].Data)
	err := big.LoadWeights(path)
	if err == nil || !strings.Contains(err.Error(), "diffusion.hidden[1] = 6 in the file but 8") {
		t.Errorf("LoadWeights of another architecture: error %v, want one naming diffusion.hidden", err)
	}
	if !slices.Equal(before, big.Params()[0].Data) {
		t.Error("failed LoadWeights modified the prior")
	}
	// A file whose stored configuration disagrees with its tensors.
	ts, err := ad.LoadTensors(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ts {
		if ts[i].Name == "eps.1.W" { // 6×4: make it 6×3
			ts[i].Cols, ts[i].Data = 3, ts[i].Data[:18]
		}
	}
	bad := filepath.Join(dir, "bad.ckpt")
	if err := ad.SaveTensors(bad, ts); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), `"eps.1.W" is 6×3 in the file but 6×4`) {
		t.Errorf("Load with a mis-shaped tensor: error %v", err)
	}
	// Not a prior at all, and not a checkpoint at all.
	other := filepath.Join(dir, "other.ckpt")
	if err := ad.SaveTensors(other, []ad.Tensor{{Name: "x", Rows: 1, Cols: 1, Data: []float64{1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(other); err == nil || !strings.Contains(err.Error(), "not a diffusion prior") {
		t.Errorf("Load of a foreign checkpoint: error %v", err)
	}
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("hello"), 0o644)
	if _, err := Load(junk); err == nil {
		t.Error("Load of a junk file: no error")
	}
}
