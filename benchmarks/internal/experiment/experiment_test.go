package experiment

import (
	"io"
	"math"
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

// TestParseFlagsExplicitZeroA: -a 0 is refused, not read as the preset's a;
// without -a the preset's applies (Exponent 0).
func TestParseFlagsExplicitZeroA(t *testing.T) {
	spec := &Spec{System: &System{Name: "test"}, DefaultOut: "out", Presets: map[string]Sizes{"default": {}}}
	_, err := ParseFlags(spec, []string{"-a", "0"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "omit -a") {
		t.Errorf("-a 0: err %v, want a refusal", err)
	}
	o, err := ParseFlags(spec, nil, io.Discard)
	if err != nil || o.Exponent != 0 {
		t.Errorf("no -a: %+v, %v", o, err)
	}
	if o, err := ParseFlags(spec, []string{"-a", "0.5"}, io.Discard); err != nil || o.Exponent != 0.5 {
		t.Errorf("-a 0.5: %+v, %v", o, err)
	}
}
