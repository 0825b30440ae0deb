package plots

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/dspib/dspib/internal/testdata"
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
	if err := Profiles(path, "F(z1)", "z1", curves); err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, c := range curves {
		labels = append(labels, legendLabel(c))
	}
	if labels[2] != "MD kT 0.5 (held out)" || labels[0] != "MD kT 0.3" {
		t.Errorf("legend labels %q: want the held-out temperature marked", labels)
	}
	w, h := LegendFigureSize(labels)
	if w != PanelWidth+LegendWidth || h != PanelHeight {
		t.Errorf("LegendFigureSize = %v×%v, want %v×%v (short labels fit the default strip)", w, h, PanelWidth+LegendWidth, PanelHeight)
	}
	checkPNG(t, path, w, h)

	// A long label widens the legend strip instead of being cut off.
	long := []Curve{{Label: "a very long legend label that does not fit in two inches", X: []float64{0, 1}, Y: []float64{0, 1}}}
	if err := Profiles(filepath.Join(dir, "long.png"), "long", "z2", long); err != nil {
		t.Fatal(err)
	}
	lw, lh := LegendFigureSize([]string{long[0].Label})
	if !(lw > PanelWidth+LegendWidth) {
		t.Errorf("long label: figure width %v, want > %v", lw, PanelWidth+LegendWidth)
	}
	checkPNG(t, filepath.Join(dir, "long.png"), lw, lh)

	// Only NaN/Inf points, or no points: an empty but valid figure.
	empty := []Curve{{Label: "empty", X: []float64{0, 1}, Y: []float64{math.NaN(), math.Inf(1)}}, {Label: "none"}}
	if err := Profiles(filepath.Join(dir, "empty.png"), "empty", "z1", empty); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, filepath.Join(dir, "empty.png"), PanelWidth+LegendWidth, PanelHeight)

	testdata.WantErr(t, Profiles(filepath.Join(dir, "bad.png"), "t", "z1",
		[]Curve{curves[0], {Label: "gen", X: []float64{1, 2}, Y: []float64{1}}}),
		"Profiles", "curves[1]", `"gen"`, "len(X) = 2 != len(Y) = 1")
	testdata.WantErr(t, Profiles(filepath.Join(dir, "bad.png"), "t", "z1", nil), "curves is empty")
	testdata.WantErr(t, Profiles(filepath.Join(dir, "bad.png"), "t", "z1", []Curve{{Color: -1}}), "curves[0]", "Color = -1")
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
		if err := LossCurves(filepath.Join(dir, name), "training", series, logY); err != nil {
			t.Fatalf("logY=%v: %v", logY, err)
		}
		checkPNG(t, filepath.Join(dir, name), PanelWidth+LegendWidth, PanelHeight)
	}
	// All losses ≤ 0 on a log axis: nothing to draw, still a valid figure.
	neg := []Curve{{Label: "neg", X: []float64{1, 2}, Y: []float64{-1, 0}}}
	if err := LossCurves(filepath.Join(dir, "neg.png"), "neg", neg, true); err != nil {
		t.Fatal(err)
	}
	testdata.WantErr(t, LossCurves(filepath.Join(dir, "bad.png"), "t", []Curve{{Label: "kl", X: epochs, Y: train[:3]}}, false),
		"LossCurves", "series[0]", `"kl"`)
	checkDir(t, dir, "loss_lin.png", "loss_log.png", "neg.png")
}

func TestSegments(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	c := Curve{X: []float64{0, 1, 2, 3, 4, 5, nan, 7}, Y: []float64{1, nan, 2, -3, inf, 4, 5, 6}}
	want := [][]float64{{0}, {2, 3}, {5}, {7}}
	check := func(got [][]float64, logY bool) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("logY=%v: %d segments %v, want %v", logY, len(got), got, want)
		}
		for i := range want {
			if len(got[i]) != len(want[i]) {
				t.Fatalf("logY=%v: segment %d = %v, want %v", logY, i, got[i], want[i])
			}
			for k := range want[i] {
				if got[i][k] != want[i][k] {
					t.Fatalf("logY=%v: segment %d = %v, want %v", logY, i, got[i], want[i])
				}
			}
		}
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
		if Color(i) != Color(i+NumColors) || Color(i) != Color(i-NumColors) {
			t.Errorf("Color(%d) does not cycle with period %d", i, NumColors)
		}
		for j := range i {
			if closeColor(Color(i), Color(j), 30) {
				t.Errorf("Color(%d) = %v too close to Color(%d) = %v", i, Color(i), j, Color(j))
			}
		}
	}
	if curveColorIndex(4, Curve{}) != 4 || curveColorIndex(4, Curve{Color: 2}) != 1 {
		t.Error("curveColorIndex: want position for Color 0 and Color-1 otherwise")
	}
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
	want := []string{"0.2", "0.5", "1", "2"}
	if len(got) != len(want) || n != 4+6 {
		t.Fatalf("Ticks(0.115, 2.1) labels %q of %d ticks, want %q of 10", got, n, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Ticks(0.115, 2.1) labels %q, want %q", got, want)
		}
	}
	// 3 … 4.5: no 1-2-5 tick in range, so every tick is labelled.
	if got, n = labels(3, 4.5); len(got) != 2 || n != 2 || got[0] != "3" || got[1] != "4" {
		t.Errorf("Ticks(3, 4.5) = %q of %d, want [3 4]", got, n)
	}
	if tk := (logTicks{}).Ticks(0, 1); tk != nil {
		t.Errorf("Ticks(0, 1) = %v, want nil on a non-positive range", tk)
	}
}
