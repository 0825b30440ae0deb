package plots

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dspib/dspib/analysis"
)

// Surface is one panel of SurfacePanel: a free energy F(z1, z2) on the
// rectangular bins given by XEdges × YEdges.
type Surface struct {
	// Title is printed above the panel, e.g. "kT 0.5: MD encoded".
	Title string
	// XEdges and YEdges are the bin edges along z1 and z2, strictly
	// increasing and finite; there are len(XEdges)-1 = nx columns and
	// len(YEdges)-1 = ny rows of bins.
	XEdges, YEdges []float64
	// F is the free energy in kT, ny×nx row-major: F[j*nx+i] is the bin
	// [XEdges[i], XEdges[i+1]) × [YEdges[j], YEdges[j+1]). +Inf or NaN marks
	// an empty bin, drawn blank (white); −Inf is an error.
	F []float64
	// Cap is the top of the colour scale in kT: bins above it are drawn in
	// the colour of Cap. SurfacePanel uses the largest Cap of its panels for
	// all of them; zero means the largest finite F of all panels.
	Cap float64
	// XLabel and YLabel label the axes; empty means "z1" and "z2".
	XLabel, YLabel string
}

// surfaceArgs names the inputs of a Surface in error messages: the
// arguments of FreeEnergySurface or the fields of SurfacePanel's panels[i].
type surfaceArgs struct{ prefix, xEdges, yEdges, f, cap string }

var (
	fesArgs   = surfaceArgs{"FreeEnergySurface: ", "xEdges", "yEdges", "F", "cap"}
	panelArgs = surfaceArgs{"", "XEdges", "YEdges", "F", "Cap"}
)

// validate checks the shape and values of s, naming the offending input.
func (s *Surface) validate(a surfaceArgs) error {
	if err := analysis.CheckEdges(a.prefix+a.xEdges, s.XEdges); err != nil {
		return err
	}
	if err := analysis.CheckEdges(a.prefix+a.yEdges, s.YEdges); err != nil {
		return err
	}
	nx, ny := len(s.XEdges)-1, len(s.YEdges)-1
	if len(s.F) != nx*ny {
		return fmt.Errorf("%s%s: len %d, want (len(%s)-1)×(len(%s)-1) = %d×%d = %d",
			a.prefix, a.f, len(s.F), a.yEdges, a.xEdges, ny, nx, nx*ny)
	}
	for k, v := range s.F {
		if math.IsInf(v, -1) {
			return fmt.Errorf("%s%s[%d] (row %d, column %d) = -Inf", a.prefix, a.f, k, k/nx, k%nx)
		}
	}
	if math.IsNaN(s.Cap) || math.IsInf(s.Cap, 0) || s.Cap < 0 {
		return fmt.Errorf("%s%s = %v, want finite and ≥ 0 (0 = no clipping)", a.prefix, a.cap, s.Cap)
	}
	return nil
}

// empty reports whether a free-energy value marks an empty bin.
func empty(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 1) }

// FreeEnergySurface writes to path a PNG heat map of the free energy F(z1, z2)
// in kT on the bins xEdges × yEdges (F is ny×nx row-major, see Surface.F;
// +Inf or NaN bins are left blank), with a colour bar labelled in kT. Values
// above cap are drawn in the colour of cap; cap = 0 means the largest finite
// F. The figure is PanelWidth+ColorBarWidth × PanelHeight.
func FreeEnergySurface(path, title string, xEdges, yEdges []float64, F []float64, cap float64) error {
	s := Surface{Title: title, XEdges: xEdges, YEdges: yEdges, F: F, Cap: cap}
	if err := s.validate(fesArgs); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return surfaces(path, "FreeEnergySurface", []Surface{s}, 1)
}

