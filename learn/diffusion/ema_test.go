package diffusion

import (
	"math"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/ad"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEMAUpdate checks the average against the recursion written out by
// hand, δ_n = min(decay, (1+n)/(10+n)), for a parameter that takes the
// values 1, 2, 3, … after successive steps. Tolerance 1e−15: a few
// floating-point roundings of numbers of order 1.
func TestEMAUpdate(t *testing.T) {
	q := &ad.Param{Name: "w", Rows: 1, Cols: 2, Data: []float64{0, 10}, Grad: make([]float64, 2)}
	e, err := NewEMA([]*ad.Param{q}, 0.5)
	require.NoError(t, err)
	want := []float64{0, 10}
	for n := range 6 {
		q.Data[0], q.Data[1] = float64(n+1), 10-float64(n+1)
		d := min(0.5, float64(1+n)/float64(10+n))
		for j := range want {
			want[j] = d*want[j] + (1-d)*q.Data[j]
		}
		e.Update()
	}
	assert.Equal(t, 6, e.Updates())
	trained := append([]float64(nil), q.Data...)
	e.Swap()
	testutil.InDelta(t, want[0], q.Data[0], 1e-15, "average of the first entry")
	testutil.InDelta(t, want[1], q.Data[1], 1e-15, "average of the second entry")
	avg := append([]float64(nil), q.Data...)
	e.Swap()
	testutil.SameBits(t, "weights after two swaps", q.Data, trained)

	// Tensors and Restore carry the average and the count bit for bit.
	f, err := NewEMA([]*ad.Param{q}, 0.5)
	require.NoError(t, err)
	require.NoError(t, f.Restore(e.Tensors()))
	assert.Equal(t, 6, f.Updates())
	f.Swap()
	testutil.SameBits(t, "restored average", q.Data, avg)
}

func TestEMAErrors(t *testing.T) {
	q := &ad.Param{Name: "w", Rows: 1, Cols: 1, Data: []float64{1}, Grad: []float64{0}}
	for _, d := range []float64{0, 1, -0.5, math.NaN()} {
		_, err := NewEMA([]*ad.Param{q}, d)
		testutil.WantErr(t, err, "EMA decay")
	}
	e, err := NewEMA([]*ad.Param{q}, 0.9)
	require.NoError(t, err)
	other, err := NewEMA([]*ad.Param{q}, 0.99)
	require.NoError(t, err)
	testutil.WantErr(t, e.Restore(other.Tensors()), "stored decay 0.99")
	testutil.WantErr(t, e.Restore(nil), "ema.meta")
	ts := e.Tensors()
	testutil.WantErr(t, e.Restore(ts[:1]), `"ema/w" missing`)
}

// TestFitEMA: with TrainConfig.EMADecay the trained prior holds the average
// of the weights after every optimiser step. With one batch per epoch a
// plain run of k epochs ends at the weights after step k (the same random
// stream draws the same steps), so the average is recomputed here from
// plain runs of 1, …, 4 epochs, bit for bit.
func TestFitEMA(t *testing.T) {
	x, temps := twoTemperatureGaussians(newRNG(3), 100)
	cfg := TrainConfig{Prior: tinyConfig(Smooth, SiLU), BatchSize: len(temps)}
	ref, err := newForTraining(cfg, temps, newRNG(5))
	require.NoError(t, err)
	e, err := NewEMA(ref.params, 0.5)
	require.NoError(t, err)
	const steps = 4
	var last *Prior
	for k := 1; k <= steps; k++ {
		cfg.Epochs = k
		last, _, err = Train(x, temps, cfg, newRNG(5))
		require.NoError(t, err)
		for i, q := range last.Params() {
			copy(ref.params[i].Data, q.Data)
		}
		e.Update()
	}
	e.Swap()
	cfg.EMADecay = 0.5
	avg, _, err := Train(x, temps, cfg, newRNG(5))
	require.NoError(t, err)
	differs := false
	for i, q := range avg.Params() {
		testutil.SameBits(t, q.Name+" (average)", q.Data, ref.params[i].Data)
		for j, v := range q.Data {
			differs = differs || v != last.Params()[i].Data[j]
		}
	}
	assert.True(t, differs, "the averaged weights equal the last weights")
}
