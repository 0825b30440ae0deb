package spib

import (
	"math"
	"slices"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewDataErrors(t *testing.T) {
	cfg, _ := Config{Lag: 2}.Validate()
	rng := newRand(1)
	mut := func(f func(ts []Trajectory)) []Trajectory {
		ts := toyTrajs(6, 8)
		f(ts)
		return ts
	}
	cases := []struct {
		trajs []Trajectory
		parts []string
	}{
		{nil, []string{"no trajectories"}},
		{mut(func(ts []Trajectory) { ts[1].Labels = ts[1].Labels[:5] }), []string{"trajectory 1", "5 labels for 8 frames"}},
		{mut(func(ts []Trajectory) { ts[0].Features = ts[0].Features[:2]; ts[0].Labels = ts[0].Labels[:2] }), []string{"trajectory 0", "lag 2", "length 2"}},
		{mut(func(ts []Trajectory) { ts[1].Features[3][1] = math.NaN() }), []string{"trajectory 1 frame 3 column 1", "NaN"}},
		{mut(func(ts []Trajectory) { ts[0].Features[4][0] = math.Inf(1) }), []string{"trajectory 0 frame 4 column 0"}},
		{mut(func(ts []Trajectory) { ts[1].Features[2] = []float64{1} }), []string{"trajectory 1 frame 2", "1 features, want 2"}},
		{mut(func(ts []Trajectory) { ts[1].Labels = nil }), []string{"trajectory 1", "Labels"}},
		{mut(func(ts []Trajectory) { ts[0].Labels[1] = -3 }), []string{"trajectory 0 frame 1", "label -3"}},
		{mut(func(ts []Trajectory) { ts[0].KT = 0 }), []string{"trajectory 0", "KT"}},
		{mut(func(ts []Trajectory) { ts[0].Weights = make([]float64, 6) }), []string{"trajectory 1", "Weights"}},
		{mut(func(ts []Trajectory) {
			ts[0].Weights = make([]float64, 6)
			ts[1].Weights = make([]float64, 8)
			ts[1].Weights[5] = -1
		}), []string{"trajectory 1 frame 5", "weight -1"}},
		{mut(func(ts []Trajectory) {
			for _, tr := range ts {
				for i := range tr.Labels {
					tr.Labels[i] = 7
				}
			}
		}), []string{"1 state", "at least two"}},
	}
	for i, c := range cases {
		_, err := NewData(c.trajs, cfg, rng)
		if !assert.Error(t, err, "case %d: want %q", i, c.parts) {
			continue
		}
		wantErr(t, err, c.parts...)
	}
	_, err := NewData(toyTrajs(6, 8), cfg, nil)
	wantErr(t, err, "nil *rand.Rand")
}

func TestNewDataPairsStandardisationSplit(t *testing.T) {
	const lag = 3
	cfg, _ := Config{Lag: lag}.Validate()
	trajs := toyTrajs(40, 60)
	d, err := NewData(trajs, cfg, newRand(2))
	require.NoError(t, err)
	require.Equal(t, 100, d.N, "N")
	require.Equal(t, 2, d.D, "D")
	require.Equal(t, []int{0, 40, 100}, d.TrajStart, "TrajStart")
	// Pairs: (40−3) + (60−3) = 94, none across the join, Dst = Src + lag.
	require.Len(t, d.Src, 94, "pairs")
	for p := range d.Src {
		s, e := d.Src[p], d.Dst[p]
		assert.True(t, e == s+lag && (s < 40) == (e < 40), "pair %d: %d → %d crosses trajectories or has the wrong lag", p, s, e)
	}
	// Standardised columns: mean 0 and population std 1 over all frames
	// (exact up to rounding: tolerance 1e-12).
	for j := range d.D {
		var s, s2 float64
		for f := range d.N {
			v := d.X[f*d.D+j]
			s += v
			s2 += v * v
		}
		testutil.InDelta(t, 0, s/float64(d.N), 1e-12, "column %d: mean", j)
		testutil.InDelta(t, 1, s2/float64(d.N), 1e-12, "column %d: variance", j)
	}
	// Stored standardisation reproduces X from the original features.
	row := make([]float64, 2)
	d.Std.Apply(row, trajs[1].Features[7])
	assert.Equal(t, d.Frame(47), row, "Std.Apply against X row 47")
	// Split 0.6/0.2/0.2 of 94: round(56.4) = 56, round(18.8) = 19, 19;
	// disjoint and covering every pair.
	assert.Equal(t, [3]int{56, 19, 19}, [3]int{len(d.Train), len(d.Test), len(d.Val)}, "split train/test/val")
	all := slices.Concat(d.Train, d.Test, d.Val)
	slices.Sort(all)
	for i, p := range all {
		require.Equal(t, i, p, "split does not partition the pairs: sorted[%d]", i)
	}
	// Same seed, same split; another seed, another split.
	d2, _ := NewData(toyTrajs(40, 60), cfg, newRand(2))
	d3, _ := NewData(toyTrajs(40, 60), cfg, newRand(3))
	assert.Equal(t, d.Train, d2.Train, "same seed gave a different split")
	assert.NotEqual(t, d.Train, d3.Train, "different seeds gave the same split")
}

func TestSetLabelsCompacts(t *testing.T) {
	cfg, _ := Config{}.Validate()
	tr := toyTrajs(3, 3)
	tr[0].Labels = []int{5, 9, 5}
	tr[1].Labels = []int{42, 9, 9}
	d, err := NewData(tr, cfg, newRand(1))
	require.NoError(t, err)
	assert.Equal(t, 3, d.NumStates, "number of states")
	assert.Equal(t, []int{0, 1, 0, 2, 1, 1}, d.Labels, "labels")
}

func TestBatches(t *testing.T) {
	pairs := []int{0, 1, 2, 3, 4, 5, 6}
	var got [][]int
	_ = Batches(pairs, 3, nil, nil, func(b []int) error { got = append(got, slices.Clone(b)); return nil })
	if assert.Len(t, got, 3, "batches %v", got) {
		assert.Equal(t, []int{0, 1, 2}, got[0], "first batch")
		assert.Equal(t, []int{6}, got[2], "last batch")
	}
	wantErr(t, Batches(pairs, 0, nil, nil, func([]int) error { return nil }), "batch size 0")
	seen := 0
	_ = Batches(pairs, 2, newRand(1), nil, func(b []int) error { seen += len(b); return nil })
	assert.Equal(t, 7, seen, "pairs seen by shuffled batches")
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6}, pairs, "shuffled batches modified the input")
}
