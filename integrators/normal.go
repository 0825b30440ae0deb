package integrators

import (
	"math"
	"math/rand/v2"
)

// Standard normal variates by the ziggurat method of Marsaglia & Tsang,
// J. Stat. Softw. 5(8) (2000), with 128 layers, as in math/rand/v2's
// NormFloat64, but taking two variates from each 64-bit draw of the
// caller's *rand.Rand: each 32-bit half gives a 7-bit layer index and a
// signed 25-bit abscissa. The integrators need one variate per coordinate
// per step, and the generator was their largest cost after the force; this
// halves the generator calls and inlines the common path. The resolution of
// a variate is 2⁻²⁴ of its layer's width, far below anything an integrator
// can resolve. The exact rejection steps of the ziggurat (wedges and the
// tail beyond r = 3.4426) make the output exactly N(0, 1) up to that
// rounding.

const (
	zigR     = 3.442619855899      // start of the tail
	zigV     = 9.91256303526217e-3 // area of each layer
	zigScale = 1 << 24             // |abscissa| < 2^24
	zigMask  = 127                 // 128 layers
	zigShift = 7                   // abscissa bits start after the layer index
	zigTailR = 1 / 3.442619855899  // 1/r for the tail sampler
)

var (
	zigK [128]uint32  // fast-accept thresholds on |abscissa|
	zigW [128]float64 // abscissa scale per layer
	zigF [128]float64 // exp(−x_i²/2) at the layer edges
)

func init() {
	// Tables as in Marsaglia & Tsang (2000), Fig. 1, for a 25-bit signed
	// abscissa.
	dn := zigR
	tn := dn
	q := zigV / math.Exp(-0.5*dn*dn)
	zigK[0] = uint32(dn / q * zigScale)
	zigK[1] = 0
	zigW[0] = q / zigScale
	zigW[127] = dn / zigScale
	zigF[0] = 1
	zigF[127] = math.Exp(-0.5 * dn * dn)
	for i := 126; i >= 1; i-- {
		dn = math.Sqrt(-2 * math.Log(zigV/dn+math.Exp(-0.5*dn*dn)))
		zigK[i+1] = uint32(dn / tn * zigScale)
		tn = dn
		zigF[i] = math.Exp(-0.5 * dn * dn)
		zigW[i] = dn / zigScale
	}
}

// normals fills dst with independent N(0, 1) variates drawn from r.
func normals(r *rand.Rand, dst []float64) {
	j := 0
	for ; j+1 < len(dst); j += 2 {
		u := r.Uint64()
		w0, w1 := uint32(u), uint32(u>>32)
		i0, i1 := w0&zigMask, w1&zigMask
		h0, h1 := int32(w0)>>zigShift, int32(w1)>>zigShift
		if uint32(abs32(h0)) < zigK[i0] {
			dst[j] = float64(h0) * zigW[i0]
		} else {
			dst[j] = zigSlow(r, w0)
		}
		if uint32(abs32(h1)) < zigK[i1] {
			dst[j+1] = float64(h1) * zigW[i1]
		} else {
			dst[j+1] = zigSlow(r, w1)
		}
	}
	if j < len(dst) {
		w := uint32(r.Uint64())
		i, h := w&zigMask, int32(w)>>zigShift
		if uint32(abs32(h)) < zigK[i] {
			dst[j] = float64(h) * zigW[i]
		} else {
			dst[j] = zigSlow(r, w)
		}
	}
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// zigSlow finishes a draw w that missed the fast path: the tail for layer
// 0, otherwise the wedge test, then fresh draws until one is accepted.
func zigSlow(r *rand.Rand, w uint32) float64 {
	for {
		i, h := w&zigMask, int32(w)>>zigShift
		if uint32(abs32(h)) < zigK[i] {
			return float64(h) * zigW[i]
		}
		x := float64(h) * zigW[i]
		if i == 0 {
			// Tail |x| > r (Marsaglia 1964): x = −ln(U₁)/r accepted when
			// −2 ln(U₂) > x².
			for {
				x = -math.Log(1-r.Float64()) * zigTailR
				y := -math.Log(1 - r.Float64())
				if y+y >= x*x {
					break
				}
			}
			if h > 0 {
				return zigR + x
			}
			return -zigR - x
		}
		if zigF[i]+r.Float64()*(zigF[i-1]-zigF[i]) < math.Exp(-0.5*x*x) {
			return x
		}
		w = uint32(r.Uint64())
	}
}
