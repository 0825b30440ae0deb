package experiment

import (
	"fmt"
	"strings"
	"time"

	"github.com/dspib/dspib"
	"github.com/dspib/dspib/evaluate"
	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
	dsp "github.com/dspib/dspib/learn/dspib"
	"runtime"
)

// Timing is the wall time of one stage.
type Timing = evaluate.Timing

// seedResult is everything one repetition reports.
type seedResult = evaluate.SeedResult

// writeResults writes metrics.json and report.md at the top of the folder
// (evaluate.WriteResults).
func writeResults(o Options, spec *Spec, sizes Sizes, seeds []*seedResult, wall time.Duration) error {
	sys := spec.System
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("Command: `%s`  \n", commandLine(spec, o))
	p("Preset: **%s**; seeds: %v (%d independent repetition(s): new MD, new splits, new models); ", o.Preset, seedsOf(seeds), len(seeds))
	p("wall time %s on GOMAXPROCS = %d; dspib %s, %s.\n\n", wall.Round(time.Second), runtime.GOMAXPROCS(0), dspib.Version, ad.KernelInfo())
	p("Methods: **SPIB (VampPrior)** is phase 1 of the fit (Wang & Tiwary 2021), whose single prior ignores temperature; ")
	p("**D-SPIB** is phase 2 (learn/dspib: encoder, decoder and temperature-conditioned diffusion prior trained jointly; John et al. 2025); ")
	if o.PostHoc {
		p("**SPIB + post-hoc diffusion** is an ablation: the same diffusion prior fitted afterwards to the frozen phase-1 latents; ")
	}
	p("**MD at nearest training kT** is the honest baseline of docs/evaluation.md (b). D-SPIB lives in its own latent space (its encoder moved in phase 2), ")
	p("so it is compared with MD encoded by its own encoder, and has its own nearest-temperature baseline.\n\n")
	rep := &evaluate.Report{
		Title: fmt.Sprintf("%s benchmark: SPIB, D-SPIB and baselines against molecular dynamics", sys.Name),
		Intro: b.String(),
		Settings: [][2]string{
			{"dynamics", fmt.Sprintf("BAOAB Langevin, dt = %g τ, γ = %g /τ, m = 1, a frame every %d steps (%g τ)", sys.Dt, sys.Gamma, sys.Stride, sys.Dt*float64(sys.Stride))},
			{"start", fmt.Sprintf("%v, first %d frames of every run discarded", sys.X0, sizes.BurnIn)},
			{"training frames per training kT", fmt.Sprint(sizes.TrainFrames)},
			{"long reference run per evaluated kT", fmt.Sprintf("%d frames (independent seed)", sizes.RefFrames)},
			{"features", strings.Join(sys.FeatureNames, ", ")},
			{"initial labels", fmt.Sprintf("k-means (k-means++), K = %d, on the standardised k-means features of all training frames", sizes.KMeansK)},
			{"SPIB", fmt.Sprintf("lag %d frames, d = 2, β = 1e-5, lr 1e-3, batch 512, %d refinements, ≤ %d epochs per round, split 0.6/0.2/0.2", sizes.Lag, sizes.SPIBRefinements, sizes.SPIBMaxEpochs)},
			{"diffusion prior", fmt.Sprintf("DDPM N = 100, β 1e-4…0.2, σ_T = (T/T_ref)^a with a = %g, T_ref = lowest training kT, %s embedding, ancestral sampler", sizes.Exponent, sizes.Embedding)},
			{"D-SPIB phase 2", fmt.Sprintf("fresh Adam, λ = 1, M = 16, same diffusion prior settings, ≤ %d epochs, stops when CE and diffusion loss have both stopped improving (no new best by 1e-3 relative or two standard errors for more than 5 epochs); %s%s", sizes.Phase2Epochs, emaSetting(o.EMADecay), generatorSetting(o))},
			{"comparison", fmt.Sprintf("≤ %d latents per side (equal sizes), KL on %d×%d common bins + 1e-10, KDE bandwidth %g, F cap 3 kT", sizes.EvalN, sizes.KLBins, sizes.KLBins, sizes.KDEBandwidth)},
			{"uncertainty", bootstrapSetting(sizes.Bootstrap)},
			{"exact density, large N", exactSetting(sys.Exact != nil, sizes.ExactN)},
			{"noise floor", fmt.Sprintf("a second independent run of %d frames at every evaluated kT (own seed), encoded and thinned like the reference", sizes.RefFrames)},
		},
		RefNote: "Reference at a training temperature: the encoded validation frames of its training run; " +
			"elsewhere: the encoded long independent run. Baseline *MD at nearest training kT*: the encoded long run at the nearest " +
			"training temperature (at a training temperature an independent run at the same kT). *Noise floor*: a second independent run at " +
			"every evaluated kT, same encoder and sample size: what MD itself scores against the reference.\n\n" +
			"Protocol: the validation temperatures are for choosing settings; the test temperatures are reported once with the settings frozen " +
			"(docs/evaluation.md §6).\n\n",
		Exact: sys.Exact != nil,
		Notes: map[string][]string{},
		Seeds: seeds,
		JSON: map[string]any{
			"system":          sys.Name,
			"command":         commandLine(spec, o),
			"preset":          o.Preset,
			"sizes":           sizes,
			"experiments":     spec.Experiments,
			"wall_seconds":    wall.Seconds(),
			"integrator":      map[string]any{"name": "BAOAB", "dt": sys.Dt, "gamma": sys.Gamma, "stride": sys.Stride},
			"diffusion_prior": map[string]any{"exponent_a": sizes.Exponent, "embedding": sizes.Embedding.String(), "latent_scale": o.LatentScale, "min_steps2": o.MinSteps, "polish2": o.PolishEpochs, "coupling": o.Coupling.String(), "experts": o.Experts, "corrector": o.Corrector, "corrector_snr": o.CorrectorSNR, "input_frequencies": o.InputFrequencies, "input_fmax": o.InputMaxFrequency, "input_gated": o.InputGated, "step_sampling": o.StepSampling.String()},
		},
		Footer: "Every number above was computed in this run from the data in this folder (`seed<N>/`), with the seeds written next to it; " +
			"per-seed values are in `metrics.json`.\n",
	}
	if o.PostHoc {
		rep.Settings = append(rep.Settings, [2]string{"post-hoc prior (ablation, -posthoc)", "as many epochs as phase 2 ran, on the frozen phase-1 latents of every training-split frame"})
	}
	rep.JSON["posthoc"] = o.PostHoc
	for i := range spec.Experiments {
		e := &spec.Experiments[i]
		rep.Designs = append(rep.Designs, *e)
		for _, sr := range seeds {
			if info, ok := sr.Info[e.Name].(map[string]any); ok {
				rep.Notes[e.Name] = append(rep.Notes[e.Name], fmt.Sprintf("seed %d: SPIB (phase 1) ended with %v states after %v epochs; D-SPIB phase 2 ran %v epochs (%v).",
					sr.Seed, info["spib_states"], info["spib_epochs"], info["dspib_epochs"], info["dspib_stopped"]))
			}
		}
	}
	return evaluate.WriteResults(o.Out, rep)
}

