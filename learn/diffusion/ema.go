package diffusion

import (
	"fmt"
	"math"

	"github.com/dspib/dspib/learn/ad"
)

// EMA is an exponential moving average of a set of parameters (the noise
// network's weights), the weights a diffusion model samples with (Ho, Jain
// & Abbeel 2020 §4 use decay 0.9999; Song et al. 2021 and Karras et al.
// 2022 likewise): averaging over the last ~1/(1−decay) optimiser steps
// removes most of Adam's step-to-step jitter from ε_θ, which the sampler
// integrates over N steps.
//
// After every optimiser step, Update sets
//
//	θ̄ ← δ_n θ̄ + (1 − δ_n) θ,  δ_n = min(Decay, (1 + n)/(10 + n)),
//
// n the number of earlier updates, starting from θ̄ = θ at construction.
// The warm-up factor (1 + n)/(10 + n) is that of TensorFlow's
// ExponentialMovingAverage with num_updates: without it a short run (LJ7
// phase 2 converges after ~2,000 steps) would keep e^{−2} of the random
// initialisation at Decay 0.999.
type EMA struct {
	Decay  float64 // in (0, 1)
	params []*ad.Param
	shadow [][]float64
	n      int
}

// NewEMA starts an average of params (θ̄ = θ) with the given decay per
// update, in (0, 1).
func NewEMA(params []*ad.Param, decay float64) (*EMA, error) {
	if !(decay > 0 && decay < 1) {
		return nil, fmt.Errorf("diffusion: EMA decay = %g, want in (0, 1)", decay)
	}
	e := &EMA{Decay: decay, params: params, shadow: make([][]float64, len(params))}
	for i, p := range params {
		e.shadow[i] = append([]float64(nil), p.Data...)
	}
	return e, nil
}

// Update folds the parameters' current values into the average.
func (e *EMA) Update() {
	d := min(e.Decay, float64(1+e.n)/float64(10+e.n))
	c := 1 - d
	for i, p := range e.params {
		s := e.shadow[i]
		for j, v := range p.Data {
			s[j] += c * (v - s[j])
		}
	}
	e.n++
}

// Updates returns the number of Update calls folded in.
func (e *EMA) Updates() int { return e.n }

// Swap exchanges the parameters' values with the average (bit for bit), so
// that a second Swap restores them: evaluate with the averaged weights
// between two Swaps.
func (e *EMA) Swap() {
	for i, p := range e.params {
		s := e.shadow[i]
		for j := range s {
			p.Data[j], s[j] = s[j], p.Data[j]
		}
	}
}

// EMA checkpoint tensors: "ema/<parameter name>" per parameter and
//
//	ema.meta  1×2: decay, updates so far
const (
	emaPrefix = "ema/"
	tagEMA    = "ema.meta"
)

// Tensors returns the average (sharing its memory) and its state, to store
// in a checkpoint; Restore reads them back.
func (e *EMA) Tensors() []ad.Tensor {
	ts := []ad.Tensor{{Name: tagEMA, Rows: 1, Cols: 2, Data: []float64{e.Decay, float64(e.n)}}}
	for i, p := range e.params {
		ts = append(ts, ad.Tensor{Name: emaPrefix + p.Name, Rows: p.Rows, Cols: p.Cols, Data: e.shadow[i]})
	}
	return ts
}

// Restore sets the average and its update count from tensors written by
// Tensors for the same parameters and decay; a missing or misshapen tensor
// or another decay is an error naming it, and e is unchanged on error.
func (e *EMA) Restore(ts []ad.Tensor) error {
	by := make(map[string]ad.Tensor, len(ts))
	for _, t := range ts {
		by[t.Name] = t
	}
	m, ok := by[tagEMA]
	if !ok || len(m.Data) != 2 {
		return fmt.Errorf("diffusion: EMA: tensor %q missing or not 2 values", tagEMA)
	}
	if m.Data[0] != e.Decay {
		return fmt.Errorf("diffusion: EMA: stored decay %g, want %g", m.Data[0], e.Decay)
	}
	n := m.Data[1]
	if !(n >= 0) || n != math.Trunc(n) || n > 1<<52 {
		return fmt.Errorf("diffusion: EMA: stored update count %g, want an integer ≥ 0", n)
	}
	for _, p := range e.params {
		t, ok := by[emaPrefix+p.Name]
		if !ok || t.Rows != p.Rows || t.Cols != p.Cols || len(t.Data) != len(p.Data) {
			return fmt.Errorf("diffusion: EMA: tensor %q missing or not %d×%d", emaPrefix+p.Name, p.Rows, p.Cols)
		}
	}
	for i, p := range e.params {
		copy(e.shadow[i], by[emaPrefix+p.Name].Data)
	}
	e.n = int(n)
	return nil
}
