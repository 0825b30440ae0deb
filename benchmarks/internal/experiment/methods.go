package experiment

import (
	"github.com/dspib/dspib/evaluate"
	"github.com/dspib/dspib/learn"
)

// Method is one way of predicting the latent distribution at a temperature
// (package evaluate).
type Method = evaluate.Method

// thin is learn.Thin.
func thin(x []float64, d, n int) []float64 { return learn.Thin(x, d, n) }
