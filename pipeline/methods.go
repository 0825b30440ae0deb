package pipeline

import (
	"github.com/dspib/dspib/analysis/plots"
	"github.com/dspib/dspib/evaluate"
	"github.com/dspib/dspib/learn"
	"github.com/dspib/dspib/systems"
)

// Methods returns the generators of a trained folder for evaluate.Run, in
// one order: SPIB's VampPrior (the phase-1 model), D-SPIB (its diffusion
// prior in its own latent space) if trained, and the post-hoc prior (on
// the phase-1 latents) if trained, each with its loss curves.
func Methods(res *Result) []*evaluate.Method {
	enc1 := learn.SPIB{M: res.Phase1.SPIB}
	var ep, tr, te []float64
	for _, h := range res.Phase1History {
		ep = append(ep, float64(h.TotalEpoch))
		tr = append(tr, h.TrainLoss)
		te = append(te, h.TestLoss)
	}
	out := []*evaluate.Method{{Name: "SPIB (VampPrior)", Key: "spib", EncKey: "spib", Enc: enc1,
		Gen: learn.VampPrior{M: res.Phase1}, Curves: []plots.Curve{{Label: "SPIB train", X: ep, Y: tr}, {Label: "SPIB test", X: ep, Y: te, Dashed: true}}}}
	if res.Model.Prior != nil {
		var ep2, ce, diff, tdiff []float64
		for _, h := range res.History {
			ep2 = append(ep2, float64(h.Epoch))
			ce = append(ce, h.TrainCE)
			diff = append(diff, h.TrainDiff)
			tdiff = append(tdiff, h.TestDiff)
		}
		out = append(out, &evaluate.Method{Name: "D-SPIB", Key: "dspib", EncKey: "dspib", Enc: learn.SPIB{M: res.Model.SPIB},
			Gen: learn.Diffusion{P: res.Model.Prior}, TempAware: true, Curves: []plots.Curve{
				{Label: "D-SPIB CE (train)", X: ep2, Y: ce}, {Label: "D-SPIB diffusion (train)", X: ep2, Y: diff},
				{Label: "D-SPIB diffusion (test)", X: ep2, Y: tdiff, Dashed: true}}})
	}
	if res.PostHoc != nil {
		ep3 := make([]float64, len(res.PostHocLosses))
		for i := range ep3 {
			ep3[i] = float64(i + 1)
		}
		out = append(out, &evaluate.Method{Name: "SPIB + post-hoc diffusion (frozen encoder)", Key: "posthoc", EncKey: "spib", Enc: enc1,
			Gen: learn.Diffusion{P: res.PostHoc}, TempAware: true,
			Curves: []plots.Curve{{Label: "post-hoc diffusion (frozen SPIB)", X: ep3, Y: res.PostHocLosses}}})
	}
	return out
}

// Exact returns the exact reference of a catalogue system with a quadrature
// box (three-hole: the Boltzmann density on the box pushed through the
// encoder, evaluate.Exact), or nil for a system without one.
func Exact(sys *systems.System) func(learn.Encoder, float64) (*evaluate.Weighted, error) {
	if sys == nil || sys.Exact == nil {
		return nil
	}
	b := sys.Exact
	box := evaluate.Box{X0: b.X0, X1: b.X1, Y0: b.Y0, Y1: b.Y1, NX: b.NX, NY: b.NY}
	feat := func(pos []float64, n int) ([]float64, error) {
		f, _, _, _, err := sys.Features(pos, n)
		return f, err
	}
	return func(enc learn.Encoder, kT float64) (*evaluate.Weighted, error) {
		return evaluate.Exact(sys.Potential, box, kT, feat, enc)
	}
}
