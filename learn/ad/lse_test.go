package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
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
				if got := y.At(i, j); math.Abs(got-want) > lseTol(K, in[i*K+j]) {
					t.Errorf("LogSoftmax(shift %g)[%d,%d] = %.17g, want %.17g", in[0]-x[0], i, j, got, want)
				}
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
			if want := math.Log(p); math.Abs(mix.Data[i]-want) > lseTol(K, 10*float64(d)) {
				t.Errorf("MixtureLogPDF(broadcast %v)[%d] = %.17g, want %.17g", bc, i, mix.Data[i], want)
			}
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
	if got := mix.Data[0]; math.Abs(got-want) > lseTol(K, want) {
		t.Errorf("MixtureLogPDF far from the components = %.17g, want %.17g", got, want)
	}
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
	if m[0] != 3 || m[1] != 0.5 {
		t.Errorf("row maxima %v, %v; want 3, 0.5", m[0], m[1])
	}
	worst, sum := 0.0, 0.0
	for i, v := range x[:c] {
		want := math.Exp(v - 3)
		if hasFMA && v-3 < -707 { // the kernel flushes results below 1e-307
			want = 0
		}
		sum += e[i]
		if u := ulps(e[i], want); u > 4 {
			t.Errorf("e^(%v) = %v, want %v (%.1f ulp)", v-3, e[i], want, u)
		}
		worst = max(worst, ulps(e[i], want))
	}
	t.Logf("max error %.2f ulp (vector kernel: %v)", worst, hasFMA)
	if e[17] != 1 {
		t.Errorf("e at the maximum = %v, want 1", e[17])
	}
	// c terms in [0, 1] summed in another order: |Δ| ≤ c·ε·s.
	if math.Abs(s[0]-sum) > c*0x1p-52*sum {
		t.Errorf("row sum %v, want %v", s[0], sum)
	}
	if want := 1 + math.Exp(-2.5); math.Abs(s[1]-want) > 4*0x1p-52 || e[c] != 0 || e[c+9] != 1 {
		t.Errorf("−Inf row: sum %v (want %v), e[0] = %v, e at max = %v", s[1], want, e[c], e[c+9])
	}
	if !math.IsNaN(s[2]) || !math.IsNaN(e[2*c+7]) {
		t.Errorf("row with NaN: sum %v, e %v; want NaN", s[2], e[2*c+7])
	}
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
			if !math.IsNaN(ys[i]) || !math.IsNaN(yl[i]) {
				t.Errorf("σ(NaN) = %v, SiLU(NaN) = %v; want NaN", ys[i], yl[i])
			}
			continue
		}
		if u := ulps(ys[i], s); u > 8 {
			t.Errorf("σ(%v) = %v, want %v (%.1f ulp)", v, ys[i], s, u)
		}
		if u := ulps(sig[i], s); u > 8 {
			t.Errorf("SiLU's σ(%v) = %v, want %v (%.1f ulp)", v, sig[i], s, u)
		}
		if math.IsInf(v, -1) {
			continue // −Inf·0 = NaN, as in the Go loop
		}
		if u := ulps(yl[i], v*s); u > 8 {
			t.Errorf("SiLU(%v) = %v, want %v (%.1f ulp)", v, yl[i], v*s, u)
		}
		if math.Float64bits(yl2[i]) != math.Float64bits(yl[i]) {
			t.Errorf("SiLU(%v) without σ = %v, with σ %v", v, yl2[i], yl[i])
		}
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
			if !math.IsNaN(y[i]) {
				t.Errorf("log(NaN) = %v", y[i])
			}
			continue
		}
		u := ulps(y[i], want)
		if want == 0 && y[i] == 0 {
			u = 0
		}
		worst = max(worst, u)
		if u > 1 {
			t.Errorf("log(%v) = %v, math.Log %v (%.1f ulp)", v, y[i], want, u)
		}
	}
	t.Logf("max difference %.2f ulp (vector kernel: %v)", worst, hasFMA)
}
