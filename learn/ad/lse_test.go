package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/assert"
)

// TestLogSumExpOps checks the forward values of LogSoftmax and
// MixtureLogPDF against direct summation, with the AVX2/FMA kernels and with
// the Go loops, for widths K that exercise the padded layout (K = 1, 3: one
// padded vector; 4: none; 7, 13: body and pads; 100: the SPIB size).
//
// Tolerance: the op and the reference each sum K terms with relative
// rounding error ≤ (K+4)·ε (exp ≤ 4 ulp, then K additions), so their logs
// differ by at most 2(K+4)·ε in absolute value; we allow 4(K+8)·ε plus
// |value|·4ε for the final subtraction or addition of O(|value|) terms.
func TestLogSumExpOps(t *testing.T) {
	for _, fma := range []bool{true, false} {
		old := setFMA(fma)
		for _, K := range []int{1, 3, 4, 7, 13, 100} {
			t.Run(fmt.Sprintf("K=%d/fma=%v", K, hasFMA), func(t *testing.T) { testLogSumExpOps(t, K) })
		}
		setFMA(old)
	}
}

func lseTol(K int, v float64) float64 {
	const eps = 0x1p-52
	return 4*float64(K+8)*eps + 4*eps*math.Abs(v)
}

func testLogSumExpOps(t *testing.T, K int) {
	rng := rand.New(rand.NewPCG(uint64(K), 77))
	const B, d = 9, 2
	tp := NewTape()

	// LogSoftmax of N(0, 3²) logits (no overflow in the reference), and of
	// the same rows shifted by +1e4 (the naive sum would overflow; the
	// log-softmax is shift-invariant).
	x := randSlice(rng, B*K)
	for i := range x {
		x[i] *= 3
	}
	xs := make([]float64, len(x))
	for i, v := range x {
		xs[i] = v + 1e4
	}
	for _, in := range [][]float64{x, xs} {
		y := tp.LogSoftmax(tp.Input(B, K, in))
		for i := 0; i < B; i++ {
			s := 0.0
			for _, v := range x[i*K : (i+1)*K] {
				s += math.Exp(v)
			}
			for j := 0; j < K; j++ {
				want := x[i*K+j] - math.Log(s)
				testutil.InDelta(t, want, y.At(i, j), lseTol(K, in[i*K+j]), "LogSoftmax(shift %g)[%d,%d]", in[0]-x[0], i, j)
			}
		}
	}

	// Mixture by direct summation of the weighted densities.
	z, mu, lv, th := randSlice(rng, B*d), randSlice(rng, K*d), randSlice(rng, K*d), randSlice(rng, K)
	for _, bc := range []bool{false, true} {
		lvRows := K
		if bc {
			lvRows = 1
		}
		mix := tp.MixtureLogPDF(tp.Input(B, d, z), tp.Input(K, d, mu), tp.Input(lvRows, d, lv[:lvRows*d]), tp.Input(1, K, th))
		ts := 0.0
		for _, v := range th {
			ts += math.Exp(v)
		}
		for i := 0; i < B; i++ {
			p := 0.0
			for k := 0; k < K; k++ {
				lp := math.Log(math.Exp(th[k]) / ts)
				for j := 0; j < d; j++ {
					l := lv[j]
					if !bc {
						l = lv[k*d+j]
					}
					r := z[i*d+j] - mu[k*d+j]
					lp += -0.5 * (ln2Pi + l + r*r*math.Exp(-l))
				}
				p += math.Exp(lp)
			}
			// Each log-density term is O(10), so allow for rounding in it too.
			testutil.InDelta(t, math.Log(p), mix.Data[i], lseTol(K, 10*float64(d)), "MixtureLogPDF(broadcast %v)[%d]", bc, i)
		}
	}

	// Far from every component the densities underflow (log N ≈ −1250 <
	// −745), so direct summation gives −Inf; K identical components with
	// any weights must give exactly log N(z; μ, σ²) up to rounding.
	muc := make([]float64, K*d)
	lvc := make([]float64, K*d)
	for k := 0; k < K; k++ {
		muc[2*k], muc[2*k+1], lvc[2*k], lvc[2*k+1] = 1, -2, 0.5, -0.25
	}
	zf := []float64{1 + 40, -2 - 30}
	mix := tp.MixtureLogPDF(tp.Input(1, d, zf), tp.Input(K, d, muc), tp.Input(K, d, lvc), tp.Input(1, K, th))
	want := -0.5 * (2*ln2Pi + 0.5 - 0.25 + 40*40*math.Exp(-0.5) + 30*30*math.Exp(0.25))
	testutil.InDelta(t, want, mix.Data[0], lseTol(K, want), "MixtureLogPDF far from the components")
}

