package spib

import (
	"math"

	"github.com/dspib/dspib/learn/ad"
)

// An independent scalar (tape-free) implementation of the network, one row at
// a time, used to check the tape maths.

// scratch holds per-goroutine buffers for tape-free inference.
type scratch struct {
	s, h1, h2, lv, o []float64
}

func (m *Model) newScratch() *scratch {
	n := max(m.cfg.Hidden1, m.cfg.Hidden2, m.D, m.K)
	return &scratch{s: make([]float64, m.D), h1: make([]float64, n), h2: make([]float64, n),
		lv: make([]float64, m.cfg.LatentDim), o: make([]float64, m.K)}
}

// affine computes dst = act(W·x + b) for a PyTorch-layout layer.
func affine(dst []float64, l *ad.Linear, x []float64, relu bool) {
	for o := 0; o < l.Out; o++ {
		w := l.W.Data[o*l.In : (o+1)*l.In]
		s := l.B.Data[o]
		for i, v := range x[:l.In] {
			s += w[i] * v
		}
		if relu && s < 0 {
			s = 0
		}
		dst[o] = s
	}
}

// encodeRow writes z_mean and logvar of one standardised input.
func (m *Model) encodeRow(mean, logvar, x []float64, sc *scratch) {
	h := x
	if m.enc1 != nil {
		affine(sc.h1, m.enc1, x, true)
		affine(sc.h2, m.enc2, sc.h1, true)
		h = sc.h2
	}
	affine(mean, m.encMean, h, false)
	if m.encLogVar != nil {
		affine(logvar, m.encLogVar, h, false)
		for j, v := range logvar {
			logvar[j] = -10 / (1 + math.Exp(-v))
		}
	} else {
		copy(logvar, m.logVar.Data)
	}
}

// decodeRow writes the K decoder logits into sc.o; with norm it turns them
// into log-probabilities log p(y|z) (log-softmax). The argmax is the same
// either way.
func (m *Model) decodeRow(z []float64, sc *scratch, norm bool) []float64 {
	affine(sc.h1, m.dec1, z, true)
	affine(sc.h2, m.dec2, sc.h1, true)
	o := sc.o[:m.K]
	affine(o, m.decOut, sc.h2, false)
	if !norm {
		return o
	}
	mx := math.Inf(-1)
	for _, v := range o {
		mx = max(mx, v)
	}
	s := 0.0
	for _, v := range o {
		s += math.Exp(v - mx)
	}
	lse := mx + math.Log(s)
	for k := range o {
		o[k] -= lse
	}
	return o
}
