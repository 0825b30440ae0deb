package plots

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/vg"
)

// decodePNG opens path and decodes it as a PNG, failing the test otherwise.
func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() == 0 {
		t.Fatalf("%s is empty", path)
	}
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

// checkPNG asserts that path is a non-empty PNG of the pixel size of a
// w × h figure at DPI, that it is not blank (some pixels are not white) and
// returns it.
func checkPNG(t *testing.T, path string, w, h vg.Length) image.Image {
	t.Helper()
	img := decodePNG(t, path)
	wantW, wantH := int(float64(w)/72*DPI+0.5), int(float64(h)/72*DPI+0.5) // 72 vg units per inch
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Errorf("%s: %d×%d px, want %d×%d", filepath.Base(path), b.Dx(), b.Dy(), wantW, wantH)
	}
	if f := nonWhiteFraction(img); f == 0 {
		t.Errorf("%s: image is blank", filepath.Base(path))
	}
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
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(want) {
		t.Fatalf("%s holds %q, want %q", dir, got, want)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Fatalf("%s holds %q, want %q", dir, got, want)
		}
	}
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