func seedsOf(s []*seedResult) []uint64 {
	var out []uint64
	for _, r := range s {
		out = append(out, r.Seed)
	}
	return out
}

// bootstrapSetting describes the preset's intervals.
func bootstrapSetting(b int) string {
	if b < 0 {
		return "no bootstrap intervals"
	}
	if b == 0 {
		b = evaluate.DefaultBootstrap
	}
	return fmt.Sprintf("95 %% bootstrap intervals, %d replicates (block bootstrap for MD sets, smoothed resamples for the histogram KLs; docs/evaluation.md §5)", b)
}

// exactSetting describes the large-sample comparison with the exact density.
func exactSetting(has bool, n int) string {
	switch {
	case !has:
		return "no exact density for this system"
	case n == 0:
		return "not run at this preset"
	}
	b := evaluate.ExactBins(n)
	return fmt.Sprintf("%d latents per method and kT (generated independently of the comparison with MD; MD baselines thinned from their long runs), "+
		"%d×%d bins (rule: ⌊√(N/10)⌋ per axis, ≈ 10 samples per bin of the bounding box, between 10 and 200)", n, b, b)
}

// generatorSetting describes the non-default latent scale, minimum
// phase-2 length and prior-only epochs of o, if any.
func generatorSetting(o Options) string {
	var s string
	if o.LatentScale != 0 {
		s += fmt.Sprintf("; the prior runs on z/%g (-latent-scale)", o.LatentScale)
	}
	if o.Coupling != diffusion.CouplingEmbedded {
		s += fmt.Sprintf("; kT enters the noise network %s (-coupling)", o.Coupling)
		if o.Experts > 1 {
			s += fmt.Sprintf(" with %d experts (-experts)", o.Experts)
		}
	}
	if o.StepSampling != diffusion.StepsUniform {
		s += fmt.Sprintf("; diffusion steps drawn %s (-step-sampling)", o.StepSampling)
	}
	if o.InputFrequencies > 0 {
		f := o.InputMaxFrequency
		if f == 0 {
			f = diffusion.DefaultInputMaxFrequency
		}
		s += fmt.Sprintf("; the noise network also sees %d sinusoidal features per latent coordinate, up to %g cycles per unit (-input-frequencies)", o.InputFrequencies, f)
		if o.InputGated {
			s += ", scaled by √ᾱ_i (-input-gated)"
		}
	}
	if o.Corrector > 0 {
		r := o.CorrectorSNR
		if r == 0 {
			r = diffusion.DefaultCorrectorSNR
		}
		s += fmt.Sprintf("; %d Langevin corrector steps per level, r = %g (-corrector)", o.Corrector, r)
	}
	if o.MinSteps > 0 {
		s += fmt.Sprintf("; at least %d optimiser steps (-min-steps2)", o.MinSteps)
	}
	if o.PolishEpochs > 0 {
		s += fmt.Sprintf("; then %d epochs of the prior alone, encoder and decoder fixed (-polish2)", o.PolishEpochs)
	}
	return s
}

// emaSetting describes phase 2's weight average (Options.EMADecay).
func emaSetting(decay float64) string {
	if d := (dsp.Config{EMADecay: decay}).EMA(); d > 0 {
		return fmt.Sprintf("samples with an exponential moving average of the prior's weights, decay %g per optimiser step (-ema)", d)
	}
	return "samples with the last weights (-ema 0: no average)"
}
