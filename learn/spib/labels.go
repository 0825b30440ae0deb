package spib

import (
	"fmt"
	"math/rand/v2"

	"github.com/dspib/dspib/analysis"
)

// LabelFeatures are the coordinates the initial k-means labels are computed
// on (docs/method.md §1), one point per frame, separate from the model features: for
// LJ7 the moments (μ2, μ3) beside the 7 sorted coordination numbers.
type LabelFeatures struct {
	// Points[i] holds len(trajs[i].Features) × Dim values, row-major.
	Points [][]float64
	Dim    int
	// Standardize runs k-means on the points standardised per column to
	// zero mean and unit population standard deviation over all frames of
	// all trajectories (a constant column is only centred), so that each
	// column counts equally (docs/method.md §1: LJ7 on standardised (μ2, μ3)).
	Standardize bool
}

// ColumnFeatures returns the label features made of the feature columns
// cols of every frame (all columns if cols is nil), in original units.
func ColumnFeatures(trajs []Trajectory, cols []int) (LabelFeatures, error) {
	if len(trajs) == 0 || len(trajs[0].Features) == 0 {
		return LabelFeatures{}, fmt.Errorf("spib: no frames")
	}
	D := len(trajs[0].Features[0])
	if cols == nil {
		cols = make([]int, D)
		for j := range cols {
			cols[j] = j
		}
	}
	for i, c := range cols {
		if c < 0 || c >= D {
			return LabelFeatures{}, fmt.Errorf("spib: label column cols[%d] = %d out of range [0, %d)", i, c, D)
		}
	}
	lf := LabelFeatures{Points: make([][]float64, len(trajs)), Dim: len(cols)}
	for ti, t := range trajs {
		pts := make([]float64, 0, len(t.Features)*len(cols))
		for f, row := range t.Features {
			if len(row) != D {
				return LabelFeatures{}, fmt.Errorf("spib: trajectory %d frame %d: %d features, want %d", ti, f, len(row), D)
			}
			for _, c := range cols {
				pts = append(pts, row[c])
			}
		}
		lf.Points[ti] = pts
	}
	return lf, nil
}

// KMeansLabels sets the initial Labels of every trajectory to the k-means
// clusters of the feature columns cols (all columns if cols is nil), in
// original units: KMeansLabelsFrom with ColumnFeatures, unstandardised.
func KMeansLabels(trajs []Trajectory, k int, cols []int, rng *rand.Rand) error {
	lf, err := ColumnFeatures(trajs, cols)
	if err != nil {
		return fmt.Errorf("spib: KMeansLabels: %w", err)
	}
	return KMeansLabelsFrom(trajs, lf, k, rng)
}

// KMeansLabelsFrom sets the initial Labels of every trajectory to the k
// k-means clusters (k-means++ seeding, Lloyd iterations; analysis.KMeans) of
// the label features lf over all frames of all trajectories together (spec
// §1: three-hole K = 100 on (x, y), LJ7 K = 100 on standardised (μ2, μ3)).
// Randomness comes from rng only. This is the one initial-label function of
// the package's command and benchmarks.
func KMeansLabelsFrom(trajs []Trajectory, lf LabelFeatures, k int, rng *rand.Rand) error {
	if len(trajs) == 0 {
		return fmt.Errorf("spib: KMeansLabels: no trajectories")
	}
	if len(lf.Points) != len(trajs) || lf.Dim < 1 {
		return fmt.Errorf("spib: KMeansLabels: %d point sets of dimension %d for %d trajectories", len(lf.Points), lf.Dim, len(trajs))
	}
	n := 0
	for i, t := range trajs {
		if len(lf.Points[i]) != len(t.Features)*lf.Dim {
			return fmt.Errorf("spib: KMeansLabels: trajectory %d: %d label values, want %d frames × %d", i, len(lf.Points[i]), len(t.Features), lf.Dim)
		}
		n += len(t.Features)
	}
	pts := make([]float64, 0, n*lf.Dim)
	for _, p := range lf.Points {
		pts = append(pts, p...)
	}
	if lf.Standardize {
		standardizeColumns(pts, lf.Dim)
	}
	res, err := analysis.KMeans(pts, lf.Dim, k, rng, analysis.KMeansConfig{})
	if err != nil {
		return fmt.Errorf("spib: KMeansLabels: %w", err)
	}
	n = 0
	for i := range trajs {
		m := len(trajs[i].Features)
		trajs[i].Labels = res.Labels[n : n+m : n+m]
		n += m
	}
	return nil
}

// standardizeColumns scales every column of x (rows × d, row-major) in
// place to zero mean and unit population standard deviation; a constant
// column is only centred.
func standardizeColumns(x []float64, d int) {
	s := FitStandardizer(d, rowsOf(x, d))
	s.ApplyRows(x, x)
}
