package spib

import (
	"fmt"
	"math"

	"github.com/dspib/dspib/internal/par"
	"github.com/dspib/dspib/learn/ad"
)

// chunkRows is the fixed chunk of rows each goroutine encodes at a time
// (par.Chunks).
// Every row is computed independently, so the result is bit-identical for
// any number of workers.
const chunkRows = 2048

// encoded is the tape-free forward pass over many standardised rows.
type encoded struct {
	zMean  []float64  // n×d
	logVar []float64  // n×d
	labels []int      // n: argmax_k log p(k | z_mean)
	logP   []float64  // n×K, only if requested
	tapes  []*ad.Tape // one per worker, reused between calls
	bufs   [][]float64
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
//
// Rows go through the network on an ad.Tape (forward only, no Backward) in
// fixed chunks of chunkRows, so the blocked matrix kernels of learn/ad do the
// work; chunk boundaries depend only on n, which makes the output
// bit-identical for any number of workers. The parameters are only read.
func (m *Model) encodeInto(e *encoded, x []float64, n int, idx []int, workers int, wantLogP bool) {
	if idx != nil {
		n = len(idx)
	}
	d, D, K := m.cfg.LatentDim, m.D, m.K
	e.zMean = grow(e.zMean, n*d)
	e.logVar = grow(e.logVar, n*d)
	e.labels = growInt(e.labels, n)
	e.logP = nil
	if wantLogP {
		e.logP = make([]float64, n*K)
	}
	workers = max(1, min(workers, par.NumChunks(n, chunkRows)))
	for len(e.tapes) < workers {
		e.tapes = append(e.tapes, ad.NewTape())
		e.bufs = append(e.bufs, nil)
	}
	par.Chunks(n, chunkRows, workers, func(w, _, r0, r1 int) {
		tape, rows := e.tapes[w], r1-r0
		in := x[r0*D : r1*D]
		if idx != nil {
			e.bufs[w] = grow(e.bufs[w], rows*D)
			buf := e.bufs[w]
			for i, f := range idx[r0:r1] {
				copy(buf[i*D:(i+1)*D], x[f*D:(f+1)*D])
			}
			in = buf
		}
		tape.Reset()
		mean, lv := m.EncodeTape(tape, tape.Const(rows, D, in))
		var out *ad.Node
		if wantLogP {
			out = m.DecodeTape(tape, mean)
			copy(e.logP[r0*K:r1*K], out.Data)
		} else {
			out = m.decodeLogitsTape(tape, mean)
		}
		copy(e.zMean[r0*d:r1*d], mean.Data)
		if lv.Rows == 1 {
			for r := r0; r < r1; r++ {
				copy(e.logVar[r*d:(r+1)*d], lv.Data)
			}
		} else {
			copy(e.logVar[r0*d:r1*d], lv.Data)
		}
		for i := range rows {
			e.labels[r0+i] = argmax(out.Data[i*K : (i+1)*K])
		}
	})
}

// standardize checks and standardises n×D original-unit rows.
func (m *Model) standardize(x []float64) ([]float64, int, error) {
	if len(x)%m.D != 0 {
		return nil, 0, fmt.Errorf("spib: input has %d values, not a multiple of D = %d", len(x), m.D)
	}
	n := len(x) / m.D
	s := make([]float64, len(x))
	m.Std.ApplyRows(s, x)
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

// EncodeData returns z_mean, the log-variance (each N×d) and the state label
// argmax_k p(k|z_mean) of every frame of d (already standardised), e.g. for
// D-SPIB phase 2 or evaluation on the training data.
func (m *Model) EncodeData(d *Data, workers int) (zMean, logVar []float64, labels []int, err error) {
	if d.D != m.D {
		return nil, nil, nil, fmt.Errorf("spib: EncodeData: data have D = %d features, model %d", d.D, m.D)
	}
	e := m.encodeStd(d.X, d.N, workers, false)
	return e.zMean, e.logVar, e.labels, nil
}
