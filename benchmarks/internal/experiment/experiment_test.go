package experiment

import (
	"io"
	"math"
	"testing"

	"github.com/dspib/dspib/learn/diffusion"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		require.True(t, got[i] == want[i], "thin = %v, want %v", got, want)
	}
	assert.Len(t, thin(x, 2, 50), 20, "thin with n > rows must keep every row")
}

func TestSizesValidate(t *testing.T) {
	ok := Sizes{TrainFrames: 10, RefFrames: 10, EvalN: 5, KMeansK: 2, Lag: 1, SPIBMaxEpochs: 1,
		Phase2Epochs: 1, Exponent: 1, KDEBandwidth: 0.1, KLBins: 10, SurfaceBins: 10}
	require.NoError(t, ok.Validate())
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
		assert.ErrorContains(t, err, field, "%s: error does not name the field", field)
	}
}

// TestParseFlagsExplicitZeroA: -a 0 is refused, not read as the preset's a;
// without -a the preset's applies (Exponent 0).
func TestParseFlagsExplicitZeroA(t *testing.T) {
	spec := &Spec{System: &System{Name: "test"}, DefaultOut: "out", Presets: map[string]Sizes{"default": {}}}
	_, err := ParseFlags(spec, []string{"-a", "0"}, io.Discard)
	assert.ErrorContains(t, err, "omit -a", "-a 0: want a refusal")
	o, err := ParseFlags(spec, nil, io.Discard)
	if assert.NoError(t, err, "no -a") {
		assert.Zero(t, o.Exponent, "no -a: exponent")
	}
	o, err = ParseFlags(spec, []string{"-a", "0.5"}, io.Discard)
	if assert.NoError(t, err, "-a 0.5") {
		assert.Equal(t, 0.5, o.Exponent, "-a 0.5: exponent")
	}
}

// TestParseFlagsGenerator: -ema passes through (0, the default, is no
// average) and out-of-range values are refused; -posthoc is off unless
// given.
func TestParseFlagsGenerator(t *testing.T) {
	spec := &Spec{System: &System{Name: "test"}, DefaultOut: "out", Presets: map[string]Sizes{"default": {}}}
	for _, c := range []struct {
		args    []string
		ema     float64
		posthoc bool
	}{{nil, 0, false}, {[]string{"-ema", "0"}, 0, false}, {[]string{"-ema", "0.99", "-posthoc"}, 0.99, true}} {
		o, err := ParseFlags(spec, c.args, io.Discard)
		if assert.NoError(t, err, "%v", c.args) {
			assert.Equal(t, c.ema, o.EMADecay, "%v: EMADecay", c.args)
			assert.Equal(t, c.posthoc, o.PostHoc, "%v: PostHoc", c.args)
		}
	}
	for _, bad := range []string{"1", "-0.5", "NaN"} {
		_, err := ParseFlags(spec, []string{"-ema", bad}, io.Discard)
		assert.ErrorContains(t, err, "-ema", "-ema %s", bad)
	}
	o, err := ParseFlags(spec, []string{"-latent-scale", "0.5", "-min-steps2", "9000", "-polish2", "20", "-coupling", "linear", "-experts", "4"}, io.Discard)
	if assert.NoError(t, err) {
		assert.Equal(t, 0.5, o.LatentScale)
		assert.Equal(t, 9000, o.MinSteps)
		assert.Contains(t, generatorSetting(o), "z/0.5")
		assert.Contains(t, generatorSetting(o), "9000 optimiser steps")
		assert.Equal(t, 20, o.PolishEpochs)
		assert.Contains(t, generatorSetting(o), "20 epochs of the prior alone")
		assert.Equal(t, diffusion.CouplingLinear, o.Coupling)
		assert.Contains(t, generatorSetting(o), "linear (-coupling) with 4 experts")
	}
	o, err = ParseFlags(spec, []string{"-corrector", "2", "-input-frequencies", "8", "-input-gated", "-step-sampling", "elbo"}, io.Discard)
	if assert.NoError(t, err) {
		assert.Equal(t, 2, o.Corrector)
		assert.Contains(t, generatorSetting(o), "2 Langevin corrector steps per level, r = 0.16")
		assert.Equal(t, 8, o.InputFrequencies)
		assert.Contains(t, generatorSetting(o), "8 sinusoidal features per latent coordinate, up to 2 cycles")
		assert.True(t, o.InputGated)
		assert.Contains(t, generatorSetting(o), "scaled by √ᾱ_i")
		assert.Equal(t, diffusion.StepsELBO, o.StepSampling)
		assert.Contains(t, generatorSetting(o), "steps drawn elbo")
	}
	assert.Empty(t, generatorSetting(Options{}), "no generator flags: nothing added to the report")
	for _, bad := range [][]string{{"-latent-scale", "-1"}, {"-latent-scale", "NaN"}, {"-min-steps2", "-3"}, {"-polish2", "-1"}, {"-coupling", "affine"}, {"-experts", "2"}, {"-experts", "-1"},
		{"-corrector", "-1"}, {"-corrector-snr", "0.1"}, {"-corrector", "1", "-corrector-snr", "-0.1"}, {"-corrector", "1", "-corrector-snr", "NaN"},
		{"-input-frequencies", "-1"}, {"-input-fmax", "1"}, {"-input-frequencies", "2", "-input-fmax", "-1"}, {"-step-sampling", "snr"}, {"-input-gated"}} {
		_, err := ParseFlags(spec, bad, io.Discard)
		assert.ErrorContains(t, err, bad[0], "%v", bad)
	}
}

// -paper runs PaperSeeds seeds unless -repeat is given; other presets one.
func TestParseFlagsPaperSeeds(t *testing.T) {
	spec := &Spec{System: &System{Name: "test"}, DefaultOut: "out", Presets: map[string]Sizes{"default": {}, "paper": {}}}
	for _, c := range []struct {
		args []string
		want int
	}{{[]string{"-paper"}, PaperSeeds}, {[]string{"-paper", "-repeat", "1"}, 1}, {nil, 1}, {[]string{"-repeat", "2"}, 2}} {
		o, err := ParseFlags(spec, c.args, io.Discard)
		if assert.NoError(t, err, "%v", c.args) {
			assert.Equal(t, c.want, o.Repeat, "%v", c.args)
		}
	}
	assert.GreaterOrEqual(t, PaperSeeds, 3)
}
