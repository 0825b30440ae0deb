package analysis

import (
	"fmt"
	"math"
)

// EmptyPolicy says what FreeEnergy does with bins of zero probability. The
// zero value writes +Inf there.
type EmptyPolicy struct {
	// Floor, if > 0, replaces every probability below Floor by Floor before
	// the logarithm, so every bin gets a finite free energy of at most
	// −ln Floor above the unshifted minimum. 0 means no floor.
	Floor float64
	// NaN writes NaN instead of +Inf into empty bins (ignored when
	// Floor > 0). NaN is convenient for plotting libraries that leave NaN
	// cells blank.
	NaN bool
}

// FreeEnergy writes into dst the free energy F = −ln p [kT] of the
// probabilities or densities p (len(dst) = len(p); dst may be p), shifted so
// that its minimum over finite values is 0. Bins with p = 0 are handled by
// policy (default +Inf). p must be finite and non-negative with at least one
// positive entry.
func FreeEnergy(dst, p []float64, policy EmptyPolicy) error {
	if len(dst) != len(p) {
		return fmt.Errorf("analysis: FreeEnergy: len(dst) = %d, want len(p) = %d", len(dst), len(p))
	}
	if !(policy.Floor >= 0) || math.IsInf(policy.Floor, 0) {
		return fmt.Errorf("analysis: EmptyPolicy.Floor = %v, want finite ≥ 0", policy.Floor)
	}
	fmin := math.Inf(1)
	for i, v := range p {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("analysis: FreeEnergy: p[%d] = %v, want finite ≥ 0", i, v)
		}
		v = max(v, policy.Floor)
		if v > 0 {
			fmin = min(fmin, -math.Log(v))
		}
	}
	if math.IsInf(fmin, 1) {
		return fmt.Errorf("analysis: FreeEnergy: every p is 0")
	}
	empty := math.Inf(1)
	if policy.NaN {
		empty = math.NaN()
	}
	for i, v := range p {
		v = max(v, policy.Floor)
		if v > 0 {
			dst[i] = -math.Log(v) - fmin
		} else {
			dst[i] = empty
		}
	}
	return nil
}

// DefaultFreeEnergyCap is the default region of FreeEnergyRMSE: grid points
// whose reference free energy is below 3 kT (docs/evaluation.md).
const DefaultFreeEnergyCap = 3.0

// FreeEnergyRMSE returns the root-mean-square difference [kT] between a
// generated free-energy profile fGen and a reference (MD) profile fRef on the
// same grid, over the points where the reference, shifted to minimum 0, is
// below capKT [kT] (0 means DefaultFreeEnergyCap), and the number of points
// used.
//
// Free energies are defined only up to an additive constant, so the constant
// shift c between the two profiles is chosen to minimise the RMSE over the
// region: c = mean(fGen − fRef), and the result is the standard deviation
// sqrt(mean((fGen − fRef − c)²)). (choice) Shifting each profile to its own
// minimum would make the metric hinge on the single noisiest grid point; the
// optimal shift uses the whole region, is the smallest error any constant
// can give, and is zero for profiles that differ only by a constant.
//
// Reference points that are not finite (empty bins) lie outside the region.
// A non-finite fGen inside the region (the model puts no probability where
// MD does) makes the result +Inf. It is an error if the region is empty.
func FreeEnergyRMSE(fGen, fRef []float64, capKT float64) (rmse float64, used int, err error) {
	if len(fGen) != len(fRef) {
		return 0, 0, fmt.Errorf("analysis: FreeEnergyRMSE: len(fGen) = %d, len(fRef) = %d, want equal", len(fGen), len(fRef))
	}
	if !(capKT >= 0) || math.IsInf(capKT, 0) {
		return 0, 0, fmt.Errorf("analysis: FreeEnergyRMSE: cap = %v kT, want finite ≥ 0 (0 means %g)", capKT, DefaultFreeEnergyCap)
	}
	if capKT == 0 {
		capKT = DefaultFreeEnergyCap
	}
	refMin := math.Inf(1)
	for _, v := range fRef {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			refMin = min(refMin, v)
		}
	}
	if math.IsInf(refMin, 1) {
		return 0, 0, fmt.Errorf("analysis: FreeEnergyRMSE: fRef has no finite value")
	}
	var mean float64
	inf := false
	for i, r := range fRef {
		if math.IsNaN(r) || math.IsInf(r, 0) || !(r-refMin < capKT) {
			continue
		}
		used++
		g := fGen[i]
		if math.IsNaN(g) || math.IsInf(g, 0) {
			inf = true
			continue
		}
		mean += g - r
	}
	if used == 0 {
		return 0, 0, fmt.Errorf("analysis: FreeEnergyRMSE: no grid point with fRef below %g kT", capKT)
	}
	if inf {
		return math.Inf(1), used, nil
	}
	mean /= float64(used)
	var ss float64
	for i, r := range fRef {
		if math.IsNaN(r) || math.IsInf(r, 0) || !(r-refMin < capKT) {
			continue
		}
		d := fGen[i] - r - mean
		ss += d * d
	}
	return math.Sqrt(ss / float64(used)), used, nil
}

// Populations writes into dst (one entry per state, K = len(dst)) the
// fraction of frames, or of total weight when weights is non-nil, carried by
// each state label in labels (0 ≤ label < K). The fractions sum to 1.
func Populations(dst []float64, labels []int, weights []float64) error {
	if len(dst) == 0 {
		return fmt.Errorf("analysis: Populations: len(dst) = 0, want the number of states")
	}
	if err := checkWeights("weights", weights, len(labels)); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = 0
	}
	var total float64
	for i, l := range labels {
		if l < 0 || l >= len(dst) {
			return fmt.Errorf("analysis: Populations: labels[%d] = %d, want in [0, %d)", i, l, len(dst))
		}
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		dst[l] += w
		total += w
	}
	if !(total > 0) {
		return fmt.Errorf("analysis: Populations: total weight %v, want > 0", total)
	}
	for i := range dst {
		dst[i] /= total
	}
	return nil
}
