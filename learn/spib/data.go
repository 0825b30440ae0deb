package spib

import (
	"fmt"
	"iter"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
)

// Trajectory is one simulated trajectory: its frames' features, its
// temperature and optional initial labels and weights (docs/method.md §1).
type Trajectory struct {
	// Features holds frames × D feature values in their original units; all
	// rows have the same length D.
	Features [][]float64
	// KT is the temperature kT [ε] the trajectory was sampled
	// at; it must be finite and > 0.
	KT float64
	// Labels, optional, is one initial state label ≥ 0 per frame. Either
	// every trajectory has labels or none has (then Config.Labeler makes
	// them).
	Labels []int
	// Weights, optional, is one non-negative statistical weight per frame
	// (for biased data). Either every trajectory has weights or none has.
	Weights []float64
}

// Standardizer maps features to zero mean and unit standard deviation per
// column: s = (x − Mean)/Std. The statistics are taken over all frames of all
// trajectories (docs/method.md §1) and stored in the model.
type Standardizer struct {
	Mean []float64 // column means, original units
	Std  []float64 // column standard deviations (population), original units; 1 for a constant column
}

// Apply writes the standardised row of x into dst (both of length D).
func (s *Standardizer) Apply(dst, x []float64) {
	for j, v := range x {
		dst[j] = (v - s.Mean[j]) / s.Std[j]
	}
}

// ApplyRows standardises the rows of x (n×D, row-major) into dst (same
// length; dst may be x).
func (s *Standardizer) ApplyRows(dst, x []float64) {
	D := len(s.Mean)
	for r := 0; r+D <= len(x); r += D {
		s.Apply(dst[r:r+D], x[r:r+D])
	}
}

// FitStandardizer returns the Standardizer of the d-column rows that rows
// yields: per column the mean and the population standard deviation
// (divided by n), in two passes over the rows in order (rows is iterated
// twice). A constant column gets Std 1, so it is only centred. With no rows
// the result is the identity (Mean 0, Std 1).
//
// This is the one place the package computes a standardisation: the SPIB
// inputs (NewData) and the k-means label features (KMeansLabelsFrom).
func FitStandardizer(d int, rows iter.Seq[[]float64]) Standardizer {
	s := Standardizer{Mean: make([]float64, d), Std: make([]float64, d)}
	n := 0
	for row := range rows {
		for j, v := range row {
			s.Mean[j] += v
		}
		n++
	}
	if n > 0 {
		for j := range s.Mean {
			s.Mean[j] /= float64(n)
		}
		for row := range rows {
			for j, v := range row {
				s.Std[j] += (v - s.Mean[j]) * (v - s.Mean[j])
			}
		}
	}
	for j := range s.Std {
		if n > 0 {
			s.Std[j] = math.Sqrt(s.Std[j] / float64(n))
		}
		if s.Std[j] == 0 {
			s.Std[j] = 1 // constant column: centre only
		}
	}
	return s
}

// rowsOf yields the rows of x (n×d, row-major) as subslices.
func rowsOf(x []float64, d int) iter.Seq[[]float64] {
	return func(yield func([]float64) bool) {
		for r := 0; r+d <= len(x); r += d {
			if !yield(x[r : r+d : r+d]) {
				return
			}
		}
	}
}

