package experiment

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dspib/dspib/md/traj"
)

func TestDeriveSeedDistinct(t *testing.T) {
	seen := map[uint64]string{}
	for _, seed := range []uint64{0, 1, 2} {
		for _, tag := range []string{"md/train", "md/ref", "split/multi", "split/single"} {
			for _, kT := range []float64{0, 0.2, 0.6, 1} {
				s := DeriveSeed(seed, tag, kT)
				name := tag + "@" + TempTag(kT)
				if prev, ok := seen[s]; ok {
					t.Errorf("seed %d %s collides with %s", seed, name, prev)
				}
				seen[s] = name
				if DeriveSeed(seed, tag, kT) != s {
					t.Errorf("DeriveSeed not deterministic for %s", name)
				}
			}
		}
	}
}

func TestTempTag(t *testing.T) {
	for kT, want := range map[float64]string{0.6: "kT0.600", 1: "kT1.000", 0.6125: "kT0.6125", 10: "kT10.000"} {
		if got := TempTag(kT); got != want {
			t.Errorf("TempTag(%v) = %q, want %q", kT, got, want)
		}
	}
}

func TestThin(t *testing.T) {
	x := make([]float64, 20) // 10 rows of 2
	for i := range x {
		x[i] = float64(i)
	}
	got := thin(x, 2, 4)
	// rows 0, 2 (10/4 = 2.5 → 2), 5, 7
	want := []float64{0, 1, 4, 5, 10, 11, 14, 15}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("thin = %v, want %v", got, want)
		}
	}
	if len(thin(x, 2, 50)) != 20 {
		t.Errorf("thin with n > rows must keep every row")
	}
}

func TestStandardise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 3*1000)
	for i := 0; i < 1000; i++ {
		x[3*i], x[3*i+1], x[3*i+2] = 5+3*rng.NormFloat64(), -2+0.01*rng.NormFloat64(), 7
	}
	standardise(x, 3)
	for j := 0; j < 3; j++ {
		m, s := 0.0, 0.0
		for i := 0; i < 1000; i++ {
			m += x[3*i+j]
			s += x[3*i+j] * x[3*i+j]
		}
		m /= 1000
		s = s/1000 - m*m
		wantVar := 1.0
		if j == 2 {
			wantVar = 0 // constant column: only centred
		}
		if math.Abs(m) > 1e-12 || math.Abs(s-wantVar) > 1e-9 {
			t.Errorf("column %d: mean %v var %v, want 0 and %v", j, m, s, wantVar)
		}
	}
}

func TestReuseMarkers(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "m.json")
	k := stageKey{System: "s", Experiment: "e", Train: []float64{1}, Seed: 1, Stage: "models"}
	if reusable(marker, k) {
		t.Fatal("missing marker reported reusable")
	}
	if err := writeMarker(marker, k); err != nil {
		t.Fatal(err)
	}
	if !reusable(marker, k) {
		t.Fatal("written marker not reusable")
	}
	k.Sizes.TrainFrames++
	if reusable(marker, k) {
		t.Fatal("marker reusable after a size changed")
	}
	sys := &System{MetaName: "three-hole", Dt: 0.01, Gamma: 1, Stride: 10, N: 1, Dim: 2}
	j := trajJob{Kind: "train", KT: 1, Frames: 100, Seed: 5, Path: filepath.Join(dir, "t.npy")}
	a := expectedMeta(sys, j)
	if err := traj.WriteJSON(j.Path+".json", a); err != nil {
		t.Fatal(err)
	}
	b, err := traj.ReadMetadata(j.Path + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if !sameRun(a, b) {
		t.Error("metadata round trip does not match")
	}
	j.Seed++
	if sameRun(expectedMeta(sys, j), b) {
		t.Error("different seed matches")
	}
	_ = os.Remove(j.Path + ".json")
}

// TestKeepCheckpoint: a training checkpoint survives only while its key
// file matches the stage's settings; a stale one is removed.
func TestKeepCheckpoint(t *testing.T) {
	var log bytes.Buffer
	r := &seedRun{log: &log}
	ckpt := filepath.Join(t.TempDir(), "x.ckpt")
	k := stageKey{System: "s", Experiment: "e", Seed: 1, Stage: "prior"}
	if err := r.keepCheckpoint(ckpt, k, "x"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(ckpt, []byte("state"), 0o644)
	if err := r.keepCheckpoint(ckpt, k, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ckpt); err != nil || !strings.Contains(log.String(), "reuse: resuming x from checkpoint") {
		t.Errorf("matching checkpoint not kept (%v) or not reported: %q", err, log.String())
	}
	k.Seed = 2
	if err := r.keepCheckpoint(ckpt, k, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ckpt); !os.IsNotExist(err) {
		t.Errorf("stale checkpoint kept (stat error %v)", err)
	}
	if !reusable(ckpt+".key.json", k) {
		t.Error("the new key was not written")
	}
}

func TestSizesValidate(t *testing.T) {
	ok := Sizes{TrainFrames: 10, RefFrames: 10, EvalN: 5, KMeansK: 2, Lag: 1, SPIBMaxEpochs: 1,
		Phase2Epochs: 1, Exponent: 1, KDEBandwidth: 0.1, KLBins: 10, SurfaceBins: 10}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for field, mut := range map[string]func(s *Sizes){
		"TrainFrames":  func(s *Sizes) { s.TrainFrames = 0 },
		"Lag":          func(s *Sizes) { s.Lag = 10 },
		"Exponent":     func(s *Sizes) { s.Exponent = math.NaN() },
		"KDEBandwidth": func(s *Sizes) { s.KDEBandwidth = 0 },
		"BurnIn":       func(s *Sizes) { s.BurnIn = -1 },
	} {
		s := ok
		mut(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: error %v does not name the field", field, err)
		}
	}
}
