package diffusion

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dspib/dspib/learn/ad"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.KTRef = 0 }, "KTRef"},
		{func(c *Config) { c.KTRef = math.NaN() }, "KTRef"},
		{func(c *Config) { c.Dim = -1 }, "Dim"},
		{func(c *Config) { c.Exponent = math.Inf(1) }, "Exponent"},
		{func(c *Config) { c.Embedding = 7 }, "Embedding"},
		{func(c *Config) { c.FourierDim = 5 }, "FourierDim"},
		{func(c *Config) { c.Act = 9 }, "Act"},
		{func(c *Config) { c.Replicas = -2 }, "Replicas"},
		{func(c *Config) { c.Hidden = []int{16, 0} }, "Hidden[1]"},
		{func(c *Config) { c.BetaMax = 1.5 }, "BetaMax"},
	} {
		cfg := Config{KTRef: 1}
		c.mod(&cfg)
		_, err := New(cfg, newRNG(1))
		assert.ErrorContains(t, err, c.want, "New(%+v)", cfg)
	}
	if _, err := New(Config{KTRef: 1}, nil); err == nil {
		t.Error("New with nil rng: no error")
	}
}

func TestLossAndFitErrors(t *testing.T) {
	p, _ := New(tinyConfig(Smooth, SiLU), newRNG(1))
	tape := ad.NewTape()
	z := tape.Const(2, 2, []float64{0, 1, 2, 3})
	for _, c := range []struct {
		z     *ad.Node
		temps []float64
		want  string
	}{
		{z, []float64{1}, "len(kT)"},
		{z, []float64{1, -1}, "kT[1]"},
		{tape.Const(2, 3, make([]float64, 6)), []float64{1, 1}, "columns"},
	} {
		_, err := p.Loss(tape, c.z, c.temps, newRNG(2))
		assert.ErrorContains(t, err, c.want, "Loss")
	}
	x := []float64{0, 1, 2, 3}
	for _, c := range []struct {
		x, temps []float64
		cfg      TrainConfig
		want     string
	}{
		{x, []float64{1}, TrainConfig{}, "len(samples)"},
		{[]float64{0, math.NaN(), 2, 3}, []float64{1, 1}, TrainConfig{}, "samples[1]"},
		{x, []float64{1, 0}, TrainConfig{}, "kT[1]"},
		{x, []float64{1, 1}, TrainConfig{Epochs: -1}, "Epochs"},
		{x, []float64{1, 1}, TrainConfig{LRDecay: 2}, "LRDecay"},
		{x, []float64{1, 1}, TrainConfig{Adam: ad.AdamConfig{LR: -1}}, "LR"},
	} {
		_, err := p.Fit(c.x, c.temps, c.cfg, newRNG(3))
		assert.ErrorContains(t, err, c.want, "Fit")
	}
}

// TestNoAllocation checks the hot paths: a training step (Loss, Backward,
// Adam) after the first, and the sampler's per-chunk loop over 100 steps.
func TestNoAllocation(t *testing.T) {
	p, _ := New(Config{KTRef: 1, Hidden: []int{8, 16, 16, 8}, Replicas: 4}, newRNG(1))
	rng := newRNG(2)
	z := mixture2D(32, mixCentres, mixSD, rng)
	temps := fill(32, 1.3)
	opt, _ := ad.NewAdam(p.Params(), ad.AdamConfig{})
	tape := ad.NewTape()
	step := func() {
		tape.Reset()
		opt.ZeroGrad()
		l, err := p.Loss(tape, tape.Const(32, 2, z), temps, rng)
		require.NoError(t, err)
		tape.Backward(l)
		opt.Step()
	}
	step()
	assert.Zero(t, testing.AllocsPerRun(5, step), "training step allocations")
	f := p.newInfer()
	dst := make([]float64, chunkRows*2)
	for _, s := range []Sampler{Ancestral, ProbabilityFlow} {
		assert.Zero(t, testing.AllocsPerRun(3, func() { f.sampleChunk(dst, chunkRows, 1.3, 1.3, s, rng) }), "%v: allocations of sampling a chunk", s)
	}
}

// TestExplicitZeroExponent: a negative Config.Exponent is an explicit
// a = 0, σ_T = 1 at every temperature (zero itself means the default a = 1).
func TestExplicitZeroExponent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p, err := New(Config{KTRef: 0.5, Exponent: -1}, rng)
	require.NoError(t, err)
	for _, T := range []float64{0.1, 0.5, 3} {
		s, err := p.Sigma(T)
		require.NoError(t, err)
		require.Equal(t, 1.0, s, "σ_T at kT %v with a = 0", T)
	}
	q, err := New(Config{KTRef: 0.5}, rng)
	require.NoError(t, err)
	s, err := q.Sigma(1)
	require.NoError(t, err)
	require.Equal(t, 2.0, s, "default a = 1: σ_T = T/T_ref")
	_, err = New(Config{KTRef: 0.5, Exponent: math.NaN()}, rng)
	require.ErrorContains(t, err, "Config.Exponent")
}