// SurfacePanel writes to path a PNG of several free-energy surfaces in a grid
// of cols columns (cols ≤ 0 or cols > len(panels) means one row), filled row
// by row, all on one colour scale with a single colour bar in kT, so that,
// e.g., "MD encoded" and "D-SPIB generated" at each temperature can be
// compared by eye. The scale runs from the smallest finite F of all panels to
// the largest panel Cap (or, if every Cap is 0, the largest finite F). The
// figure is cols·PanelWidth+ColorBarWidth × rows·PanelHeight.
func SurfacePanel(path string, panels []Surface, cols int) error {
	if len(panels) == 0 {
		return fmt.Errorf("plots: SurfacePanel: panels is empty")
	}
	for i := range panels {
		a := panelArgs
		a.prefix = fmt.Sprintf("SurfacePanel: panels[%d] (%q).", i, panels[i].Title)
		if err := panels[i].validate(a); err != nil {
			return fmt.Errorf("plots: %w", err)
		}
	}
	return surfaces(path, "SurfacePanel", panels, cols)
}

// SurfacePanelSize returns the size in inches-based vg units of the figure
// SurfacePanel writes for n panels in cols columns.
func SurfacePanelSize(n, cols int) (w, h vg.Length) {
	cols, rows := gridShape(n, cols)
	return vg.Length(cols)*PanelWidth + ColorBarWidth, vg.Length(rows) * PanelHeight
}

// gridShape returns the number of columns and rows for n panels.
func gridShape(n, cols int) (int, int) {
	if cols <= 0 || cols > n {
		cols = n
	}
	if cols < 1 {
		cols = 1
	}
	return cols, (n + cols - 1) / cols
}

// colourRange returns the common colour scale [lo, hi] of the panels and
// whether any bin is non-empty.
func colourRange(panels []Surface) (lo, hi float64, any bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	cap := 0.0
	for _, s := range panels {
		cap = math.Max(cap, s.Cap)
		for _, v := range s.F {
			if empty(v) {
				continue
			}
			any = true
			lo = math.Min(lo, v)
			hi = math.Max(hi, v)
		}
	}
	if !any {
		lo, hi = 0, 1
	}
	if cap > 0 {
		hi = cap
	}
	if lo > hi { // every value is above the cap
		lo = hi - 1
	}
	if hi == lo {
		hi = lo + 1
	}
	return lo, hi, any
}

func surfaces(path, what string, panels []Surface, cols int) error {
	cols, rows := gridShape(len(panels), cols)
	w, h := SurfacePanelSize(len(panels), cols)
	lo, hi, any := colourRange(panels)
	cmap, err := freeEnergyMap(lo, hi)
	if err != nil {
		return fmt.Errorf("plots: %s: colour map: %w", what, err)
	}
	return renderPNG(path, what, w, h, func(dc draw.Canvas) error {
		grid := make([][]*plot.Plot, rows)
		for r := range grid {
			grid[r] = make([]*plot.Plot, cols)
		}
		for k := range panels {
			s := &panels[k]
			xl, yl := s.XLabel, s.YLabel
			if xl == "" {
				xl = "z1"
			}
			if yl == "" {
				yl = "z2"
			}
			title := s.Title
			if !any {
				title += " (no data)"
			}
			p := newPlot(title, xl, yl)
			p.Add(&binnedMap{s: s, cmap: cmap, lo: lo, hi: hi})
			p.X.Padding, p.Y.Padding = 0, 0
			grid[k/cols][k%cols] = p
		}
		main := draw.Crop(dc, 0, -ColorBarWidth, 0, 0)
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
			PadTop: vg.Millimeter, PadLeft: vg.Millimeter, PadBottom: vg.Millimeter, PadRight: vg.Millimeter}
		canvases := plot.Align(grid, tiles, main)
		for r := range grid {
			for c, p := range grid[r] {
				if p != nil {
					p.Draw(canvases[r][c])
				}
			}
		}
		// Colour bar: a vertical bar spanning the data areas from the top
		// row to the bottom row, its axis labelled in kT.
		top := grid[0][0].DataCanvas(canvases[0][0])
		bottom := grid[rows-1][0].DataCanvas(canvases[rows-1][0])
		bar := plot.New()
		cb := &plotter.ColorBar{ColorMap: cmap, Vertical: true, Colors: 256}
		bar.Add(cb)
		bar.HideX()
		bar.Y.Padding = 0
		bar.Y.Label.Text = "F [kT]"
		if clipped(panels, hi) {
			bar.Y.Label.Text = fmt.Sprintf("F [kT], clipped at %s", strconv.FormatFloat(hi, 'g', 4, 64))
		}
		bar.Y.Tick.Marker = endTicks{}
		bar.Y.Label.TextStyle.Font.Size = 12
		bc := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: dc.Max.X - ColorBarWidth + 2*vg.Millimeter, Y: dc.Min.Y + vg.Millimeter},
			Max: vg.Point{X: dc.Max.X - 5*vg.Millimeter, Y: dc.Max.Y - vg.Millimeter},
		}}
		// Align the bar's data area vertically with the panel data area.
		bc.Min.Y = bottom.Min.Y
		bc.Max.Y = top.Max.Y
		// Leave room for the Y axis of the bar on its left.
		bar.Y.Tick.Label.Font.Size = 10
		bar.Draw(bc)
		return nil
	})
}

