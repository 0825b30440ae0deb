package diffusion

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/ad"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLatentScale: a prior with LatentScale c is the c = 1 prior on z/c,
// mapped back by c. With c = 2 every scaling is exact in floating point, so
// the identities hold bit for bit: the loss on z equals the unscaled loss on
// z/2 for the same draws, and the samples are twice the unscaled samples of
// the same weights. c = 1 is the default, and Save/Load keeps c.
func TestLatentScale(t *testing.T) {
	base := tinyConfig(Smooth, SiLU)
	prior := func(c float64) *Prior {
		t.Helper()
		cfg := base
		cfg.LatentScale = c
		p, err := New(cfg, newRNG(8)) // same weights for every c
		require.NoError(t, err)
		p.SetPrecision(ad.Float64)
		return p
	}
	z := []float64{0.3, -1.2, 0.8, 0.1, 2.5, -3}
	half := make([]float64, len(z))
	for i, v := range z {
		half[i] = v / 2
	}
	temps := []float64{1, 1.6, 0.7}
	tape := ad.NewTape()
	loss := func(p *Prior, x []float64) float64 {
		t.Helper()
		tape.Reset()
		l, err := p.Loss(tape, tape.Const(3, 2, x), temps, newRNG(5))
		require.NoError(t, err)
		return l.Scalar()
	}
	unit, two := prior(0), prior(2)
	assert.Equal(t, loss(unit, half), loss(two, z), "loss with c = 2 on z against c = 1 on z/2")
	assert.NotEqual(t, loss(unit, z), loss(two, z), "c = 2 gave the unscaled loss: LatentScale ignored")

	gen := func(p *Prior) []float64 {
		t.Helper()
		out, err := p.Sample(1.3, 130, 9)
		require.NoError(t, err)
		return out
	}
	ref := gen(unit)
	testutil.SameBits(t, "LatentScale = 1 against 0", gen(prior(1)), ref)
	want := make([]float64, len(ref))
	for i, v := range ref {
		want[i] = 2 * v
	}
	testutil.SameBits(t, "samples with c = 2 against 2 × the unscaled samples", gen(two), want)

	path := filepath.Join(t.TempDir(), "scaled.ckpt")
	require.NoError(t, two.Save(path))
	back, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, 2.0, back.Config().LatentScale)
	back.SetPrecision(ad.Float64) // the precision is a run setting, not stored
	testutil.SameBits(t, "samples after Save and Load", gen(back), want)

	for _, c := range []float64{-1, math.NaN(), math.Inf(1)} {
		cfg := base
		cfg.LatentScale = c
		_, err := New(cfg, newRNG(1))
		testutil.WantErr(t, err, "LatentScale")
	}
}
