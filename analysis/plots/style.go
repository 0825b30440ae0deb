package plots

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Figure geometry. Every figure is rendered at DPI dots per inch; each plot
// panel is PanelWidth × PanelHeight, and legends and colour bars are drawn in
// a strip of at least LegendWidth (ColorBarWidth) to the right of the panels.
const (
	DPI           = 150
	PanelWidth    = 5 * vg.Inch
	PanelHeight   = 4 * vg.Inch
	LegendWidth   = 2 * vg.Inch
	ColorBarWidth = 1 * vg.Inch
)

// tab10 is matplotlib's default categorical cycle ("tab10", from Tableau 10).
var tab10 = [...]color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, // blue
	{0xff, 0x7f, 0x0e, 0xff}, // orange
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xd6, 0x27, 0x28, 0xff}, // red
	{0x94, 0x67, 0xbd, 0xff}, // purple
	{0x8c, 0x56, 0x4b, 0xff}, // brown
	{0xe3, 0x77, 0xc2, 0xff}, // pink
	{0x7f, 0x7f, 0x7f, 0xff}, // grey
	{0xbc, 0xbd, 0x22, 0xff}, // olive
	{0x17, 0xbe, 0xcf, 0xff}, // cyan
}

// NumColors is the length of the colour cycle used by Color.
const NumColors = len(tab10)

// Color returns the i-th colour of the deterministic categorical cycle
// (matplotlib "tab10"); i wraps around modulo NumColors, and negative i
// counts from the end.
func Color(i int) color.Color {
	i %= NumColors
	if i < 0 {
		i += NumColors
	}
	return tab10[i]
}

// viridisControls are five points of matplotlib's viridis map (van der Walt &
// Smith, 2015). Their CIE L* increases monotonically, as moreland.NewLuminance
// requires, and the brightest is yellow, not white: white is kept for empty
// bins of a free-energy surface.
var viridisControls = []color.Color{
	color.NRGBA{0x44, 0x01, 0x54, 0xff},
	color.NRGBA{0x3b, 0x52, 0x8b, 0xff},
	color.NRGBA{0x21, 0x91, 0x8c, 0xff},
	color.NRGBA{0x5e, 0xc9, 0x62, 0xff},
	color.NRGBA{0xfd, 0xe7, 0x25, 0xff},
}

// freeEnergyMap returns a new viridis-like colour map (low F dark, high F
// yellow) on [lo, hi], interpolated in CIE L*a*b* by moreland.NewLuminance
// (Moreland, "Why we use bad color maps and what you can do about it", 2016).
func freeEnergyMap(lo, hi float64) (palette.ColorMap, error) {
	m, err := moreland.NewLuminance(viridisControls)
	if err != nil {
		return nil, err
	}
	m.SetMax(hi)
	m.SetMin(lo)
	return m, nil
}

// lineWidth is the width of data lines.
var lineWidth = vg.Points(1.5)

// dashes is the dash pattern of Curve.Dashed lines.
var dashes = []vg.Length{vg.Points(6), vg.Points(3)}

// newPlot returns a plot with the package's title and label styles.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 13
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.X.Label.TextStyle.Font.Size = 12
	p.Y.Label.TextStyle.Font.Size = 12
	return p
}

// newLegend returns a legend for a strip beside the plot, entries top-down.
func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.Top = true
	l.Left = true
	l.TextStyle.Font.Size = 10
	l.ThumbnailWidth = vg.Points(24)
	l.Padding = vg.Points(2)
	return l
}

// legendStripWidth is the width of the strip on the right of a figure that
// holds l: at least LegendWidth, wider if an entry needs it.
func legendStripWidth(l *plot.Legend) vg.Length {
	r := l.Rectangle(draw.Canvas{})
	w := r.Max.X - r.Min.X + legendMargin*2
	if w < LegendWidth {
		w = LegendWidth
	}
	return w
}

// legendMargin separates the legend from the plot and the figure edge.
const legendMargin = 8 * vg.Millimeter / 4

// drawWithLegend draws p on dc, leaving a strip of width strip on the right
// for the legend l, aligned with the top of the data area.
func drawWithLegend(dc draw.Canvas, p *plot.Plot, l plot.Legend, strip vg.Length) {
	pc := draw.Crop(dc, 0, -strip, 0, 0)
	p.Draw(pc)
	da := p.DataCanvas(pc)
	lc := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: dc.Max.X - strip + legendMargin, Y: dc.Min.Y},
		Max: vg.Point{X: dc.Max.X - legendMargin, Y: da.Max.Y},
	}}
	l.Draw(lc)
}
