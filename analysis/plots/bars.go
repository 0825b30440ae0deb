package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// BarGroup is one series of Bars, drawn in one colour with one bar per
// category, e.g. the state populations from MD or from the generator.
type BarGroup struct {
	// Label is the legend entry.
	Label string
	// Values holds one bar height per category label; all must be finite.
	Values []float64
	// Err, if not nil, holds one non-negative error-bar half-length per
	// category (e.g. the standard deviation over seeds), drawn as a whisker
	// from Values[i]−Err[i] to Values[i]+Err[i].
	Err []float64
}

// Bars writes to path a PNG of grouped bars: one cluster per category label,
// one bar per group within a cluster, groups coloured by the Color cycle and
// named in the legend.
func Bars(path, title string, labels []string, groups []BarGroup) error {
	if len(labels) == 0 {
		return fmt.Errorf("plots: Bars: labels is empty")
	}
	if len(groups) == 0 {
		return fmt.Errorf("plots: Bars: groups is empty")
	}
	for g, gr := range groups {
		if len(gr.Values) != len(labels) {
			return fmt.Errorf("plots: Bars: groups[%d] (%q): len(Values) = %d != len(labels) = %d", g, gr.Label, len(gr.Values), len(labels))
		}
		if gr.Err != nil && len(gr.Err) != len(labels) {
			return fmt.Errorf("plots: Bars: groups[%d] (%q): len(Err) = %d != len(labels) = %d", g, gr.Label, len(gr.Err), len(labels))
		}
		for i, v := range gr.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("plots: Bars: groups[%d] (%q).Values[%d] (%q) = %v, want finite", g, gr.Label, i, labels[i], v)
			}
		}
		for i, e := range gr.Err {
			if math.IsNaN(e) || math.IsInf(e, 0) || e < 0 {
				return fmt.Errorf("plots: Bars: groups[%d] (%q).Err[%d] (%q) = %v, want finite and ≥ 0", g, gr.Label, i, labels[i], e)
			}
		}
	}
	p := newPlot(title, "", "")
	p.NominalX(labels...)
	l := newLegend()
	const clusterWidth = 0.8 // in category units
	w := clusterWidth / float64(len(groups))
	for g, gr := range groups {
		b := &barSeries{
			values: gr.Values, err: gr.Err, color: Color(g),
			offset: -clusterWidth/2 + w*(float64(g)+0.5), width: w,
		}
		p.Add(b)
		if gr.Label != "" {
			l.Add(gr.Label, b)
		}
	}
	strip := legendStripWidth(&l)
	return renderPNG(path, "Bars", PanelWidth+strip, PanelHeight, func(dc draw.Canvas) error {
		drawWithLegend(dc, p, l, strip)
		return nil
	})
}

// barSeries is a plot.Plotter drawing bars of width width (in category
// units, unlike plotter.BarChart whose width is in canvas units) centred at
// category index + offset, from 0 to the value, with optional whiskers.
type barSeries struct {
	values, err   []float64
	color         color.Color
	offset, width float64
}

// Plot implements plot.Plotter.
func (b *barSeries) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	whisker := draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
	for i, v := range b.values {
		x := float64(i) + b.offset
		x0, x1 := trX(x-b.width/2), trX(x+b.width/2)
		y0, y1 := trY(0), trY(v)
		c.FillPolygon(b.color, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
		if b.err != nil && b.err[i] > 0 {
			xm := trX(x)
			lo, hi := trY(v-b.err[i]), trY(v+b.err[i])
			cap := (x1 - x0) / 4
			c.StrokeLine2(whisker, xm, lo, xm, hi)
			c.StrokeLine2(whisker, xm-cap, lo, xm+cap, lo)
			c.StrokeLine2(whisker, xm-cap, hi, xm+cap, hi)
		}
	}
}

// DataRange implements plot.DataRanger; the value axis always includes 0.
func (b *barSeries) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = -0.5, float64(len(b.values))-0.5
	for i, v := range b.values {
		e := 0.0
		if b.err != nil {
			e = b.err[i]
		}
		ymin = math.Min(ymin, v-e)
		ymax = math.Max(ymax, v+e)
	}
	return xmin, xmax, ymin, ymax
}

// Thumbnail implements plot.Thumbnailer for the legend: a filled square.
func (b *barSeries) Thumbnail(c *draw.Canvas) {
	h := c.Max.Y - c.Min.Y
	x0 := c.Min.X + (c.Max.X-c.Min.X-h)/2
	c.FillPolygon(b.color, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x0 + h, Y: c.Min.Y}, {X: x0 + h, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
}
