package learn

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/spib"
)

// newSPIB returns an untrained SPIB model with D = 3 features and K = 4
// states (random weights: enough to check the adapters' plumbing).
func newSPIB(t *testing.T) *spib.Model {
	cfg, err := spib.Config{}.Validate()
	require.NoError(t, err)
	std := spib.Standardizer{Mean: []float64{1, -2, 0.5}, Std: []float64{2, 1, 0.5}}
	return spib.NewModel(cfg, 3, 4, std, rand.New(rand.NewPCG(1, 2)))
}

// The SPIB encoder adapter: Encode is the model's z_mean and Classify of it
// gives the model's own state prediction for the same frames.
func TestSPIBEncoder(t *testing.T) {
	m := newSPIB(t)
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 5000 // more than one classify chunk
	x := make([]float64, n*3)
	for i := range x {
		x[i] = 3 * rng.NormFloat64()
	}
	var enc Encoder = SPIB{m}
	require.Equal(t, 3, enc.FeatureDim())
	require.Equal(t, m.LatentDim(), enc.LatentDim())
	require.Equal(t, 4, enc.NumStates())
	z, err := enc.Encode(x)
	require.NoError(t, err)
	want, _, err := m.Encode(x, 1)
	require.NoError(t, err)
	require.Equal(t, want, z)
	got, err := enc.Classify(z)
	require.NoError(t, err)
	labels, _, err := m.Predict(x, runtime.GOMAXPROCS(0))
	require.NoError(t, err)
	require.Equal(t, labels, got)
	_, err = enc.Classify(z[:3])
	require.ErrorContains(t, err, "multiple of d")
}

// The diffusion adapter is the prior's sampler at one temperature; the set
// adapter thins evenly and refuses an unknown temperature.
func TestGenerators(t *testing.T) {
	p, err := diffusion.New(diffusion.Config{KTRef: 1, Hidden: []int{4, 8, 8, 4}}, rand.New(rand.NewPCG(5, 6)))
	require.NoError(t, err)
	var g Generator = Diffusion{p}
	z, err := g.Generate(0.7, 100, 9)
	require.NoError(t, err)
	want, err := p.Sample(0.7, 100, 9)
	require.NoError(t, err)
	require.Equal(t, want, z)

	s := Set{Sets: map[float64][]float64{1: {0, 0, 1, 1, 2, 2, 3, 3}}, D: 2}
	got, err := s.Generate(1, 2, 0)
	require.NoError(t, err)
	require.Equal(t, []float64{0, 0, 2, 2}, got)
	got, err = s.Generate(1, 10, 0)
	require.NoError(t, err)
	require.Len(t, got, 8)
	_, err = s.Generate(2, 2, 0)
	require.ErrorContains(t, err, "no latents for kT 2")
}
