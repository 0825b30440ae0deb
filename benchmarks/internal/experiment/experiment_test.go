package experiment

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNearestAndRegime(t *testing.T) {
	e := &Experiment{Train: []float64{0.2, 0.5}}
	// On a log scale 0.3 is nearer 0.2 (ln 1.5 = 0.405 < ln 5/3 = 0.511)
	// and 0.4 nearer 0.5 (ln 1.25 < ln 2).
	for kT, want := range map[float64]float64{0.2: 0.2, 0.3: 0.2, 0.4: 0.5, 0.5: 0.5, 0.6: 0.5, 0.1: 0.2} {
		if got := e.Nearest(kT); got != want {
			t.Errorf("Nearest(%v) = %v, want %v", kT, got, want)
		}
	}
	for kT, want := range map[float64]string{0.2: "trained", 0.3: "interpolated", 0.6: "extrapolated", 0.1: "extrapolated"} {
		if got := regime(e, kT); got != want {
			t.Errorf("regime(%v) = %q, want %q", kT, got, want)
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

func gauss2(rng *rand.Rand, n int, mx, my float64) []float64 {
	z := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		z[2*i], z[2*i+1] = mx+rng.NormFloat64(), my+rng.NormFloat64()
	}
	return z
}

// twoStates classifies a latent by the sign of z1.
type twoStates struct{}

func (twoStates) Encode(x []float64) ([]float64, error) { return x, nil }
func (twoStates) NumStates() int                        { return 2 }
func (twoStates) Classify(z []float64) ([]int, error) {
	l := make([]int, len(z)/2)
	for i := range l {
		if z[2*i] > 0 {
			l[i] = 1
		}
	}
	return l, nil
}

// TestCompare checks the metrics on Gaussians with known answers.
func TestCompare(t *testing.T) {
	const n = 40000
	rng := rand.New(rand.NewPCG(3, 4))
	s := &Sizes{KLBins: 100, KDEBandwidth: 0.1}
	ref := gauss2(rng, n, 0, 0)
	same := gauss2(rng, n, 0, 0)
	shifted := gauss2(rng, n, 0.5, 0)
	mSame, pr, pg, err := compare(same, ref, nil, twoStates{}, s)
	if err != nil {
		t.Fatal(err)
	}
	mShift, _, pgs, err := compare(shifted, ref, nil, twoStates{}, s)
	if err != nil {
		t.Fatal(err)
	}
	// Populations: P(z1 > 0) = ½ for ref and same, Φ(0.5) = 0.6915 for
	// shifted; binomial sd sqrt(p(1−p)/n) = 0.0025, tolerance 5 sd.
	tol := 5 * math.Sqrt(0.25/n)
	if math.Abs(pr[1]-0.5) > tol || math.Abs(pg[1]-0.5) > tol || math.Abs(pgs[1]-0.6915) > tol {
		t.Errorf("populations %v %v %v, want 0.5, 0.5, 0.6915 ± %.3g", pr, pg, pgs, tol)
	}
	if math.Abs(mShift["pop_tv"]-0.1915) > 2*tol {
		t.Errorf("pop_tv = %v, want 0.1915 ± %.3g", mShift["pop_tv"], 2*tol)
	}
	// Free energy along z1 of N(μ,1) is (z−μ)²/2 (kT); over F < 3 kT the
	// same distribution differs only by KDE noise: the KDE's relative sd
	// at density p is about (n·h·2√π·p)^(−1/2) ≤ 0.08 for p ≥ 0.03 (F < 3),
	// so the RMSE must stay below 0.1 kT. A shift of 0.5 changes F by
	// 0.5·z − 0.125, whose spread (minus the best constant) over
	// |z| < √6 is 0.5·√6/√3 = 0.71 kT: the shifted RMSE must be near it.
	if v := mSame["fe_rmse_z1"]; v > 0.1 {
		t.Errorf("fe_rmse_z1 for equal distributions = %v kT, want < 0.1", v)
	}
	if v := mShift["fe_rmse_z1"]; math.Abs(v-0.71) > 0.1 {
		t.Errorf("fe_rmse_z1 for a 0.5 shift = %v kT, want 0.71 ± 0.1", v)
	}
	if v := mShift["fe_rmse_z2"]; v > 0.1 {
		t.Errorf("fe_rmse_z2 for a shift along z1 only = %v kT, want < 0.1", v)
	}
	// Symmetrised KL of N(0,I) and N((0.5,0),I) is |μ|²/2 = 0.125 nats; the
	// histogram estimate adds a positive plug-in bias (about occupied bins/n
	// plus the 1e−10 floor on singly occupied bins), identical in size for
	// the equal-distribution pair, whose value is therefore the floor.
	if mShift["sym_kl_md"] <= mSame["sym_kl_md"]+0.1 {
		t.Errorf("symKL shifted %v not above equal %v + 0.1", mShift["sym_kl_md"], mSame["sym_kl_md"])
	}
	// A sample of n from the reference's own distribution has on average
	// 2/(n+1) of its points beyond the reference range per coordinate:
	// about 4 points in all (Poisson); 20 is a > 5 sd bound.
	if v := mSame["outside"]; v > 20.0/n {
		t.Errorf("outside fraction for equal distributions = %v, want < %v", v, 20.0/n)
	}
	if mShift["outside"] <= mSame["outside"] {
		t.Errorf("outside fraction shifted %v not above equal %v", mShift["outside"], mSame["outside"])
	}
	if _, ok := mSame["sym_kl_exact"]; ok {
		t.Errorf("sym_kl_exact reported without an exact reference")
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

// BenchmarkCompare measures the metrics of one method at one temperature at
// the quick preset's size (5000 latents per side).
func BenchmarkCompare(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	s := &Sizes{KLBins: 100, KDEBandwidth: 0.1}
	ref, gen := gauss2(rng, 5000, 0, 0), gauss2(rng, 5000, 0.2, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := compare(gen, ref, nil, twoStates{}, s); err != nil {
			b.Fatal(err)
		}
	}
}
