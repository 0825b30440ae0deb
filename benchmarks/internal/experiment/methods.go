package experiment

import (
	"github.com/dspib/dspib/analysis/plots"
	"github.com/dspib/dspib/learn"
)

// Encoder and Generator are the learner interfaces of package learn.
type (
	Encoder   = learn.Encoder
	Generator = learn.Generator
)

// Method is one way of predicting the latent distribution at a temperature:
// a generator in the latent space of an encoder.
type Method struct {
	// Name is shown in tables ("SPIB (VampPrior)").
	Name string
	// Key is a short file-name-safe identifier ("spib").
	Key string
	// EncKey names the encoder ("spib", "dspib"): methods with the same
	// EncKey are compared against the same encoded MD.
	EncKey string
	Enc    Encoder
	Gen    Generator
	// Baseline marks reference predictions that are not generative models
	// (the nearest training temperature's MD).
	Baseline bool
	// TempAware marks generators conditioned on temperature (the ones the
	// nearest-temperature baseline judges).
	TempAware bool
	// Curves are the training-loss curves, if any.
	Curves []plots.Curve
}

// thin is learn.Thin.
func thin(x []float64, d, n int) []float64 { return learn.Thin(x, d, n) }
