package plots

import (
	"image/color"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/dspib/dspib/internal/testutil"
)

func TestFreeEnergySurfaceWritesPNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fes.png")
	xe, ye, F := doubleWell(40, 30)
	require.NoError(t, FreeEnergySurface(path, "kT 0.5: MD encoded", xe, ye, F, 5))
	w, h := SurfacePanelSize(1, 1)
	assert.Equal(t, [2]vg.Length{PanelWidth + ColorBarWidth, PanelHeight}, [2]vg.Length{w, h}, "SurfacePanelSize(1,1) width × height")
	checkPNG(t, path, w, h)
	checkDir(t, dir, "fes.png")

	// Overwriting replaces the file atomically and leaves nothing behind.
	require.NoError(t, FreeEnergySurface(path, "again", xe, ye, F, 0))
	checkPNG(t, path, w, h)
	checkDir(t, dir, "fes.png")
}

func TestFreeEnergySurfaceAllEmpty(t *testing.T) {
	// A surface with no finite bin (e.g. no samples in range) still draws
	// axes and a colour bar instead of failing; the data area stays white,
	// so far fewer pixels are coloured than for a filled surface.
	dir := t.TempDir()
	xe, ye, F := doubleWell(20, 20)
	nan := make([]float64, len(F))
	for i := range nan {
		nan[i] = math.NaN()
	}
	nan[len(nan)/2] = math.Inf(1)
	full := filepath.Join(dir, "full.png")
	blank := filepath.Join(dir, "blank.png")
	require.NoError(t, FreeEnergySurface(full, "full", xe, ye, F, 0))
	require.NoError(t, FreeEnergySurface(blank, "blank", xe, ye, nan, 0))
	w, h := SurfacePanelSize(1, 1)
	fFull := nonWhiteFraction(checkPNG(t, full, w, h))
	fBlank := nonWhiteFraction(checkPNG(t, blank, w, h))
	// The filled data area covers roughly half the figure; axes, text and the
	// colour bar only a few per cent.
	assert.Less(t, fBlank, fFull/3, "non-white fraction of the empty surface against a third of the filled one's")
	checkDir(t, dir, "blank.png", "full.png")
}

func TestFreeEnergySurfaceBadInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.png")
	xe, ye, F := doubleWell(4, 3)
	cases := []struct {
		name      string
		xe, ye, F []float64
		cap       float64
		frag      []string
	}{
		{"short F", xe, ye, F[:11], 0, []string{"FreeEnergySurface", "F: len 11", "3×4 = 12"}},
		{"one x edge", xe[:1], ye, F, 0, []string{"xEdges", "1 edges"}},
		{"decreasing y", xe, []float64{0, 1, 0.5, 2}, F, 0, []string{"yEdges[2]", "strictly increasing"}},
		{"NaN edge", []float64{0, math.NaN(), 2, 3, 4}, ye, F, 0, []string{"xEdges[1]", "finite"}},
		{"-Inf F", xe, ye, []float64{0, 1, 2, 3, 4, 5, math.Inf(-1), 7, 8, 9, 10, 11}, 0, []string{"F[6]", "row 1, column 2"}},
		{"negative cap", xe, ye, F, -1, []string{"cap = -1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			testutil.WantErr(t, FreeEnergySurface(path, "t", c.xe, c.ye, c.F, c.cap), c.frag...)
		})
	}
	assert.ErrorContains(t, FreeEnergySurface("", "t", xe, ye, F, 0), "empty path")
	assert.ErrorContains(t, FreeEnergySurface(filepath.Join(dir, "missing", "x.png"), "t", xe, ye, F, 0), "missing")
	checkDir(t, dir) // nothing written, nothing left over
}

func TestSurfacePanel(t *testing.T) {
	dir := t.TempDir()
	xe, ye, F := doubleWell(30, 20)
	md := Surface{Title: "MD encoded", XEdges: xe, YEdges: ye, F: F, Cap: 4}
	gen := Surface{Title: "D-SPIB generated", XEdges: xe, YEdges: ye, F: F, Cap: 6}
	for _, c := range []struct {
		n, cols int
		file    string
	}{{3, 2, "p3x2.png"}, {2, 0, "p2.png"}, {2, 5, "p2b.png"}} {
		panels := []Surface{md, gen, md}[:c.n]
		path := filepath.Join(dir, c.file)
		require.NoError(t, SurfacePanel(path, panels, c.cols))
		w, h := SurfacePanelSize(c.n, c.cols)
		cols, rows := gridShape(c.n, c.cols)
		assert.Equal(t, [2]vg.Length{vg.Length(cols)*PanelWidth + ColorBarWidth, vg.Length(rows) * PanelHeight}, [2]vg.Length{w, h},
			"SurfacePanelSize(%d,%d) width × height", c.n, c.cols)
		checkPNG(t, path, w, h)
	}
	c, r := gridShape(3, 2)
	assert.Equal(t, [2]int{2, 2}, [2]int{c, r}, "gridShape(3,2) columns, rows")
	c, r = gridShape(2, 0)
	assert.Equal(t, [2]int{2, 1}, [2]int{c, r}, "gridShape(2,0) columns, rows")

	bad := gen
	bad.F = F[:10]
	testutil.WantErr(t, SurfacePanel(filepath.Join(dir, "bad.png"), []Surface{md, bad}, 2),
		"panels[1]", `"D-SPIB generated"`, "F: len 10")
	bad = gen
	bad.YEdges = []float64{1}
	assert.ErrorContains(t, SurfacePanel(filepath.Join(dir, "bad.png"), []Surface{bad}, 2), "panels[0]", "YEdges")
	assert.ErrorContains(t, SurfacePanel(filepath.Join(dir, "bad.png"), nil, 2), "panels is empty")
	checkDir(t, dir, "p3x2.png", "p2.png", "p2b.png")
}

