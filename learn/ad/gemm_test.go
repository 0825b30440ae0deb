package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
)

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}

// naive returns c0 + op(a)·op(b) by the textbook triple loop, where op
// transposes when the flag is set; a is stored as m×k (or k×m if ta), b as k×n
// (or n×k if tb).
func naive(ta, tb bool, m, n, k int, a, b, c0 []float64) []float64 {
	c := append([]float64(nil), c0...)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for l := 0; l < k; l++ {
				av, bv := 0.0, 0.0
				if ta {
					av = a[l*m+i]
				} else {
					av = a[i*k+l]
				}
				if tb {
					bv = b[j*k+l]
				} else {
					bv = b[l*n+j]
				}
				s += av * bv
			}
			c[i*n+j] += s
		}
	}
	return c
}

// TestGemmKernels compares the kernels (NT, NT with bias, NN with and without
// scratch, TN) with the triple loop on shapes that exercise every blocked
// path and every remainder (k, n mod 4 ≠ 0), the axpy rows (n ≥ 8) and the
// dot products (useDots).
// Both sum the same k products in different orders; with |terms| ~ 1 the
// difference is a few ulps of √k·max|term|, so 1e-12 is generous.
func TestGemmKernels(t *testing.T) {
	// The Go loops (used without AVX2/FMA) are checked on every machine,
	// then the AVX2 rows, then (where the CPU has it) the AVX-512 blocks.
	old, old512 := setFMA(false), setAVX512(false)
	testGemmKernels(t)
	setFMA(old)
	testGemmKernels(t)
	setAVX512(old512)
	testGemmKernels(t)
	if Backend != "pure-go" {
		// Force every product through the BLAS backend as well.
		saved := blasMinFlops
		blasMinFlops = 0
		defer func() { blasMinFlops = saved }()
		testGemmKernels(t)
	}
	t.Logf("backend %s, AVX2/FMA kernel %v, AVX-512 %v", Backend, hasFMA, hasAVX512)
}

func testGemmKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {8, 16, 16}, {9, 6, 13}, {2, 64, 64}, {17, 3, 2}, {5, 20, 3}, {3, 37, 300}, {40, 64, 1030}, {7, 4, 1}, {33, 2, 16}, {5, 7, 21}, {6, 8, 9}, {12, 100, 16}, {100, 16, 512}, {13, 33, 5}} {
		m, n, k := s[0], s[1], s[2]
		c0 := randSlice(rng, m*n)
		a := randSlice(rng, m*k)
		bNT := randSlice(rng, n*k)
		bNN := randSlice(rng, k*n)
		check := func(name string, got, want []float64) {
			for i := range want {
				require.InDelta(t, want[i], got[i], 1e-12*(1+math.Abs(want[i])), "%s %d×%d×%d: c[%d]", name, m, n, k, i)
			}
		}
		c := append([]float64(nil), c0...)
		var scratch []float64
		gemmNT(m, n, k, a, bNT, 1, c, &scratch)
		check("NT beta=1", c, naive(false, true, m, n, k, a, bNT, c0))
		gemmNT(m, n, k, a, bNT, 0, c, &scratch)
		check("NT beta=0", c, naive(false, true, m, n, k, a, bNT, make([]float64, m*n)))
		bias := randSlice(rng, n)
		cb := make([]float64, m*n)
		for i := 0; i < m; i++ {
			copy(cb[i*n:], bias)
		}
		gemmNTBias(m, n, k, a, bNT, bias, c, &scratch)
		check("NT bias", c, naive(false, true, m, n, k, a, bNT, cb))
		c = append(c[:0], c0...)
		gemmNN(m, n, k, a, bNN, c)
		check("NN", c, naive(false, false, m, n, k, a, bNN, c0))
		c = append(c[:0], c0...)
		gemmNNScratch(m, n, k, a, bNN, c, &scratch)
		check("NN scratch", c, naive(false, false, m, n, k, a, bNN, c0))
		aT := randSlice(rng, k*m)
		c = append(c[:0], c0...)
		gemmTN(m, n, k, aT, bNN, c)
		check("TN", c, naive(true, false, m, n, k, aT, bNN, c0))
	}
}

// BenchmarkGemm compares the package kernels with gonum's pure-Go Dgemm on
// the product shapes of one SPIB / D-SPIB layer (batch × out × in).
func BenchmarkGemm(b *testing.B) {
	impl := gonum.Implementation{}
	for _, s := range [][3]int{{512, 16, 7}, {512, 16, 16}, {8192, 64, 64}, {8192, 16, 64}} {
		m, n, k := s[0], s[1], s[2]
		rng := rand.New(rand.NewPCG(1, 2))
		a, w, c := randSlice(rng, m*k), randSlice(rng, n*k), make([]float64, m*n)
		flops := float64(2 * m * n * k)
		b.Run(fmt.Sprintf("NT/ad/%dx%dx%d", m, n, k), func(b *testing.B) {
			var scratch []float64
			for range b.N {
				gemmNT(m, n, k, a, w, 0, c, &scratch)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("NT/gonum/%dx%dx%d", m, n, k), func(b *testing.B) {
			for range b.N {
				impl.Dgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, k, w, k, 0, c, n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("NT/blas64/%dx%dx%d", m, n, k), func(b *testing.B) {
			for range b.N {
				blas64.Gemm(blas.NoTrans, blas.Trans, 1, blas64.General{Rows: m, Cols: k, Stride: k, Data: a},
					blas64.General{Rows: n, Cols: k, Stride: k, Data: w}, 0, blas64.General{Rows: m, Cols: n, Stride: n, Data: c})
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		g := randSlice(rng, m*n)
		b.Run(fmt.Sprintf("NN/ad/%dx%dx%d", m, k, n), func(b *testing.B) {
			dx := make([]float64, m*k)
			for range b.N {
				gemmNN(m, k, n, g, w, dx)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("TN/ad/%dx%dx%d", n, k, m), func(b *testing.B) {
			dw := make([]float64, n*k)
			for range b.N {
				gemmTN(n, k, m, g, a, dw)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("TN/gonum/%dx%dx%d", n, k, m), func(b *testing.B) {
			dw := make([]float64, n*k)
			for range b.N {
				impl.Dgemm(blas.Trans, blas.NoTrans, n, k, m, 1, g, n, a, k, 1, dw, k)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