// BenchmarkLSERows: lseRows on a SPIB-sized batch (512 rows of K = 100
// logits), reported per exponential.
func BenchmarkLSERows(b *testing.B) {
	const B, K = 512, 100
	x := randSlice(rand.New(rand.NewPCG(1, 2)), B*K)
	e := make([]float64, B*K)
	m, s := make([]float64, B), make([]float64, B)
	for b.Loop() {
		lseRows(e, x, m, s, B, K)
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/(B*K)*1e9, "ns/exp")
}

// TestLSERows: the max-shifted exponentials of lseRows are within 4 ulp of
// math.Exp(x − max) (the bound of TestExpSlice, same polynomial), 0 below
// e^-707 with the kernel, exactly 1 at the maximum; −Inf entries (the pads) give 0 and add
// nothing; a NaN makes its row's sum NaN. Kernels and Go loops.
func TestLSERows(t *testing.T) {
	for _, fma := range []bool{true, false} {
		old := setFMA(fma)
		testLSERows(t)
		setFMA(old)
	}
}

func testLSERows(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const c = 4000
	x := make([]float64, 3*c)
	for i := range x[:c] {
		x[i] = 3 - 720*rng.Float64() // shifted values in (−717, 0]
	}
	x[17] = 3 // the row maximum
	for i := range x[c : 2*c] {
		x[c+i] = math.Inf(-1)
	}
	x[c+5], x[c+9] = -2, 0.5
	for i := range x[2*c:] {
		x[2*c+i] = rng.NormFloat64()
	}
	x[2*c+7] = math.NaN()
	e := make([]float64, len(x))
	m, s := make([]float64, 3), make([]float64, 3)
	lseRows(e, x, m, s, 3, c)
	assert.Equal(t, []float64{3, 0.5}, m[:2], "row maxima")
	worst, sum := 0.0, 0.0
	for i, v := range x[:c] {
		want := math.Exp(v - 3)
		if hasFMA && v-3 < -707 { // the kernel flushes results below 1e-307
			want = 0
		}
		sum += e[i]
		assert.LessOrEqual(t, ulps(e[i], want), 4.0, "e^(%v) = %v, want %v: ulps", v-3, e[i], want)
		worst = max(worst, ulps(e[i], want))
	}
	t.Logf("max error %.2f ulp (vector kernel: %v)", worst, hasFMA)
	assert.Equal(t, 1.0, e[17], "e at the maximum")
	// c terms in [0, 1] summed in another order: |Δ| ≤ c·ε·s.
	testutil.InDelta(t, sum, s[0], c*0x1p-52*sum, "row sum")
	testutil.InDelta(t, 1+math.Exp(-2.5), s[1], 4*0x1p-52, "−Inf row: sum")
	assert.Equal(t, 0.0, e[c], "−Inf row: e[0]")
	assert.Equal(t, 1.0, e[c+9], "−Inf row: e at max")
	assert.True(t, math.IsNaN(s[2]), "row with NaN: sum %v, want NaN", s[2])
	assert.True(t, math.IsNaN(e[2*c+7]), "row with NaN: e %v, want NaN", e[2*c+7])
}