func TestColourRange(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	a := Surface{F: []float64{0.5, 2, inf, 9}}
	b := Surface{F: []float64{nan, 1, 3, 4}, Cap: 5}
	lo, hi, any := colourRange([]Surface{a, b})
	assert.Equal(t, [2]float64{0.5, 5}, [2]float64{lo, hi}, "colourRange with Cap 5")
	assert.True(t, any, "colourRange with Cap 5: any finite")
	b.Cap = 0
	lo, hi, _ = colourRange([]Surface{a, b})
	assert.Equal(t, [2]float64{0.5, 9}, [2]float64{lo, hi}, "colourRange without cap")
	lo, hi, any = colourRange([]Surface{{F: []float64{nan, inf}}})
	assert.Equal(t, [2]float64{0, 1}, [2]float64{lo, hi}, "colourRange of an empty surface")
	assert.False(t, any, "colourRange of an empty surface: any finite")
	lo, hi, _ = colourRange([]Surface{{F: []float64{2, 2}}})
	assert.Equal(t, [2]float64{2, 3}, [2]float64{lo, hi}, "colourRange of a constant surface")
	assert.True(t, clipped([]Surface{a}, 5), "clipped at cap 5 with F = 9 present")
	assert.False(t, clipped([]Surface{a}, 9), "clipped at cap 9")
}

// TestBinnedMapGeometry draws a 2×2 surface with non-uniform edges on a
// canvas whose data area is the whole image, then reads back the colour at
// points inside each bin: bins sit exactly on their edges (not on centres as
// plotter.HeatMap assumes), empty bins stay white and values above the cap
// take the cap's colour.
func TestBinnedMapGeometry(t *testing.T) {
	s := &Surface{
		XEdges: []float64{0, 1, 4}, // bin 0 is a quarter of the width
		YEdges: []float64{0, 3, 4}, // bin 0 is three quarters of the height
		F:      []float64{0, math.NaN(), 1, 7},
	}
	lo, hi := 0.0, 2.0
	cmap, err := freeEnergyMap(lo, hi)
	require.NoError(t, err)
	const W, H = 200, 100 // pixels at DPI
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(W)*vg.Inch/DPI, vg.Length(H)*vg.Inch/DPI), vgimg.UseDPI(DPI))
	p := plot.New()
	p.HideAxes()
	p.X.Padding, p.Y.Padding = 0, 0
	p.Add(&binnedMap{s: s, cmap: cmap, lo: lo, hi: hi})
	p.Draw(draw.New(c))
	img := c.Image()
	b := img.Bounds()
	require.Equal(t, [2]int{W, H}, [2]int{b.Dx(), b.Dy()}, "canvas width × height [px]")
	at := func(x, y float64) color.Color { // data coordinates → pixel
		return img.At(int(x/4*W), H-1-int(y/4*H))
	}
	col := func(v float64) color.Color {
		c, err := cmap.At(v)
		require.NoError(t, err)
		return c
	}
	white := color.White
	// Tolerance: 2/255 per channel for 16-bit → 8-bit rounding of a colour
	// painted away from any cell boundary (no antialiasing there).
	for _, c := range []struct {
		x, y float64
		want color.Color
		what string
	}{
		{0.5, 1.5, col(0), "bin (0,0), F=0"},
		{0.9, 2.8, col(0), "bin (0,0) near its non-uniform corner"},
		{1.1, 1.5, white, "bin (1,0), NaN = empty"},
		{3.5, 0.2, white, "bin (1,0), NaN = empty"},
		{0.5, 3.5, col(1), "bin (0,1), F=1"},
		{2.5, 3.2, col(2), "bin (1,1), F=7 clipped to hi=2"},
	} {
		got := at(c.x, c.y)
		assert.True(t, closeColor(got, c.want, 2), "%s at (%v,%v): colour %v, want %v", c.what, c.x, c.y, got, c.want)
	}
	// Distinct F give distinct colours, so the checks above can fail.
	assert.False(t, closeColor(col(0), col(1), 20), "colour map does not separate F = 0 and 1")
	assert.False(t, closeColor(col(1), col(2), 20), "colour map does not separate F = 1 and 2")
	assert.False(t, closeColor(col(2), white, 20), "colour map does not separate F = 2 and white")
}

func TestEndTicks(t *testing.T) {
	// [0, 4]: default labels 0, 2, 4 (4 labelled already) — nothing added.
	// [0.0016, 4]: default labels stop at 3.5, so the cap 4 is appended.
	for _, c := range []struct{ min, max float64 }{{0, 4}, {0.0016, 4}, {0, 7.3}} {
		ticks := (endTicks{}).Ticks(c.min, c.max)
		top := false
		for _, tk := range ticks {
			if tk.Label != "" && math.Abs(tk.Value-c.max) <= 0.1*(c.max-c.min) {
				top = true
			}
		}
		assert.True(t, top, "endTicks(%v, %v) = %v: no labelled tick within 10%% of the top", c.min, c.max, ticks)
		n := 0
		for _, tk := range ticks {
			if tk.Value == c.max && tk.Label != "" {
				n++
			}
		}
		assert.LessOrEqual(t, n, 1, "endTicks(%v, %v): times the cap is labelled", c.min, c.max)
	}
}
