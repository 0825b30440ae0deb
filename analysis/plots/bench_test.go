package plots

import (
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkFreeEnergySurface renders and writes the 100×100-bin surface of
// the evaluation protocol (docs/evaluation.md).
func BenchmarkFreeEnergySurface(b *testing.B) {
	xe, ye, F := doubleWell(100, 100)
	path := filepath.Join(b.TempDir(), "fes.png")
	b.ReportAllocs()
	for b.Loop() {
		if err := FreeEnergySurface(path, "bench", xe, ye, F, 5); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSurfacePanel renders 2 methods × 3 temperatures of 100×100 bins.
func BenchmarkSurfacePanel(b *testing.B) {
	xe, ye, F := doubleWell(100, 100)
	panels := make([]Surface, 6)
	for i := range panels {
		panels[i] = Surface{Title: "panel " + strconv.Itoa(i), XEdges: xe, YEdges: ye, F: F, Cap: 5}
	}
	path := filepath.Join(b.TempDir(), "panel.png")
	b.ReportAllocs()
	for b.Loop() {
		if err := SurfacePanel(path, panels, 2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProfiles renders 12 curves of 200 grid points.
func BenchmarkProfiles(b *testing.B) {
	var curves []Curve
	for k := range 6 {
		kT := 0.3 + 0.1*float64(k)
		x, F := profile(kT, 200)
		curves = append(curves, Curve{Label: "MD", X: x, Y: F, Color: k + 1},
			Curve{Label: "gen", X: x, Y: F, Dashed: true, Color: k + 1})
	}
	path := filepath.Join(b.TempDir(), "prof.png")
	b.ReportAllocs()
	for b.Loop() {
		if err := Profiles(path, "bench", "z1", curves); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarkdownTable(b *testing.B) {
	header := []string{"kT", "KL", "RMSE", "baseline"}
	rows := make([][]string, 20)
	for i := range rows {
		rows[i] = []string{FormatFloat(0.3+0.05*float64(i), 2), MeanStd(0.1, 0.01), MeanStd(0.3, 0.05), "x"}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = MarkdownTable(header, rows)
	}
}