// Data is the training set after validation: standardised features of every
// frame, the time-lagged pairs built within each trajectory and their
// train/test/validation split. Phase 2 (learn/dspib) trains on the same Data.
type Data struct {
	// D is the number of features per frame.
	D int
	// N is the total number of frames.
	N int
	// X holds the standardised features, N × D row-major; frames of all
	// trajectories are concatenated in input order.
	X []float64
	// KT is the temperature kT of every frame (length N).
	KT []float64
	// Weights is every frame's weight (length N), or nil when unweighted.
	Weights []float64
	// Labels holds the current state label of every frame, 0 ≤ label <
	// NumStates (length N). Initial labels are compacted to 0..K−1 in order
	// of their original values; empty states are removed.
	Labels []int
	// NumStates is the number of states K of Labels.
	NumStates int
	// TrajStart[i] is the index of trajectory i's first frame;
	// TrajStart[len(trajs)] = N.
	TrajStart []int
	// Src[p] and Dst[p] are the frame indices of pair p: x_t and y_{t+Δ}
	// (same trajectory, Dst = Src + Lag).
	Src, Dst []int
	// Lag is Δ in frames.
	Lag int
	// Train, Test and Val list pair indices of each split (shuffled).
	Train, Test, Val []int
	// Std is the standardisation applied to X.
	Std Standardizer
}

// NewData validates trajs, standardises the features, builds the lagged pairs
// within each trajectory and splits them with rng (fields of cfg used, after
// Validate: Lag, TrainFrac, TestFrac). Labels may be absent (Data.Labels
// nil) and set later with SetLabels.
func NewData(trajs []Trajectory, cfg Config, rng *rand.Rand) (*Data, error) {
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	if len(trajs) == 0 {
		return nil, fmt.Errorf("spib: no trajectories")
	}
	if rng == nil {
		return nil, fmt.Errorf("spib: nil *rand.Rand")
	}
	d := &Data{Lag: cfg.Lag}
	hasLabels := trajs[0].Labels != nil
	hasWeights := trajs[0].Weights != nil
	for i, t := range trajs {
		n := len(t.Features)
		if n == 0 {
			return nil, fmt.Errorf("spib: trajectory %d has no frames", i)
		}
		if i == 0 {
			d.D = len(t.Features[0])
			if d.D == 0 {
				return nil, fmt.Errorf("spib: trajectory 0 frame 0 has no features")
			}
		}
		if !(t.KT > 0) || math.IsInf(t.KT, 0) {
			return nil, fmt.Errorf("spib: trajectory %d: KT = %v, must be finite and > 0", i, t.KT)
		}
		if cfg.Lag >= n {
			return nil, fmt.Errorf("spib: trajectory %d: lag %d ≥ trajectory length %d frames", i, cfg.Lag, n)
		}
		if (t.Labels != nil) != hasLabels {
			return nil, fmt.Errorf("spib: trajectory %d: Labels given for some trajectories but not others", i)
		}
		if (t.Weights != nil) != hasWeights {
			return nil, fmt.Errorf("spib: trajectory %d: Weights given for some trajectories but not others", i)
		}
		if hasLabels && len(t.Labels) != n {
			return nil, fmt.Errorf("spib: trajectory %d: %d labels for %d frames", i, len(t.Labels), n)
		}
		if hasWeights && len(t.Weights) != n {
			return nil, fmt.Errorf("spib: trajectory %d: %d weights for %d frames", i, len(t.Weights), n)
		}
		for f, row := range t.Features {
			if len(row) != d.D {
				return nil, fmt.Errorf("spib: trajectory %d frame %d: %d features, want %d", i, f, len(row), d.D)
			}
			for c, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("spib: trajectory %d frame %d column %d: feature is %v", i, f, c, v)
				}
			}
			if hasLabels && t.Labels[f] < 0 {
				return nil, fmt.Errorf("spib: trajectory %d frame %d: label %d < 0", i, f, t.Labels[f])
			}
			if hasWeights {
				if w := t.Weights[f]; !(w >= 0) || math.IsInf(w, 0) {
					return nil, fmt.Errorf("spib: trajectory %d frame %d: weight %v, must be finite and ≥ 0", i, f, w)
				}
			}
		}
		d.N += n
	}

	// Standardisation over all frames of all trajectories.
	D := d.D
	d.Std = FitStandardizer(D, func(yield func([]float64) bool) {
		for _, t := range trajs {
			for _, row := range t.Features {
				if !yield(row) {
					return
				}
			}
		}
	})

	d.X = make([]float64, d.N*D)
	d.KT = make([]float64, d.N)
	if hasWeights {
		d.Weights = make([]float64, d.N)
	}
	var raw []int
	if hasLabels {
		raw = make([]int, 0, d.N)
	}
	f := 0
	for _, t := range trajs {
		d.TrajStart = append(d.TrajStart, f)
		for k, row := range t.Features {
			d.Std.Apply(d.X[f*D:(f+1)*D], row)
			d.KT[f] = t.KT
			if hasWeights {
				d.Weights[f] = t.Weights[k]
			}
			f++
		}
		if hasLabels {
			raw = append(raw, t.Labels...)
		}
		for s := d.TrajStart[len(d.TrajStart)-1]; s+cfg.Lag < f; s++ {
			d.Src = append(d.Src, s)
			d.Dst = append(d.Dst, s+cfg.Lag)
		}
	}
	d.TrajStart = append(d.TrajStart, f)
	if hasLabels {
		if err := d.SetLabels(raw); err != nil {
			return nil, err
		}
	}

	// Seeded shuffle of the pairs, then split.
	np := len(d.Src)
	perm := make([]int, np)
	for i := range perm {
		perm[i] = i
	}
	rng.Shuffle(np, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	nTrain := int(math.Round(cfg.TrainFrac * float64(np)))
	nTest := int(math.Round(cfg.TestFrac * float64(np)))
	if nTrain+nTest > np {
		nTest = np - nTrain
	}
	if nTrain == 0 || nTest == 0 {
		return nil, fmt.Errorf("spib: %d lagged pairs are too few for a train/test split (%g/%g)", np, cfg.TrainFrac, cfg.TestFrac)
	}
	d.Train = perm[:nTrain:nTrain]
	d.Test = perm[nTrain : nTrain+nTest : nTrain+nTest]
	d.Val = perm[nTrain+nTest:]
	return d, nil
}

