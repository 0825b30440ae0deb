package plots

import (
	"math"
	"testing"
)

func TestScratch(t *testing.T) {
	nx, ny := 60, 50
	xe := make([]float64, nx+1)
	ye := make([]float64, ny+1)
	for i := range xe { xe[i] = -2 + 4*float64(i)/float64(nx) }
	for j := range ye { ye[j] = -1.5 + 3*float64(j)/float64(ny) }
	F := make([]float64, nx*ny)
	for j := 0; j < ny; j++ { for i := 0; i < nx; i++ {
		x := (xe[i]+xe[i+1])/2; y := (ye[j]+ye[j+1])/2
		f := 2*(x*x-1)*(x*x-1) + 1.5*y*y
		if f > 7 { f = math.Inf(1) }
		F[j*nx+i] = f
	}}
	if err := FreeEnergySurface("/tmp/h8_fes.png", "kT 0.5: MD encoded", xe, ye, F, 5); err != nil { t.Fatal(err) }
	s := Surface{Title: "MD", XEdges: xe, YEdges: ye, F: F, Cap: 5}
	s2 := s; s2.Title = "D-SPIB generated"
	if err := SurfacePanel("/tmp/h8_panel.png", []Surface{s, s2, s, s2}, 2); err != nil { t.Fatal(err) }
}
