//go:build !amd64 || purego

package ad

const hasFMA = false

// setFMA is a no-op without the assembly kernels.
func setFMA(on bool) bool { return false }

func kernAxpy(c, a, b *float64, n, k, as, ldb int) { panic("ad: kernAxpy without assembly") }
func kernAxpyInit(c, init, a, b *float64, n, k, as, ldb int) {
	panic("ad: kernAxpyInit without assembly")
}

func expKern(dst, src *float64, n int) { panic("ad: expKern without assembly") }

func reluKern(dst, src *float64, n int)      { panic("ad: reluKern without assembly") }
func reluMaskKern(dz, dy, y *float64, n int) { panic("ad: reluMaskKern without assembly") }

func lseRowsKern(e, x, m, s *float64, rows, c int) { panic("ad: lseRowsKern without assembly") }
func mixJointKern(l, cst, muT, hT, z *float64, rows, d, k4 int) {
	panic("ad: mixJointKern without assembly")
}
func mixBackKern(dmu, dlv, mu, iv, gam *float64, gi, z float64, n int) float64 {
	panic("ad: mixBackKern without assembly")
}

func sumKern(x *float64, n int) float64 { panic("ad: sumKern without assembly") }
func softmaxBackKern(da, gr, e *float64, c float64, n int) {
	panic("ad: softmaxBackKern without assembly")
}

func kernDots(c, a, bt *float64, m, n, k int) { panic("ad: kernDots without assembly") }

func sigmoidKern(y, sig, x *float64, n, mode int)      { panic("ad: sigmoidKern without assembly") }
func siluGradKern(dz, dy, y, s *float64, n int)        { panic("ad: siluGradKern without assembly") }
func shiftSubKern(y, x *float64, m, ls float64, n int) { panic("ad: shiftSubKern without assembly") }
func logKern(dst, src *float64, n int)                 { panic("ad: logKern without assembly") }
