package evaluate

import (
	"fmt"
	"github.com/dspib/dspib/md/traj"
	"math"
	"path/filepath"
	"slices"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/analysis/plots"
)

// SurfaceCap is the top of the colour scale of the free-energy surfaces [kT].
const SurfaceCap = 8.0

// profileShowCap [kT]: profile figures leave free energies above it blank.
const profileShowCap = 10.0

// surfaceF returns the free energy [kT] of the 2-D latent set z on the edges,
// laid out ny×nx as plots.Surface wants (empty bins NaN, drawn blank).
func surfaceF(z, w, xe, ye []float64) ([]float64, error) {
	nx, ny := len(xe)-1, len(ye)-1
	h := make([]float64, nx*ny)
	if _, err := analysis.Histogram2D(h, z, w, xe, ye); err != nil {
		return nil, err
	}
	f := make([]float64, nx*ny)
	total := 0.0
	for _, v := range h {
		total += v
	}
	if total == 0 { // every sample outside the frame: a blank panel
		for i := range f {
			f[i] = math.NaN()
		}
		return f, nil
	}
	if err := analysis.FreeEnergy(f, h, analysis.EmptyPolicy{NaN: true}); err != nil {
		return nil, err
	}
	out := make([]float64, nx*ny)
	for i := range nx {
		for j := range ny {
			out[j*nx+i] = f[i*ny+j]
		}
	}
	return out, nil
}

// WriteFigures writes the figures of a comparison into dir and returns their
// file names, all prefixed with the design's name: per generative method the
// latent free-energy surfaces (encoded MD above, prediction below, at every
// evaluated kT) and the 1-D profiles along z1 and z2; the loss curves of all
// methods; per encoder and kT the state populations of MD and of every
// prediction in that latent space.
func WriteFigures(dir string, r *Result) ([]string, error) {
	e := &r.Design
	cfg := r.Config
	var files []string
	add := func(name string) string {
		files = append(files, name)
		return filepath.Join(dir, name)
	}
	for _, m := range r.Methods {
		if m.Baseline {
			continue
		}
		// The frame is the encoded MD of all temperatures plus a 10 %
		// margin, so a generator's stray samples cannot shrink the picture
		// of the data (they are outside the frame; the metrics use them all).
		var all []float64
		for _, t := range e.Eval {
			all = append(all, r.Ref[m.EncKey][t]...)
		}
		xe, ye, err := analysis.CommonEdges2D(all, all[:2], cfg.SurfaceBins)
		if err != nil {
			return nil, err
		}
		xe, ye = widen(xe, 0.1), widen(ye, 0.1)
		var panels []plots.Surface
		for row := range 2 {
			for _, t := range e.Eval {
				z, title := r.Ref[m.EncKey][t], fmt.Sprintf("kT %g: MD encoded", t)
				if row == 1 {
					z, title = r.Gen[m.Key][t], fmt.Sprintf("kT %g: %s", t, m.Key)
				}
				if !e.IsTrain(t) {
					title += " (held out)"
				}
				f, err := surfaceF(z, nil, xe, ye)
				if err != nil {
					return nil, err
				}
				panels = append(panels, plots.Surface{Title: title, XEdges: xe, YEdges: ye, F: f, Cap: SurfaceCap})
			}
		}
		if err := plots.SurfacePanel(add(fmt.Sprintf("%s_surfaces_%s.png", e.Name, m.Key)), panels, len(e.Eval)); err != nil {
			return nil, err
		}
	}
	// 1-D profiles along each latent coordinate: MD solid, prediction dashed.
	for _, m := range r.Methods {
		if m.Baseline { // its profiles are MD profiles, shown as the solid lines already
			continue
		}
		for k := range 2 {
			var curves []plots.Curve
			for ti, t := range e.Eval {
				grid, fr, fg, err := Profile(r.Ref[m.EncKey][t], r.Gen[m.Key][t], nil, k, cfg.KDEBandwidth)
				if err != nil {
					return nil, err
				}
				for i := range fr {
					if fr[i] > profileShowCap {
						fr[i] = math.NaN()
					}
					if fg[i] > profileShowCap {
						fg[i] = math.NaN()
					}
				}
				held := !e.IsTrain(t)
				curves = append(curves,
					plots.Curve{Label: fmt.Sprintf("kT %g MD", t), X: grid, Y: fr, HeldOut: held, Color: ti + 1},
					plots.Curve{Label: fmt.Sprintf("kT %g %s", t, m.Key), X: grid, Y: fg, Dashed: true, HeldOut: held, Color: ti + 1})
			}
			title := fmt.Sprintf("%s: %s vs MD along z%d", e.Name, m.Name, k+1)
			if err := plots.Profiles(add(fmt.Sprintf("%s_profiles_%s_z%d.png", e.Name, m.Key, k+1)), title, fmt.Sprintf("z%d", k+1), curves); err != nil {
				return nil, err
			}
		}
	}
	var curves []plots.Curve
	for _, m := range r.Methods {
		curves = append(curves, m.Curves...)
	}
	if len(curves) > 0 {
		if err := plots.LossCurves(add(e.Name+"_losses.png"), e.Name+": training losses [nats]", curves, true); err != nil {
			return nil, err
		}
	}
	var encKeys []string
	for _, m := range r.Methods {
		if !slices.Contains(encKeys, m.EncKey) {
			encKeys = append(encKeys, m.EncKey)
		}
	}
	for _, ek := range encKeys {
		for _, t := range e.Eval {
			var groups []plots.BarGroup
			var labels []string
			for _, row := range r.Rows {
				if row.Encoder != ek || row.KT != t {
					continue
				}
				if groups == nil {
					for k := range row.PopMD {
						labels = append(labels, fmt.Sprintf("state %d", k))
					}
					groups = append(groups, plots.BarGroup{Label: "MD", Values: row.PopMD})
				}
				groups = append(groups, plots.BarGroup{Label: row.MethodKey, Values: row.PopGen})
			}
			held := ""
			if !e.IsTrain(t) {
				held = " (held out)"
			}
			title := fmt.Sprintf("%s: state populations at kT %g%s, %s encoder", e.Name, t, held, ek)
			if err := plots.Bars(add(fmt.Sprintf("%s_populations_%s_%s.png", e.Name, ek, traj.TempTag(t))), title, labels, groups); err != nil {
				return nil, err
			}
		}
	}
	return files, nil
}

// widen returns equally spaced edges, as many as e, over e's range extended
// by frac of its width on each side.
func widen(e []float64, frac float64) []float64 {
	lo, hi := e[0], e[len(e)-1]
	w := (hi - lo) * frac
	lo, hi = lo-w, hi+w
	n := len(e) - 1
	out := make([]float64, n+1)
	for i := range out {
		out[i] = lo + (hi-lo)*float64(i)/float64(n)
	}
	out[n] = hi
	return out
}
