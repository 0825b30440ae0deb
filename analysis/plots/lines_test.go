package plots

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"

	"github.com/dspib/dspib/internal/testutil"
)

// profile returns F(x) = (x²−1)² / kT on n grid points in [-2, 2], shifted to
// min 0, with +Inf where it exceeds 6 kT (as −ln of a KDE that underflows).
func profile(kT float64, n int) (x, F []float64) {
	x = make([]float64, n)
	F = make([]float64, n)
	for i := range x {
		x[i] = -2 + 4*float64(i)/float64(n-1)
		F[i] = (x[i]*x[i] - 1) * (x[i]*x[i] - 1) / kT
		if F[i] > 6 {
			F[i] = math.Inf(1)
		}
	}
	return x, F
}

func TestProfiles(t *testing.T) {
	dir := t.TempDir()
	var curves []Curve
	for k, kT := range []float64{0.3, 0.5, 0.8} {
		x, F := profile(kT, 81)
		_, G := profile(kT*1.1, 81)
		G[40] = math.NaN() // a hole in the middle of a generated profile
		held := kT == 0.5
		curves = append(curves,
			Curve{Label: "MD kT " + FormatFloat(kT, 1), X: x, Y: F, HeldOut: held, Color: k + 1},
			Curve{Label: "D-SPIB kT " + FormatFloat(kT, 1), X: x, Y: G, Dashed: true, HeldOut: held, Color: k + 1})
	}
	path := filepath.Join(dir, "profiles_z1.png")
	require.NoError(t, Profiles(path, "F(z1)", "z1", curves))
	var labels []string
	for _, c := range curves {
		labels = append(labels, legendLabel(c))
	}
	assert.Equal(t, "MD kT 0.3", labels[0], "legend label of a trained temperature")
	assert.Equal(t, "MD kT 0.5 (held out)", labels[2], "legend label of the held-out temperature")
	w, h := LegendFigureSize(labels)
	assert.Equal(t, [2]vg.Length{PanelWidth + LegendWidth, PanelHeight}, [2]vg.Length{w, h},
		"LegendFigureSize width × height (short labels fit the default strip)")
	checkPNG(t, path, w, h)

	// A long label widens the legend strip instead of being cut off.
	long := []Curve{{Label: "a very long legend label that does not fit in two inches", X: []float64{0, 1}, Y: []float64{0, 1}}}
	require.NoError(t, Profiles(filepath.Join(dir, "long.png"), "long", "z2", long))
	lw, lh := LegendFigureSize([]string{long[0].Label})
	assert.Greater(t, lw, PanelWidth+LegendWidth, "long label: figure width")
	checkPNG(t, filepath.Join(dir, "long.png"), lw, lh)

	// Only NaN/Inf points, or no points: an empty but valid figure.
	empty := []Curve{{Label: "empty", X: []float64{0, 1}, Y: []float64{math.NaN(), math.Inf(1)}}, {Label: "none"}}
	require.NoError(t, Profiles(filepath.Join(dir, "empty.png"), "empty", "z1", empty))
	checkPNG(t, filepath.Join(dir, "empty.png"), PanelWidth+LegendWidth, PanelHeight)

	testutil.WantErr(t, Profiles(filepath.Join(dir, "bad.png"), "t", "z1",
		[]Curve{curves[0], {Label: "gen", X: []float64{1, 2}, Y: []float64{1}}}),
		"Profiles", "curves[1]", `"gen"`, "len(X) = 2 != len(Y) = 1")
	assert.ErrorContains(t, Profiles(filepath.Join(dir, "bad.png"), "t", "z1", nil), "curves is empty")
	assert.ErrorContains(t, Profiles(filepath.Join(dir, "bad.png"), "t", "z1", []Curve{{Color: -1}}), "curves[0]", "Color = -1")
	checkDir(t, dir, "profiles_z1.png", "long.png", "empty.png")
}

