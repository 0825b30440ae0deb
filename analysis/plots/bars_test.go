package plots

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/testutil"
)

func TestBars(t *testing.T) {
	dir := t.TempDir()
	labels := []string{"state A", "state B", "state C"}
	groups := []BarGroup{
		{Label: "MD", Values: []float64{0.5, 0.3, 0.2}},
		{Label: "D-SPIB", Values: []float64{0.45, 0.35, 0.2}, Err: []float64{0.05, 0.02, 0}},
	}
	path := filepath.Join(dir, "populations.png")
	require.NoError(t, Bars(path, "populations at kT 0.5", labels, groups))
	checkPNG(t, path, PanelWidth+LegendWidth, PanelHeight)

	// Negative values are drawn below zero: the value axis includes both.
	b := &barSeries{values: []float64{-1, 2}, err: []float64{0.5, 0.5}}
	xmin, xmax, ymin, ymax := b.DataRange()
	assert.Equal(t, [4]float64{-0.5, 1.5, -1.5, 2.5}, [4]float64{xmin, xmax, ymin, ymax}, "DataRange xmin, xmax, ymin, ymax")
	b = &barSeries{values: []float64{1, 2}}
	_, _, ymin, ymax = b.DataRange()
	assert.Equal(t, [2]float64{0, 2}, [2]float64{ymin, ymax}, "DataRange y: bars start at 0")

	bad := filepath.Join(dir, "bad.png")
	testutil.WantErr(t, Bars(bad, "t", labels, []BarGroup{groups[0], {Label: "gen", Values: []float64{1, 2}}}),
		"groups[1]", `"gen"`, "len(Values) = 2 != len(labels) = 3")
	testutil.WantErr(t, Bars(bad, "t", labels, []BarGroup{{Label: "MD", Values: []float64{1, math.NaN(), 2}}}),
		"groups[0]", "Values[1]", `"state B"`, "NaN")
	testutil.WantErr(t, Bars(bad, "t", labels, []BarGroup{{Label: "MD", Values: []float64{1, 2, 3}, Err: []float64{1}}}),
		"groups[0]", "len(Err) = 1")
	testutil.WantErr(t, Bars(bad, "t", labels, []BarGroup{{Label: "MD", Values: []float64{1, 2, 3}, Err: []float64{0, -1, 0}}}),
		"Err[1]", "≥ 0")
	assert.ErrorContains(t, Bars(bad, "t", nil, groups), "labels is empty")
	assert.ErrorContains(t, Bars(bad, "t", labels, nil), "groups is empty")
	checkDir(t, dir, "populations.png")
}
