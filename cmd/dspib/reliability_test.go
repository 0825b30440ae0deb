package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTrainExplicitZeros reproduces issue item 2: explicit zeros of train
// are refused with a message naming the flag when they mean nothing, never
// silently replaced by the default.
func TestTrainExplicitZeros(t *testing.T) {
	dir := t.TempDir()
	for _, fl := range []string{"lag", "batch", "latent-dim", "replicas", "epochs", "epochs1", "epochs2", "lr", "lambda", "exponent", "tol1", "tol2"} {
		r := runCLI(context.Background(), "train", "-in", dir, "-out", dir, "-"+fl, "0")
		assert.Equal(t, 2, r.code, "-%s 0: %s", fl, r.stderr)
		assert.Contains(t, r.stderr, "-"+fl+" 0:", "-%s 0", fl)
	}
	// Not given: the defaults (the command then fails on the missing folder).
	r := runCLI(context.Background(), "train", "-in", filepath.Join(dir, "none"), "-out", dir)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "metadata.json")
}

// TestTrainMeaningfulZeros: -beta 0 and -refinements 0 are
// used as zeros, and summary.json records them.
func TestTrainMeaningfulZeros(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim")
	mustRun(t, "simulate", "-system", "threehole", "-temps", "1,1.5", "-frames", "1000", "-stride", "50", "-seed", "2", "-quiet", "-out", sim)
	model := filepath.Join(dir, "model")
	mustRun(t, append([]string{"train", "-in", sim, "-out", model, "-phase", "spib"},
		append(quickTrain, "-beta", "0", "-refinements", "0")...)...)
	var sum struct {
		SPIB map[string]any `json:"spib_config"`
	}
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(model, "summary.json")), &sum))
	for _, k := range []string{"beta", "refinements"} {
		v, ok := sum.SPIB[k]
		assert.True(t, ok, "summary has no %s", k)
		assert.EqualValues(t, 0, v, "summary %s", k)
	}
}

// TestTempsTrimmedAndBounded reproduces item 6: spaces around -temps values
// are accepted, and an absurd kT is refused up front with a short message.
func TestTempsTrimmedAndBounded(t *testing.T) {
	temps, err := parseTemps(" 0.6 , 1.0 ")
	require.NoError(t, err)
	assert.Equal(t, []float64{0.6, 1.0}, temps)
	temps, err = parseTrainTemps("-temps", " 1 ,1")
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 1}, temps)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"simulate", "-system", "threehole", "-temps", "1e300", "-out", dir},
		{"generate", "-model", dir, "-temps", "1e300", "-out", dir},
		{"train", "-features", "a.npy", "-temps", "1e300", "-out", dir},
	} {
		r := runCLI(context.Background(), args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "≤ 1e+06", "%v", args)
		assert.Less(t, len(strings.SplitN(r.stderr, "\n", 2)[0]), 200, "%v: %q", args, r.stderr)
	}
}
