package plots

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/dspib/dspib/internal/testdata"
)

func TestBars(t *testing.T) {
	dir := t.TempDir()
	labels := []string{"state A", "state B", "state C"}
	groups := []BarGroup{
		{Label: "MD", Values: []float64{0.5, 0.3, 0.2}},
		{Label: "D-SPIB", Values: []float64{0.45, 0.35, 0.2}, Err: []float64{0.05, 0.02, 0}},
	}
	path := filepath.Join(dir, "populations.png")
	if err := Bars(path, "populations at kT 0.5", labels, groups); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, PanelWidth+LegendWidth, PanelHeight)

	// Negative values are drawn below zero: the value axis includes both.
	b := &barSeries{values: []float64{-1, 2}, err: []float64{0.5, 0.5}}
	if xmin, xmax, ymin, ymax := b.DataRange(); xmin != -0.5 || xmax != 1.5 || ymin != -1.5 || ymax != 2.5 {
		t.Errorf("DataRange = %v %v %v %v, want -0.5 1.5 -1.5 2.5", xmin, xmax, ymin, ymax)
	}
	b = &barSeries{values: []float64{1, 2}}
	if _, _, ymin, ymax := b.DataRange(); ymin != 0 || ymax != 2 {
		t.Errorf("DataRange y = [%v, %v], want [0, 2]: bars start at 0", ymin, ymax)
	}

	bad := filepath.Join(dir, "bad.png")
	testdata.WantErr(t, Bars(bad, "t", labels, []BarGroup{groups[0], {Label: "gen", Values: []float64{1, 2}}}),
		"groups[1]", `"gen"`, "len(Values) = 2 != len(labels) = 3")
	testdata.WantErr(t, Bars(bad, "t", labels, []BarGroup{{Label: "MD", Values: []float64{1, math.NaN(), 2}}}),
		"groups[0]", "Values[1]", `"state B"`, "NaN")
	testdata.WantErr(t, Bars(bad, "t", labels, []BarGroup{{Label: "MD", Values: []float64{1, 2, 3}, Err: []float64{1}}}),
		"groups[0]", "len(Err) = 1")
	testdata.WantErr(t, Bars(bad, "t", labels, []BarGroup{{Label: "MD", Values: []float64{1, 2, 3}, Err: []float64{0, -1, 0}}}),
		"Err[1]", "≥ 0")
	testdata.WantErr(t, Bars(bad, "t", nil, groups), "labels is empty")
	testdata.WantErr(t, Bars(bad, "t", labels, nil), "groups is empty")
	checkDir(t, dir, "populations.png")
}