// SetLabels sets one label ≥ 0 per frame, compacting the distinct values to
// 0..K−1 in increasing order. It is an error if fewer than two distinct
// states are present.
func (d *Data) SetLabels(labels []int) error {
	if len(labels) != d.N {
		return fmt.Errorf("spib: %d labels for %d frames", len(labels), d.N)
	}
	seen := make(map[int]int)
	for f, l := range labels {
		if l < 0 {
			return fmt.Errorf("spib: frame %d: label %d < 0", f, l)
		}
		seen[l] = 0
	}
	keys := slices.Sorted(maps.Keys(seen))
	for i, l := range keys {
		seen[l] = i
	}
	k := len(keys)
	if k < 2 {
		return fmt.Errorf("spib: initial labels contain %d state(s); SPIB needs at least two", k)
	}
	d.Labels = make([]int, d.N)
	for f, l := range labels {
		d.Labels[f] = seen[l]
	}
	d.NumStates = k
	return nil
}

// Frame returns the standardised features of frame f (a view into X).
func (d *Data) Frame(f int) []float64 { return d.X[f*d.D : (f+1)*d.D] }

// Batches calls fn for consecutive batches of at most size pair indices from
// pairs, after shuffling a copy of pairs with rng (pass rng nil to keep the
// order). The batch slice is reused between calls. It stops at the first
// error fn returns.
func Batches(pairs []int, size int, rng *rand.Rand, buf []int, fn func(batch []int) error) error {
	if size < 1 {
		return fmt.Errorf("spib: Batches: batch size %d < 1", size)
	}
	buf = append(buf[:0], pairs...)
	if rng != nil {
		rng.Shuffle(len(buf), func(i, j int) { buf[i], buf[j] = buf[j], buf[i] })
	}
	for s := 0; s < len(buf); s += size {
		if err := fn(buf[s:min(s+size, len(buf))]); err != nil {
			return err
		}
	}
	return nil
}
