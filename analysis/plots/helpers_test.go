package plots

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"
)

// decodePNG opens path and decodes it as a PNG, failing the test otherwise.
func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err, "open %s", path)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	require.NotZero(t, st.Size(), "%s is empty", path)
	img, err := png.Decode(f)
	require.NoError(t, err, "decode %s", path)
	return img
}

// checkPNG asserts that path is a non-empty PNG of the pixel size of a
// w × h figure at DPI, that it is not blank (some pixels are not white) and
// returns it.
func checkPNG(t *testing.T, path string, w, h vg.Length) image.Image {
	t.Helper()
	img := decodePNG(t, path)
	wantW, wantH := int(float64(w)/72*DPI+0.5), int(float64(h)/72*DPI+0.5) // 72 vg units per inch
	b := img.Bounds()
	assert.Equal(t, [2]int{wantW, wantH}, [2]int{b.Dx(), b.Dy()}, "%s: width × height [px]", filepath.Base(path))
	assert.NotZero(t, nonWhiteFraction(img), "%s: image is blank", filepath.Base(path))
	return img
}

// nonWhiteFraction is the fraction of pixels that are not pure white.
func nonWhiteFraction(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r != 0xffff || g != 0xffff || bl != 0xffff {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

// checkDir asserts that dir holds exactly the files named in want (in any
// order) — in particular no leftover ".*.tmp-*" file.
func checkDir(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	require.ElementsMatch(t, want, got, "files in %s", dir)
}

// doubleWell returns uniform edges on [-2,2]×[-1.5,1.5] and the free energy
// F = 2(z1²−1)² + 1.5 z2² in kT at bin centres, with bins above 7 kT empty
// (+Inf) as they would be in a histogram of finite samples.
func doubleWell(nx, ny int) (xe, ye, F []float64) {
	xe = make([]float64, nx+1)
	ye = make([]float64, ny+1)
	for i := range xe {
		xe[i] = -2 + 4*float64(i)/float64(nx)
	}
	for j := range ye {
		ye[j] = -1.5 + 3*float64(j)/float64(ny)
	}
	F = make([]float64, nx*ny)
	for j := range ny {
		for i := range nx {
			x, y := (xe[i]+xe[i+1])/2, (ye[j]+ye[j+1])/2
			f := 2*(x*x-1)*(x*x-1) + 1.5*y*y
			if f > 7 {
				f = math.Inf(1)
			}
			F[j*nx+i] = f
		}
	}
	return xe, ye, F
}

// closeColor reports whether a and b differ by at most tol/255 per channel.
func closeColor(a, b color.Color, tol float64) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) float64 { return math.Abs(float64(x)-float64(y)) / 257 }
	return d(ar, br) <= tol && d(ag, bg) <= tol && d(ab, bb) <= tol
}
