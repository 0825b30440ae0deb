package main

import (
	"io"
	"testing"

	"github.com/dspib/dspib/learn/diffusion"
	dsp "github.com/dspib/dspib/learn/dspib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTrainGeneratorFlags: the generator flags reach the library's Config
// (phase 2's EMA, encoder drift and stopping rule; the sampler saved with
// the prior), their absence leaves the zero values, and bad values are
// refused naming the flag.
func TestTrainGeneratorFlags(t *testing.T) {
	tc, err := parseTrain([]string{"-in", "x", "-out", "y"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, dsp.GeneratorKey{}, tc.raw.GeneratorKey(), "no flags: the defaults")
	tc, err = parseTrain([]string{"-in", "x", "-out", "y", "-ema", "0"}, io.Discard)
	require.NoError(t, err)
	assert.Zero(t, tc.raw.EMA(), "-ema 0: no average")
	assert.Equal(t, diffusion.Ancestral, tc.raw.Prior.Sampler)

	tc, err = parseTrain([]string{"-in", "x", "-out", "y", "-ema", "0.999", "-ema-model", "-encoder-lr", "0.1", "-stop2", "heldout",
		"-sampler", "ode", "-sample-steps", "50", "-unit-start", "-hidden", "32, 128,128,32", "-min-steps2", "9000",
		"-latent-scale", "0.5", "-polish2", "10", "-coupling", "linear", "-experts", "4"}, io.Discard)
	require.NoError(t, err)
	r := tc.raw
	assert.Equal(t, 0.999, r.EMADecay)
	assert.True(t, r.EMAModel)
	assert.Equal(t, 0.1, r.EncoderLR)
	assert.Equal(t, dsp.StopHeldOut, r.StopOn)
	assert.Equal(t, diffusion.ProbabilityFlow, r.Prior.Sampler)
	assert.Equal(t, 50, r.Prior.SampleSteps)
	assert.True(t, r.Prior.UnitStart)
	assert.Equal(t, []int{32, 128, 128, 32}, r.Prior.Hidden)
	assert.Equal(t, 9000, r.MinSteps)
	assert.Equal(t, 0.5, r.Prior.LatentScale)
	assert.Equal(t, 10, r.PolishEpochs)
	assert.Equal(t, diffusion.CouplingLinear, r.Prior.Coupling)
	assert.Equal(t, 4, r.Prior.Experts)

	tc, err = parseTrain([]string{"-in", "x", "-out", "y", "-corrector", "2", "-corrector-snr", "0.1", "-input-frequencies", "6", "-input-fmax", "1.5", "-input-gated", "-step-sampling", "elbo"}, io.Discard)
	require.NoError(t, err)
	assert.True(t, tc.raw.Prior.InputGated)
	assert.Equal(t, diffusion.StepsELBO, tc.raw.Prior.StepSampling)
	assert.Equal(t, 6, tc.raw.Prior.InputFrequencies)
	assert.Equal(t, 1.5, tc.raw.Prior.InputMaxFrequency)
	assert.Equal(t, 2, tc.raw.Prior.Corrector)
	assert.Equal(t, 0.1, tc.raw.Prior.CorrectorSNR)

	tc, err = parseTrain([]string{"-in", "x", "-out", "y", "-freeze-encoder"}, io.Discard)
	require.NoError(t, err)
	assert.True(t, tc.raw.FreezeEncoder)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-ema", "1"}, "-ema"},
		{[]string{"-ema-model"}, "-ema-model: needs -ema"},
		{[]string{"-encoder-lr", "1.5"}, "-encoder-lr"},
		{[]string{"-encoder-lr", "0"}, "-encoder-lr"},
		{[]string{"-freeze-encoder", "-encoder-lr", "0.5"}, "-encoder-lr"},
		{[]string{"-stop2", "test"}, "-stop2"},
		{[]string{"-sampler", "euler"}, "-sampler"},
		{[]string{"-sample-steps", "0"}, "-sample-steps"},
		{[]string{"-sample-steps", "101"}, "SampleSteps"},
		{[]string{"-hidden", "16,x"}, "-hidden"},
		{[]string{"-hidden", "16,0"}, "-hidden"},
		{[]string{"-min-steps2", "-1"}, "-min-steps2"},
		{[]string{"-polish2", "-1"}, "-polish2"},
		{[]string{"-latent-scale", "-2"}, "LatentScale"},
		{[]string{"-coupling", "affine"}, "-coupling"},
		{[]string{"-experts", "3"}, "Experts = 3 needs a linear Coupling"},
		{[]string{"-corrector", "-1"}, "Corrector = -1"},
		{[]string{"-corrector", "1", "-sampler", "ode"}, "needs the Ancestral sampler"},
		{[]string{"-corrector-snr", "0.2"}, "without corrector steps"},
		{[]string{"-input-frequencies", "40"}, "InputFrequencies = 40"},
		{[]string{"-input-fmax", "3"}, "without input features"},
		{[]string{"-step-sampling", "snr"}, "-step-sampling"},
		{[]string{"-input-gated"}, "InputGated without input features"},
	} {
		_, err := parseTrain(append([]string{"-in", "x", "-out", "y"}, c.args...), io.Discard)
		require.Error(t, err, "%v", c.args)
		assert.Contains(t, err.Error(), c.want, "%v", c.args)
	}
}
