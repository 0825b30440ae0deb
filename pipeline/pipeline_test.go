package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/manifest"
	"github.com/dspib/dspib/learn/dspib"
	"github.com/dspib/dspib/learn/spib"
)

// twoWells returns n frames of a 2-D walk hopping between two wells at kT,
// as an input whose k-means coordinates are the features themselves.
func twoWells(kT float64, n int, seed uint64) Input {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, 0, 2*n)
	c := -2.0
	for i := range n {
		if i%50 == 0 && rng.Float64() < 0.5 {
			c = -c
		}
		x = append(x, c+kT*rng.NormFloat64(), kT*rng.NormFloat64())
	}
	return Input{KT: kT, Source: "synthetic", Features: x, Frames: n, D: 2, LabelX: x, LabelDim: 2}
}

func tinyConfig(log *bytes.Buffer) Config {
	return Config{Name: "t", K: 4, PostHoc: true, Reuse: true, Log: log,
		Fit: dspib.Config{SPIB: spib.Config{Lag: 1, MaxEpochs: 20, Refinements: -1, BatchSize: 64}, MaxEpochs: 1}}
}

// Train writes the model folder; its validation files hold exactly the
// features of the validation frames; a second Train with the same inputs,
// settings and seed reuses it, and another seed trains again.
func TestTrainFolderAndReuse(t *testing.T) {
	dir := t.TempDir()
	ins := []Input{twoWells(0.3, 600, 1), twoWells(0.6, 600, 2)}
	var log bytes.Buffer
	res, err := Train(t.Context(), ins, tinyConfig(&log), 7, dir)
	require.NoError(t, err, log.String())
	require.False(t, res.Reused)
	require.NotNil(t, res.PostHoc)
	for _, f := range []string{"model.json", Phase1Dir, PostHocPrior, InitialLabels, LossesSPIB, LossesDSPIB, TrainFrames, ValFrames, Histories, Marker} {
		_, err := os.Stat(filepath.Join(dir, f))
		assert.NoError(t, err, f)
	}
	require.Len(t, res.InitialLabels, 1200)
	val, err := Validation(dir, []float64{0.3, 0.6})
	require.NoError(t, err)
	want := map[float64][]float64{}
	for _, f := range res.ValFrames {
		in, r := ins[0], f
		if f >= ins[0].Frames {
			in, r = ins[1], f-ins[0].Frames
		}
		want[in.KT] = append(want[in.KT], in.Features[2*r:2*r+2]...)
	}
	assert.Equal(t, want[0.3], val[0.3])
	assert.Equal(t, want[0.6], val[0.6])
	assert.Len(t, Methods(res), 3)

	again, err := Train(t.Context(), ins, tinyConfig(&log), 7, dir)
	require.NoError(t, err)
	assert.True(t, again.Reused, "same settings: reused")
	assert.Equal(t, res.ValFrames, again.ValFrames)
	assert.Equal(t, res.PostHocLosses, again.PostHocLosses)
	assert.Contains(t, log.String(), "reuse: t: trained models")

	other, err := Train(t.Context(), ins, tinyConfig(&log), 8, dir)
	require.NoError(t, err)
	assert.False(t, other.Reused, "another seed trains again")
}

// TestTrainManifest: Train writes the manifest last, covering the model,
// pipeline.json and the caller's Outputs; a file swapped afterwards is
// detected; a Train that fails in Outputs leaves no manifest (the old one is
// removed when training starts) and no pipeline.json.
func TestTrainManifest(t *testing.T) {
	dir := t.TempDir()
	ins := []Input{twoWells(0.3, 400, 1), twoWells(0.6, 400, 2)}
	var log bytes.Buffer
	cfg := tinyConfig(&log)
	cfg.SPIBOnly, cfg.PostHoc, cfg.Reuse = true, false, false
	cfg.Outputs = func(res *Result) error {
		_, err := os.Stat(filepath.Join(dir, manifest.Name))
		require.ErrorIs(t, err, os.ErrNotExist, "a manifest exists while the folder is written")
		return os.WriteFile(filepath.Join(dir, "extra.txt"), []byte("caller's file"), 0o644)
	}
	_, err := Train(t.Context(), ins, cfg, 7, dir)
	require.NoError(t, err)
	ok, err := manifest.Verify(dir)
	require.NoError(t, err)
	require.True(t, ok, "no manifest written")
	b, err := os.ReadFile(filepath.Join(dir, manifest.Name))
	require.NoError(t, err)
	var m struct {
		Files map[string]string `json:"sha256"`
	}
	require.NoError(t, json.Unmarshal(b, &m))
	for _, f := range []string{"model.json", "spib.ckpt", InitialLabels, LossesSPIB, Histories, Marker, FitCheckpoint, "extra.txt"} {
		assert.Contains(t, m.Files, f, "manifest entries")
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "extra.txt"), []byte("swapped file!"), 0o644))
	_, err = manifest.Verify(dir)
	require.ErrorIs(t, err, manifest.ErrMismatch)

	stop := errors.New("outputs failed")
	cfg.Outputs = func(*Result) error { return stop }
	_, err = Train(t.Context(), ins, cfg, 7, dir)
	require.ErrorIs(t, err, stop)
	for _, f := range []string{manifest.Name, Marker} {
		assert.NoFileExists(t, filepath.Join(dir, f))
	}
}

// Bad inputs are refused with an error naming the problem.
func TestTrainRejects(t *testing.T) {
	ok := twoWells(0.3, 20, 1)
	cases := map[string][]Input{
		"no input trajectories": nil,
		"need at least 2":       {{KT: 1, Source: "a", Frames: 1, D: 2, Features: []float64{0, 0}}},
		"k-means values":        {ok, {KT: 1, Source: "b", Frames: 20, D: 2, Features: ok.Features, LabelX: ok.LabelX[:4], LabelDim: 2}},
		"for every input":       {ok, {KT: 1, Source: "c", Frames: 20, D: 2, Features: ok.Features, Labels: make([]int, 20)}},
	}
	for want, ins := range cases {
		_, err := Train(t.Context(), ins, tinyConfig(&bytes.Buffer{}), 1, t.TempDir())
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
	}
}

// TestKeyGenerator: pipeline.json records the generator and sampler
// settings only when set, so a default run's key (and the reuse of folders
// trained before they existed) is unchanged, and each setting changes the
// key.
func TestKeyGenerator(t *testing.T) {
	ins := []Input{twoWells(0.3, 100, 1)}
	cfg := tinyConfig(nil)
	k0, err := Key(ins, cfg, 7)
	require.NoError(t, err)
	assert.NotContains(t, string(k0), "generator")
	assert.NotContains(t, string(k0), "Sampler")
	seen := map[string]bool{string(k0): true}
	for _, mod := range []func(*Config){
		func(c *Config) { c.Fit.EMADecay = 0.999 },
		func(c *Config) { c.Fit.EMADecay = 0.99 },
		func(c *Config) { c.Fit.FreezeEncoder = true },
		func(c *Config) { c.Fit.EncoderLR = 0.1 },
		func(c *Config) { c.Fit.StopOn = dspib.StopHeldOut },
		func(c *Config) { c.Fit.Prior.SampleSteps = 50 },
	} {
		c := tinyConfig(nil)
		mod(&c)
		k, err := Key(ins, c, 7)
		require.NoError(t, err)
		assert.False(t, seen[string(k)], "a setting left the key unchanged:\n%s", k)
		seen[string(k)] = true
	}
}
