package spib

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	c, err := Config{}.Validate()
	require.NoError(t, err)
	// The reference defaults of docs/method.md §2.
	assert.True(t, c.LatentDim == 2 && c.Encoder == Nonlinear && c.Hidden1 == 16 && c.Hidden2 == 16 &&
		c.Beta == 1e-5 && c.LearningRate == 1e-3 && c.BatchSize == 512 && c.Refinements == 5 &&
		c.Tolerance == 1e-3 && c.Patience == 5 && c.LogVar == SharedLogVar &&
		c.TrainFrac == 0.6 && c.TestFrac == 0.2 && c.Lag == 1 && c.LRDecay == 1, "defaults = %+v", c)
	c2, err := c.Validate()
	assert.NoError(t, err, "Validate of a validated config")
	assert.True(t, c2.Beta == c.Beta && c2.Refinements == c.Refinements, "Validate is not idempotent: %+v", c2)
	neg, _ := Config{Beta: -1, Refinements: -3, Patience: -2}.Validate()
	assert.Zero(t, neg.beta(), "negative Beta")
	assert.Zero(t, neg.refinements(), "negative Refinements")
	assert.Zero(t, neg.patience(), "negative Patience")
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for field, c := range map[string]Config{
		"Lag":          {Lag: -1},
		"LatentDim":    {LatentDim: -2},
		"Encoder":      {Encoder: "conv"},
		"LogVar":       {LogVar: "diag"},
		"Hidden1":      {Hidden1: -1},
		"Hidden2":      {Hidden2: -1},
		"LearningRate": {LearningRate: -1},
		"LRDecay":      {LRDecay: 1.5},
		"BatchSize":    {BatchSize: -5},
		"Tolerance":    {Tolerance: -1},
		"MaxEpochs":    {MaxEpochs: -1},
		"TrainFrac":    {TrainFrac: 1.2},
		"TestFrac":     {TrainFrac: 0.9, TestFrac: 0.2},
		"Workers":      {Workers: -1},
	} {
		_, err := c.Validate()
		wantErr(t, err, "Config."+field)
	}
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig(strings.NewReader(`{"lag": 10, "encoder": "linear", "beta": 0.001, "max_epochs": 7}`))
	require.NoError(t, err)
	assert.True(t, c.Lag == 10 && c.Encoder == Linear && c.Beta == 1e-3 && c.MaxEpochs == 7 && c.BatchSize == 512, "parsed %+v", c)
	_, err = ParseConfig(strings.NewReader(`{"lag": 10, "learning_rat": 0.1}`))
	wantErr(t, err, "learning_rat")
	_, err = ParseConfig(strings.NewReader(`{"lag": 0.5}`))
	wantErr(t, err, "lag")
	_, err = ParseConfig(strings.NewReader(`{"batch_size": -3}`))
	wantErr(t, err, "Config.BatchSize")
	_, err = ParseConfig(strings.NewReader(`{"lag": 3} {"lag": 4}`))
	wantErr(t, err, "trailing")

	b, err := MarshalConfig(c)
	require.NoError(t, err)
	c2, err := ParseConfig(strings.NewReader(string(b)))
	require.NoError(t, err)
	assert.True(t, c2.Lag == c.Lag && c2.Encoder == c.Encoder && c2.Beta == c.Beta && c2.MaxEpochs == c.MaxEpochs,
		"round trip: %+v != %+v", c2, c)
}
