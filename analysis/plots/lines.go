package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Curve is one line of Profiles or LossCurves.
type Curve struct {
	// Label is the legend entry, e.g. "kT 0.3, D-SPIB"; empty means no entry.
	Label string
	// X and Y are the points, of equal length. A point with a NaN or
	// infinite coordinate (or, on a log axis, Y ≤ 0) breaks the line.
	X, Y []float64
	// Dashed draws the line dashed (e.g. generated) instead of solid (MD).
	Dashed bool
	// HeldOut marks a temperature not used in training: the legend entry
	// gets the suffix " (held out)".
	HeldOut bool
	// Color selects the colour: 0 means Color(i) for the i-th curve, k > 0
	// means Color(k-1), so that e.g. the MD and generated curves of one
	// temperature can share a colour.
	Color int
}

// validateCurves checks that every curve has len(X) == len(Y).
func validateCurves(what, arg string, curves []Curve) error {
	if len(curves) == 0 {
		return fmt.Errorf("plots: %s: %s is empty", what, arg)
	}
	for i, c := range curves {
		if len(c.X) != len(c.Y) {
			return fmt.Errorf("plots: %s: %s[%d] (%q): len(X) = %d != len(Y) = %d", what, arg, i, c.Label, len(c.X), len(c.Y))
		}
		if c.Color < 0 {
			return fmt.Errorf("plots: %s: %s[%d] (%q): Color = %d, want ≥ 0", what, arg, i, c.Label, c.Color)
		}
	}
	return nil
}

// segments splits the points of c into maximal runs of usable points (finite,
// and Y > 0 if logY).
func segments(c Curve, logY bool) []plotter.XYs {
	var segs []plotter.XYs
	var cur plotter.XYs
	for k := range c.X {
		x, y := c.X[k], c.Y[k]
		ok := !math.IsNaN(x) && !math.IsInf(x, 0) && !math.IsNaN(y) && !math.IsInf(y, 0) && (!logY || y > 0)
		if ok {
			cur = append(cur, plotter.XY{X: x, Y: y})
			continue
		}
		if len(cur) > 0 {
			segs = append(segs, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	return segs
}

// legendLabel is the legend text of c.
func legendLabel(c Curve) string {
	if c.HeldOut {
		return c.Label + " (held out)"
	}
	return c.Label
}

// curveColorIndex is the colour-cycle index of the i-th curve c.
func curveColorIndex(i int, c Curve) int {
	if c.Color > 0 {
		return c.Color - 1
	}
	return i
}

// linePlot builds the plot and legend of curves; logY puts Y on a log scale.
func linePlot(title, xlabel, ylabel string, curves []Curve, logY bool) (*plot.Plot, plot.Legend) {
	p := newPlot(title, xlabel, ylabel)
	p.Add(plotter.NewGrid())
	l := newLegend()
	anyData := false
	for i, c := range curves {
		sty := draw.LineStyle{Color: Color(curveColorIndex(i, c)), Width: lineWidth}
		if c.Dashed {
			sty.Dashes = dashes
		}
		for _, seg := range segments(c, logY) {
			anyData = true
			if len(seg) == 1 {
				// An isolated point has no line; draw a dot.
				s := &plotter.Scatter{XYs: seg, GlyphStyle: draw.GlyphStyle{
					Color: sty.Color, Radius: vg.Points(2), Shape: draw.CircleGlyph{}}}
				p.Add(s)
				continue
			}
			p.Add(&plotter.Line{XYs: seg, LineStyle: sty})
		}
		if c.Label != "" {
			l.Add(legendLabel(c), &plotter.Line{LineStyle: sty})
		}
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	if !anyData {
		p.Title.Text += " (no data)"
		p.X.Min, p.X.Max = 0, 1
		p.Y.Min, p.Y.Max = 0, 1
		if logY {
			p.Y.Min, p.Y.Max = 0.1, 1
		}
	}
	return p, l
}

// writeLines renders a line plot with its legend strip to path.
func writeLines(path, what, title, xlabel, ylabel string, curves []Curve, logY bool) error {
	p, l := linePlot(title, xlabel, ylabel, curves, logY)
	strip := legendStripWidth(&l)
	return renderPNG(path, what, PanelWidth+strip, PanelHeight, func(dc draw.Canvas) error {
		drawWithLegend(dc, p, l, strip)
		return nil
	})
}

// LegendFigureSize returns the size of the figure that Profiles, LossCurves
// or Bars write for the given legend labels (after the " (held out)" suffix):
// one panel plus a legend strip at least LegendWidth wide.
func LegendFigureSize(labels []string) (w, h vg.Length) {
	l := newLegend()
	for _, s := range labels {
		if s != "" {
			l.Add(s)
		}
	}
	return PanelWidth + legendStripWidth(&l), PanelHeight
}

// Profiles writes to path a PNG of one-dimensional free-energy profiles F(x)
// in kT, e.g. along a latent coordinate at each temperature, MD (solid) and
// generated (Dashed) curves sharing a Color; held-out temperatures are marked
// in the legend. NaN or infinite points (empty grid regions, F = −ln 0) break
// a line. xlabel labels the x axis (e.g. "z1"); the y axis is "F [kT]".
func Profiles(path, title, xlabel string, curves []Curve) error {
	if err := validateCurves("Profiles", "curves", curves); err != nil {
		return err
	}
	return writeLines(path, "Profiles", title, xlabel, "F [kT]", curves, false)
}

// LossCurves writes to path a PNG of training curves, loss against epoch, one
// Curve per series (e.g. total loss, reconstruction term, KL term; training
// and validation). With logY the loss axis is logarithmic and points with
// loss ≤ 0 break the line.
func LossCurves(path, title string, series []Curve, logY bool) error {
	if err := validateCurves("LossCurves", "series", series); err != nil {
		return err
	}
	return writeLines(path, "LossCurves", title, "epoch", "loss", series, logY)
}

// logTicks marks a logarithmic axis at 1, 2 and 5 times each power of ten
// (labelled) and at the other integer multiples (unlabelled); if that labels
// fewer than two ticks in range, every multiple is labelled. plot.LogTicks
// labels only powers of ten, which leaves a loss axis spanning less than a
// decade with one label or none.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > min) {
		return nil
	}
	var ticks []plot.Tick
	labelled := 0
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		p := math.Pow(10, e)
		for m := 1; m <= 9; m++ {
			v := float64(m) * p
			if v < min*(1-1e-12) || v > max*(1+1e-12) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = FormatFloat(v, 1)
				labelled++
			}
			ticks = append(ticks, t)
		}
	}
	if labelled < 2 {
		for i := range ticks {
			ticks[i].Label = FormatFloat(ticks[i].Value, 1)
		}
	}
	return ticks
}
