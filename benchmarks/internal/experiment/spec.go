// Package experiment is the shared engine of the benchmark programs
// benchmarks/threehole and benchmarks/lj7: it simulates training and long
// reference trajectories, learns SPIB (Wang & Tiwary, J. Chem. Phys. 154,
// 134111 (2021)) and the temperature-conditioned generators on the training
// temperatures, generates latents at trained, interpolated and extrapolated
// temperatures and compares them with molecular dynamics (and, for a 2-D
// one-particle potential, with the exact Boltzmann density pushed through the
// encoder), following the evaluation protocol of the D-SPIB paper (John, Qiu,
// Herron & Tiwary, arXiv:2510.09784, 2025) as fixed in docs/evaluation.md.
//
// A run writes one self-contained results folder: per seed the trajectories,
// features, models and per-seed metrics; at the top report.md, metrics.json
// (mean ± sd over seeds) and PNG figures. Every file is written atomically,
// and a restarted run reuses every finished stage whose recorded settings
// match (trajectories, trained models), saying so on stderr.
//
// Units are reduced (k_B = 1): kT in ε, time in τ, lengths in σ; latent
// coordinates are dimensionless and free energies are in kT.
package experiment

import (
	"fmt"
	"math"
	"slices"

	"github.com/dspib/dspib/evaluate"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/systems"
)

// System is a catalogue entry (package systems): potential, start
// configuration, Langevin defaults, featuriser and k-means label features.
type System = systems.System

// GridBox is the exact-density quadrature box of a catalogue entry.
type GridBox = systems.GridBox

// Experiment is one train/evaluate design: the temperatures the models are
// trained on and the temperatures they are evaluated at (evaluate.Design).
type Experiment = evaluate.Design

// Sizes sets the cost of a run. The presets (tiny, quick, default, paper) are
// built by StandardPresets; a zero field is invalid (Validate names it).
type Sizes struct {
	// Preset names the preset for the report.
	Preset string
	// TrainFrames is the number of stored frames per training temperature,
	// after BurnIn frames have been dropped.
	TrainFrames int
	// RefFrames is the number of frames of the long independent reference
	// run at every evaluated temperature, after BurnIn.
	RefFrames int
	// BurnIn frames are simulated and discarded at the start of every run.
	BurnIn int
	// EvalN is the number of latents per temperature compared: generated
	// samples, and reference and baseline sets thinned evenly to this size
	// (capped by the smallest reference set, so every KL compares equal
	// sample sizes; docs/evaluation.md and Miller 1955 on the plug-in bias).
	EvalN int
	// KMeansK is the number of initial k-means states (spec: 100).
	KMeansK int
	// Lag is the SPIB time lag Δ in frames.
	Lag int
	// SPIBMaxEpochs caps each SPIB refinement round; SPIBRefinements is the
	// number of refinement rounds (negative: none).
	SPIBMaxEpochs, SPIBRefinements int
	// Phase2Epochs caps the D-SPIB joint training (phase 2) and is the
	// number of epochs of the post-hoc diffusion prior, which sees the same
	// training-split latents (equal training budget for the ablation).
	Phase2Epochs int
	// Exponent is a in σ_T = (T/T_ref)^a of the diffusion noise (docs/method.md §3).
	Exponent float64
	// Embedding is the diffusion network's temperature embedding.
	Embedding diffusion.Embedding
	// KDEBandwidth is the latent KDE bandwidth of the 1-D free energies
	// (docs/evaluation.md: 0.1). KLBins is the bins per axis of the KL histograms
	// (100). SurfaceBins is the bins per axis of the surface figures.
	KDEBandwidth float64
	KLBins       int
	SurfaceBins  int
	// Bootstrap is the number of bootstrap replicates of the 95 % intervals
	// (evaluate.Config.Bootstrap; negative: none).
	Bootstrap int
	// ExactN, for a system with an exact density, is the number of latents
	// of the second comparison with it (evaluate.Comparison.ExactN:
	// generated independently of EvalN, MD thinned from the long runs);
	// 0: none.
	ExactN int
}

// Validate returns an error naming the first invalid field.
func (s *Sizes) Validate() error {
	pos := []struct {
		name string
		v    int
	}{
		{"TrainFrames", s.TrainFrames}, {"RefFrames", s.RefFrames}, {"EvalN", s.EvalN},
		{"KMeansK", s.KMeansK}, {"Lag", s.Lag}, {"SPIBMaxEpochs", s.SPIBMaxEpochs},
		{"Phase2Epochs", s.Phase2Epochs}, {"KLBins", s.KLBins}, {"SurfaceBins", s.SurfaceBins},
	}
	for _, p := range pos {
		if p.v < 1 {
			return fmt.Errorf("experiment: Sizes.%s = %d, want ≥ 1", p.name, p.v)
		}
	}
	if s.ExactN < 0 {
		return fmt.Errorf("experiment: Sizes.ExactN = %d, want ≥ 0", s.ExactN)
	}
	if s.BurnIn < 0 {
		return fmt.Errorf("experiment: Sizes.BurnIn = %d, want ≥ 0", s.BurnIn)
	}
	if s.Lag >= s.TrainFrames {
		return fmt.Errorf("experiment: Sizes.Lag = %d, want < TrainFrames = %d", s.Lag, s.TrainFrames)
	}
	if !(s.Exponent > 0) || math.IsInf(s.Exponent, 0) {
		return fmt.Errorf("experiment: Sizes.Exponent = %v, want finite > 0", s.Exponent)
	}
	if !(s.KDEBandwidth > 0) || math.IsInf(s.KDEBandwidth, 0) {
		return fmt.Errorf("experiment: Sizes.KDEBandwidth = %v, want finite > 0", s.KDEBandwidth)
	}
	return nil
}

// Spec is everything a benchmark program fixes: the system, its experiments
// and the size presets selected by flags.
type Spec struct {
	System      *System
	Experiments []Experiment
	// Presets maps a preset name ("tiny", "quick", "default", "paper") to
	// its sizes.
	Presets map[string]Sizes
	// DefaultOut is the default results folder (results/<name>).
	DefaultOut string
}

// Validate checks the spec, naming the problem.
func (sp *Spec) Validate() error {
	s := sp.System
	if s == nil {
		return fmt.Errorf("experiment: Spec.System is nil")
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	if len(sp.Experiments) == 0 {
		return fmt.Errorf("experiment: Spec.Experiments is empty")
	}
	for i, e := range sp.Experiments {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("experiment: Experiments[%d]: %w", i, err)
		}
		for _, t := range e.Train {
			if !slices.Contains(e.Eval, t) {
				return fmt.Errorf("experiment: Experiments[%d] (%s): training kT %v is not evaluated", i, e.Name, t)
			}
		}
	}
	for name, p := range sp.Presets {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("preset %s: %w", name, err)
		}
	}
	return nil
}
