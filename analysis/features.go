package analysis

import (
	"fmt"
	"math"

	"github.com/dspib/dspib/internal/par"
)

// LJ7R0 is the switching distance r0 = 1.5 σ of the LJ7 coordination
// numbers (Tribello, Ceriotti & Parrinello, PNAS 107, 17509 (2010); PLUMED
// COORDINATIONNUMBER with SWITCH={RATIONAL R_0=1.5 NN=8 MM=16}).
const LJ7R0 = 1.5

// Switch returns the rational switching function s(r) = 1/(1 + (r/r0)^8),
// dimensionless, for a distance r and switching distance r0 (both in σ).
//
// PLUMED's RATIONAL switch with NN = 8, MM = 16 is (1 − q^8)/(1 − q^16) with
// q = r/r0; since 1 − q^16 = (1 − q^8)(1 + q^8) this equals 1/(1 + q^8), the
// form used here because it has no 0/0 at r = r0, where s = ½.
func Switch(r, r0 float64) float64 {
	q2 := (r * r) / (r0 * r0)
	q4 := q2 * q2
	return 1 / (1 + q4*q4)
}

// switchSq is Switch written in terms of r² and 1/r0², avoiding the square
// root in the pair loop.
func switchSq(r2, invR02 float64) float64 {
	q2 := r2 * invR02
	q4 := q2 * q2
	return 1 / (1 + q4*q4)
}

// CoordinationNumbers writes into dst (length n) the coordination numbers
// c_i = Σ_{j≠i} s(r_ij) of one frame x (n particles × dim coordinates,
// row-major, lengths in σ) with the rational switch s of Switch and switching
// distance r0 [σ]. c_i is dimensionless: the smooth number of neighbours of
// particle i within about r0. It allocates nothing.
func CoordinationNumbers(dst, x []float64, n, dim int, r0 float64) error {
	if err := checkFrameShape(n, dim, r0); err != nil {
		return err
	}
	if len(x) != n*dim {
		return fmt.Errorf("analysis: CoordinationNumbers: len(x) = %d, want n*dim = %d", len(x), n*dim)
	}
	if len(dst) != n {
		return fmt.Errorf("analysis: CoordinationNumbers: len(dst) = %d, want n = %d", len(dst), n)
	}
	if i, ok := firstNonFinite(x); !ok {
		return fmt.Errorf("analysis: CoordinationNumbers: coordinate %d of particle %d is %v", i%dim, i/dim, x[i])
	}
	coordination(dst, x, n, dim, 1/(r0*r0))
	return nil
}

func checkFrameShape(n, dim int, r0 float64) error {
	if n < 1 {
		return fmt.Errorf("analysis: number of particles n = %d, want ≥ 1", n)
	}
	if dim < 1 {
		return fmt.Errorf("analysis: dimension dim = %d, want ≥ 1", dim)
	}
	if !(r0 > 0) || math.IsInf(r0, 0) {
		return fmt.Errorf("analysis: switching distance r0 = %v, want finite > 0", r0)
	}
	return nil
}

// coordination is the allocation-free kernel of CoordinationNumbers; each
// pair is visited once and added to both particles.
func coordination(dst, x []float64, n, dim int, invR02 float64) {
	for i := range dst {
		dst[i] = 0
	}
	for i := 0; i < n; i++ {
		xi := x[i*dim : i*dim+dim]
		for j := i + 1; j < n; j++ {
			xj := x[j*dim : j*dim+dim]
			var r2 float64
			for k, v := range xi {
				d := v - xj[k]
				r2 += d * d
			}
			s := switchSq(r2, invR02)
			dst[i] += s
			dst[j] += s
		}
	}
}

// Moments returns the second and third central moments of the coordination
// numbers c (dimensionless), μ2 = (1/n)Σ(c_i − c̄)² and μ3 = (1/n)Σ(c_i − c̄)³
// with n = len(c) (n = 7 for LJ7): the two classic collective variables of
// LJ7 (Tribello, Ceriotti & Parrinello, PNAS 107, 17509 (2010)). They do not
// depend on the order of c. For empty c both are NaN.
func Moments(c []float64) (mu2, mu3 float64) {
	if len(c) == 0 {
		return math.NaN(), math.NaN()
	}
	var mean float64
	for _, v := range c {
		mean += v
	}
	mean /= float64(len(c))
	for _, v := range c {
		d := v - mean
		d2 := d * d
		mu2 += d2
		mu3 += d2 * d
	}
	inv := 1 / float64(len(c))
	return mu2 * inv, mu3 * inv
}