func TestLossCurves(t *testing.T) {
	dir := t.TempDir()
	n := 50
	epochs := make([]float64, n)
	train := make([]float64, n)
	val := make([]float64, n)
	for i := range n {
		epochs[i] = float64(i + 1)
		train[i] = 2*math.Exp(-float64(i)/10) + 0.1
		val[i] = train[i] * 1.1
	}
	val[10] = 0 // not representable on a log axis: breaks the line
	series := []Curve{{Label: "train", X: epochs, Y: train}, {Label: "validation", X: epochs, Y: val, Dashed: true}}
	for _, logY := range []bool{false, true} {
		name := "loss_lin.png"
		if logY {
			name = "loss_log.png"
		}
		require.NoError(t, LossCurves(filepath.Join(dir, name), "training", series, logY), "logY=%v", logY)
		checkPNG(t, filepath.Join(dir, name), PanelWidth+LegendWidth, PanelHeight)
	}
	// All losses ≤ 0 on a log axis: nothing to draw, still a valid figure.
	neg := []Curve{{Label: "neg", X: []float64{1, 2}, Y: []float64{-1, 0}}}
	require.NoError(t, LossCurves(filepath.Join(dir, "neg.png"), "neg", neg, true))
	testutil.WantErr(t, LossCurves(filepath.Join(dir, "bad.png"), "t", []Curve{{Label: "kl", X: epochs, Y: train[:3]}}, false),
		"LossCurves", "series[0]", `"kl"`)
	checkDir(t, dir, "loss_lin.png", "loss_log.png", "neg.png")
}

func TestSegments(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	c := Curve{X: []float64{0, 1, 2, 3, 4, 5, nan, 7}, Y: []float64{1, nan, 2, -3, inf, 4, 5, 6}}
	want := [][]float64{{0}, {2, 3}, {5}, {7}}
	check := func(got [][]float64, logY bool) {
		t.Helper()
		require.Equal(t, want, got, "logY=%v: x of the segments", logY)
	}
	xs := func(logY bool) [][]float64 {
		var out [][]float64
		for _, s := range segments(c, logY) {
			var x []float64
			for _, p := range s {
				x = append(x, p.X)
			}
			out = append(out, x)
		}
		return out
	}
	check(xs(false), false)
	// On a log axis the point (3, −3) also breaks the line.
	want = [][]float64{{0}, {2}, {5}, {7}}
	check(xs(true), true)
}

func TestColorCycle(t *testing.T) {
	for i := range NumColors {
		assert.Equal(t, Color(i), Color(i+NumColors), "Color(%d) against Color(%d + %d)", i, i, NumColors)
		assert.Equal(t, Color(i), Color(i-NumColors), "Color(%d) against Color(%d − %d)", i, i, NumColors)
		for j := range i {
			assert.False(t, closeColor(Color(i), Color(j), 30), "Color(%d) = %v too close to Color(%d) = %v", i, Color(i), j, Color(j))
		}
	}
	assert.Equal(t, 4, curveColorIndex(4, Curve{}), "curveColorIndex with Color 0: the position")
	assert.Equal(t, 1, curveColorIndex(4, Curve{Color: 2}), "curveColorIndex with Color 2: Color−1")
}

func TestLogTicks(t *testing.T) {
	labels := func(min, max float64) (lab []string, n int) {
		for _, tk := range (logTicks{}).Ticks(min, max) {
			if tk.Label != "" {
				lab = append(lab, tk.Label)
			}
			n++
		}
		return lab, n
	}
	// 0.115 … 2.1: majors 0.2, 0.5, 1, 2; minors 0.3, 0.4, 0.6 … 0.9.
	got, n := labels(0.115, 2.1)
	require.Equal(t, []string{"0.2", "0.5", "1", "2"}, got, "Ticks(0.115, 2.1): labels")
	require.Equal(t, 4+6, n, "Ticks(0.115, 2.1): ticks")
	// 3 … 4.5: no 1-2-5 tick in range, so every tick is labelled.
	got, n = labels(3, 4.5)
	assert.Equal(t, []string{"3", "4"}, got, "Ticks(3, 4.5): labels")
	assert.Equal(t, 2, n, "Ticks(3, 4.5): ticks")
	assert.Nil(t, (logTicks{}).Ticks(0, 1), "Ticks(0, 1) on a non-positive range")
}