// TestSigmoidSiLU: σ(x) and SiLU(x) = x·σ(x) (with σ kept for backward)
// against 1/(1 + math.Exp(−x)), with the vector kernel and the Go loops,
// on a length that leaves a scalar tail. Bound: e^{−x} within 4 ulp
// (TestExpSlice), then 1 + e and the division (½ ulp each) and for SiLU the
// product (½ ulp): at most 6 ulp of σ and SiLU; we allow 8. Overflow of
// e^{−x} (x < −709.78) gives σ = 0 exactly; NaN stays NaN.
func TestSigmoidSiLU(t *testing.T) {
	for _, fma := range []bool{true, false} {
		old := setFMA(fma)
		testSigmoidSiLU(t)
		setFMA(old)
	}
}

func testSigmoidSiLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	x := make([]float64, 0, 1003)
	for range 990 {
		x = append(x, 8*rng.NormFloat64())
	}
	x = append(x, 0, math.Copysign(0, -1), 700, -700, -709, -720, 720, 40, -40, math.Inf(1), math.Inf(-1), math.NaN(), 1e-300)
	sig := make([]float64, len(x))
	ys := append([]float64(nil), x...)
	applyAct(ActSigmoid, ys, nil)
	yl := append([]float64(nil), x...)
	applyAct(ActSiLU, yl, sig)
	yl2 := append([]float64(nil), x...)
	applyAct(ActSiLU, yl2, nil)
	for i, v := range x {
		s := 1 / (1 + math.Exp(-v))
		if math.IsNaN(v) {
			assert.True(t, math.IsNaN(ys[i]) && math.IsNaN(yl[i]), "σ(NaN) = %v, SiLU(NaN) = %v; want NaN", ys[i], yl[i])
			continue
		}
		assert.LessOrEqual(t, ulps(ys[i], s), 8.0, "σ(%v) = %v, want %v: ulps", v, ys[i], s)
		assert.LessOrEqual(t, ulps(sig[i], s), 8.0, "SiLU's σ(%v) = %v, want %v: ulps", v, sig[i], s)
		if math.IsInf(v, -1) {
			continue // −Inf·0 = NaN, as in the Go loop
		}
		assert.LessOrEqual(t, ulps(yl[i], v*s), 8.0, "SiLU(%v) = %v, want %v: ulps", v, yl[i], v*s)
		assert.Equal(t, math.Float64bits(yl[i]), math.Float64bits(yl2[i]), "SiLU(%v) without σ = %v, with σ %v: bits", v, yl2[i], yl[i])
	}
}

// TestLogSlice: the vectorised logarithm is within 1 ulp of math.Log (both
// are fdlibm's method, < 1 ulp from ln; they round the last steps
// differently, the kernel with an FMA) over normal positives, sums in
// [1, 200] (its use) and near 1, and returns +Inf and NaN as they are.
func TestLogSlice(t *testing.T) {
	for _, fma := range []bool{true, false} {
		old := setFMA(fma)
		testLogSlice(t)
		setFMA(old)
	}
}

func testLogSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	x := make([]float64, 0, 30003)
	for range 10000 {
		x = append(x, math.Exp2(-1022+2045*rng.Float64()))
	}
	for range 10000 {
		x = append(x, 1+199*rng.Float64())
	}
	for range 10000 {
		x = append(x, 1+1e-3*rng.NormFloat64())
	}
	x = append(x, 1, 2, 0.5, math.Sqrt2/2, math.Nextafter(math.Sqrt2/2, 0), math.SmallestNonzeroFloat64*(1<<52), math.MaxFloat64, math.E, 100, math.Inf(1), math.NaN())
	y := make([]float64, len(x))
	logSlice(y, x)
	worst := 0.0
	for i, v := range x {
		want := math.Log(v)
		if math.IsNaN(v) {
			assert.True(t, math.IsNaN(y[i]), "log(NaN) = %v, want NaN", y[i])
			continue
		}
		u := ulps(y[i], want)
		if want == 0 && y[i] == 0 {
			u = 0
		}
		worst = max(worst, u)
		assert.LessOrEqual(t, u, 1.0, "log(%v) = %v, math.Log %v: ulps", v, y[i], want)
	}
	t.Logf("max difference %.2f ulp (vector kernel: %v)", worst, hasFMA)
}
