package experiment

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
