package spib

import (
	"fmt"
	"math/rand/v2"

	"github.com/dspib/dspib/analysis"
)

// KMeansLabels sets the initial Labels of every trajectory to the k-means
// clusters (k-means++ seeding, Lloyd iterations; analysis.KMeans) of the
// feature columns cols (all columns if cols is nil), in original units, over
// all frames of all trajectories (spec §1: three-hole K = 100 on (x, y),
// LJ7 K = 100 on (μ2, μ3)). Randomness comes from rng only.
func KMeansLabels(trajs []Trajectory, k int, cols []int, rng *rand.Rand) error {
	if len(trajs) == 0 || len(trajs[0].Features) == 0 {
		return fmt.Errorf("spib: KMeansLabels: no frames")
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
			return fmt.Errorf("spib: KMeansLabels: cols[%d] = %d out of range [0, %d)", i, c, D)
		}
	}
	var pts []float64
	for ti, t := range trajs {
		for f, row := range t.Features {
			if len(row) != D {
				return fmt.Errorf("spib: KMeansLabels: trajectory %d frame %d: %d features, want %d", ti, f, len(row), D)
			}
			for _, c := range cols {
				pts = append(pts, row[c])
			}
		}
	}
	res, err := analysis.KMeans(pts, len(cols), k, rng, analysis.KMeansConfig{})
	if err != nil {
		return fmt.Errorf("spib: KMeansLabels: %w", err)
	}
	n := 0
	for i := range trajs {
		m := len(trajs[i].Features)
		trajs[i].Labels = res.Labels[n : n+m : n+m]
		n += m
	}
	return nil
}