// featureChunk is the number of frames per parallel chunk.
const featureChunk = 256

// CoordinationFeatures computes, for every frame in frames (nFrames frames
// stacked, each n particles × dim coordinates row-major, lengths in σ), the
// coordination numbers with switching distance r0 [σ], sorted in ascending
// order, and their moments (μ2, μ3).
//
// dstSorted receives nFrames × n values (row f holds frame f's sorted
// coordination numbers) and dstMoments nFrames × 2 values (μ2, μ3 of frame
// f); either may be nil to skip it. Sorting makes the features independent
// of the arbitrary labels of identical particles.
//
// Frames are processed in parallel; each result depends only on its own frame,
// so the output is identical on any number of cores. No allocation happens
// per frame (one scratch row per chunk of frames when dstSorted is nil).
// A non-finite coordinate is an error naming the frame, particle and
// coordinate (the first such one in frame order).
func CoordinationFeatures(dstSorted, dstMoments, frames []float64, n, dim int, r0 float64) error {
	if err := checkFrameShape(n, dim, r0); err != nil {
		return err
	}
	stride := n * dim
	if len(frames)%stride != 0 {
		return fmt.Errorf("analysis: len(frames) = %d is not a multiple of n*dim = %d", len(frames), stride)
	}
	nFrames := len(frames) / stride
	if dstSorted != nil && len(dstSorted) != nFrames*n {
		return fmt.Errorf("analysis: len(dstSorted) = %d, want nFrames*n = %d", len(dstSorted), nFrames*n)
	}
	if dstMoments != nil && len(dstMoments) != nFrames*2 {
		return fmt.Errorf("analysis: len(dstMoments) = %d, want nFrames*2 = %d", len(dstMoments), nFrames*2)
	}
	invR02 := 1 / (r0 * r0)
	errs := make([]error, par.NumChunks(nFrames, featureChunk))
	par.Chunks(nFrames, featureChunk, 0, func(_, c, lo, hi int) {
		var scratch []float64
		if dstSorted == nil {
			scratch = make([]float64, n)
		}
		for f := lo; f < hi; f++ {
			x := frames[f*stride : (f+1)*stride]
			if i, ok := firstNonFinite(x); !ok {
				errs[c] = fmt.Errorf("analysis: frame %d: coordinate %d of particle %d is %v", f, i%dim, i/dim, x[i])
				return
			}
			row := scratch
			if dstSorted != nil {
				row = dstSorted[f*n : (f+1)*n]
			}
			coordination(row, x, n, dim, invR02)
			insertionSort(row)
			if dstMoments != nil {
				dstMoments[2*f], dstMoments[2*f+1] = Moments(row)
			}
		}
	})
	return firstError(errs)
}

// FeaturesLJ7 is CoordinationFeatures with the LJ7 switching distance
// r0 = LJ7R0 = 1.5 σ: the sorted coordination numbers are the D-SPIB input
// features of LJ7 and (μ2, μ3) the classic collective variables used for the
// initial k-means labels (docs/systems.md, "Features"). frames holds nFrames × n
// × dim coordinates (n = 7, dim = 2 for LJ7 in the plane).
func FeaturesLJ7(dstSorted, dstMoments, frames []float64, n, dim int) error {
	return CoordinationFeatures(dstSorted, dstMoments, frames, n, dim, LJ7R0)
}

// insertionSort sorts a short slice in place without allocating.
func insertionSort(a []float64) {
	for i := 1; i < len(a); i++ {
		v := a[i]
		j := i - 1
		for j >= 0 && a[j] > v {
			a[j+1] = a[j]
			j--
		}
		a[j+1] = v
	}
}

// firstNonFinite returns the index of the first NaN or ±Inf in x and false,
// or (−1, true) if all values are finite.
func firstNonFinite(x []float64) (int, bool) {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return i, false
		}
	}
	return -1, true
}