// clipped reports whether any panel has a finite bin above hi.
func clipped(panels []Surface, hi float64) bool {
	for _, s := range panels {
		for _, v := range s.F {
			if !empty(v) && v > hi {
				return true
			}
		}
	}
	return false
}

// binnedMap is a plot.Plotter drawing one filled rectangle per non-empty bin
// with exactly the given edges (plotter.HeatMap infers cell extents from cell
// centres, which is wrong for non-uniform bins). Values are clamped to
// [lo, hi] before colouring.
type binnedMap struct {
	s      *Surface
	cmap   palette.ColorMap
	lo, hi float64
}

// Plot implements plot.Plotter.
func (b *binnedMap) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	xe, ye := b.s.XEdges, b.s.YEdges
	nx := len(xe) - 1
	// Overlap neighbouring cells by a quarter pixel so antialiasing leaves no
	// hairline seams between them.
	ov := vg.Inch / DPI / 4
	var path vg.Path // reused for every cell
	for k, v := range b.s.F {
		if empty(v) {
			continue
		}
		v = math.Max(b.lo, math.Min(b.hi, v))
		col, err := b.cmap.At(v)
		if err != nil {
			panic(fmt.Sprintf("colour of F[%d] = %v: %v", k, v, err))
		}
		i, j := k%nx, k/nx
		x0, x1 := trX(xe[i])-ov, trX(xe[i+1])+ov
		y0, y1 := trY(ye[j])-ov, trY(ye[j+1])+ov
		path = path[:0]
		path.Move(vg.Point{X: x0, Y: y0})
		path.Line(vg.Point{X: x1, Y: y0})
		path.Line(vg.Point{X: x1, Y: y1})
		path.Line(vg.Point{X: x0, Y: y1})
		path.Close()
		c.SetColor(col)
		c.Fill(path)
	}
}

// DataRange implements plot.DataRanger: the full extent of the bin edges.
func (b *binnedMap) DataRange() (xmin, xmax, ymin, ymax float64) {
	xe, ye := b.s.XEdges, b.s.YEdges
	return xe[0], xe[len(xe)-1], ye[0], ye[len(ye)-1]
}

// endTicks are plot.DefaultTicks plus a labelled tick at the top of the
// range (the cap of a colour bar) unless a labelled tick already lies within
// a tenth of the range of it.
type endTicks struct{}

// Ticks implements plot.Ticker.
func (endTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for _, t := range ticks {
		if t.Label != "" && math.Abs(t.Value-max) <= 0.1*(max-min) {
			return ticks
		}
	}
	return append(ticks, plot.Tick{Value: max, Label: strconv.FormatFloat(max, 'g', 4, 64)})
}
