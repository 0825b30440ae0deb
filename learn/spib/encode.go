package spib

import (
	"fmt"
	"math"
	"sync"
)

// chunkRows is the fixed chunk of rows each goroutine encodes at a time.
// Every row is computed independently, so the result is bit-identical for
// any number of workers.
const chunkRows = 2048

// encoded is the tape-free forward pass over many standardised rows.
type encoded struct {
	zMean  []float64 // n×d
	logVar []float64 // n×d
	labels []int     // n: argmax_k log p(k | z_mean)
	logP   []float64 // n×K, only if requested
}

// encodeStd runs encoder and decoder (on z_mean) over n standardised rows x
// (n×D) with the given number of workers.
func (m *Model) encodeStd(x []float64, n, workers int, wantLogP bool) *encoded {
	e := new(encoded)
	m.encodeInto(e, x, n, nil, workers, wantLogP)
	return e
}

// encodeInto is encodeStd into e's reused buffers. If idx is not nil, only
// the rows idx[i] of x are encoded, into row i of e (n = len(idx)).
func (m *Model) encodeInto(e *encoded, x []float64, n int, idx []int, workers int, wantLogP bool) {
	if idx != nil {
		n = len(idx)
	}
	d := m.cfg.LatentDim
	e.zMean = grow(e.zMean, n*d)
	e.logVar = grow(e.logVar, n*d)
	e.labels = growInt(e.labels, n)
	e.logP = nil
	if wantLogP {
		e.logP = make([]float64, n*m.K)
	}
	nChunks := (n + chunkRows - 1) / chunkRows
	workers = max(1, min(workers, nChunks))
	run := func(w int) {
		sc := m.newScratch()
		for c := w; c < nChunks; c += workers {
			for r := c * chunkRows; r < min(n, (c+1)*chunkRows); r++ {
				src := r
				if idx != nil {
					src = idx[r]
				}
				zm := e.zMean[r*d : (r+1)*d]
				m.encodeRow(zm, e.logVar[r*d:(r+1)*d], x[src*m.D:(src+1)*m.D], sc)
				lp := m.decodeRow(zm, sc, wantLogP)
				e.labels[r] = argmax(lp)
				if wantLogP {
					copy(e.logP[r*m.K:(r+1)*m.K], lp)
				}
			}
		}
	}
	if workers == 1 {
		run(0)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(w)
		}()
	}
	wg.Wait()
}

// standardize checks and standardises n×D original-unit rows.
func (m *Model) standardize(x []float64) ([]float64, int, error) {
	if len(x)%m.D != 0 {
		return nil, 0, fmt.Errorf("spib: input has %d values, not a multiple of D = %d", len(x), m.D)
	}
	n := len(x) / m.D
	s := make([]float64, len(x))
	for r := range n {
		m.Std.Apply(s[r*m.D:(r+1)*m.D], x[r*m.D:(r+1)*m.D])
	}
	return s, n, nil
}

// Encode returns z_mean and the log-variance (each n×d, row-major) of n
// frames x given in ORIGINAL feature units (n×D, row-major). workers ≥ 1
// goroutines share the work; the result does not depend on their number.
func (m *Model) Encode(x []float64, workers int) (zMean, logVar []float64, err error) {
	s, n, err := m.standardize(x)
	if err != nil {
		return nil, nil, err
	}
	e := m.encodeStd(s, n, workers, false)
	return e.zMean, e.logVar, nil
}

// Predict returns the state label argmax_k p(k | z_mean(x)) and the state
// probabilities p(k | z_mean(x)) (n×K) of n frames x in original units
// (n×D, row-major).
func (m *Model) Predict(x []float64, workers int) (labels []int, probs []float64, err error) {
	s, n, err := m.standardize(x)
	if err != nil {
		return nil, nil, err
	}
	e := m.encodeStd(s, n, workers, true)
	for i, v := range e.logP {
		e.logP[i] = math.Exp(v)
	}
	return e.labels, e.logP, nil
}
