package spib

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseConfig feeds ParseConfig arbitrary JSON. Properties: no panic,
// and what parses round-trips: MarshalConfig of the validated result parses
// back to the same Config.
func FuzzParseConfig(f *testing.F) {
	full, err := MarshalConfig(Config{Lag: 3, LatentDim: 1, Encoder: Linear, LogVar: PerSampleLogVar, Hidden1: 8, Hidden2: 4,
		Beta: 0.5, LearningRate: 1e-2, LRDecay: 0.9, BatchSize: 32, Tolerance: 1e-4, TrainFrac: 0.5, TestFrac: 0.25,
		Refinements: 2, Patience: 3, MaxEpochs: 7, Workers: 2})
	require.NoError(f, err)
	f.Add(full)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"lag": 0, "beta": -0}`))
	f.Add([]byte(`{"hidden1": 9223372036854775807, "latent_dim": -1}`))
	f.Add([]byte(`{"beta": 1e309}`))
	f.Add([]byte(`{"encoder": "linear"} {}`))
	f.Add([]byte(`{"learning_rate": "fast", "unknown": 1}`))

	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := ParseConfig(bytes.NewReader(in))
		if err != nil {
			return
		}
		b, err := MarshalConfig(c)
		require.NoError(t, err)
		back, err := ParseConfig(bytes.NewReader(b))
		require.NoError(t, err, "%s", b)
		require.Equal(t, c, back)
	})
}
