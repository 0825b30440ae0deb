package experiment

import (
	"github.com/dspib/dspib/evaluate"
	"github.com/dspib/dspib/learn/diffusion"
)

// SystemSizes are the numbers of one preset that depend on the system: how
// many frames to simulate and compare. Phase2Epochs, when not zero, replaces
// the preset's standard phase-2 budget.
type SystemSizes struct {
	TrainFrames, RefFrames, BurnIn, EvalN int
	Phase2Epochs                          int
	// ExactN is the size of the comparison with the exact density
	// (Sizes.ExactN; 0: none).
	ExactN int
}

// PresetSystemSizes gives the system-dependent numbers of each preset.
type PresetSystemSizes struct {
	Tiny, Quick, Default, Paper SystemSizes
}

// StandardPresets builds the four presets ("tiny", "quick", "default",
// "paper") every benchmark program uses. All share docs/method.md §3 and docs/evaluation.md's settings:
// 100 k-means states (10 in tiny), lag 10 frames, a = 1, the smooth
// temperature embedding, KDE bandwidth 0.1, 100 KL bins, 60 surface bins
// (15 in tiny) and 200 bootstrap replicates (30 in tiny, 100 in quick). The training budgets grow with the preset: SPIB epochs per
// round / refinement rounds / phase-2 epochs are 30 / none / 3 (tiny),
// 30 / 3 / 10 (quick), 100 / 5 / 30 (default) and 1000 / 5 / 100 (paper,
// the reference implementation's caps). The frame counts come from sys.
func StandardPresets(sys PresetSystemSizes) map[string]Sizes {
	base := Sizes{
		KMeansK: 100, Lag: 10, Exponent: 1, Embedding: diffusion.Smooth,
		KDEBandwidth: 0.1, KLBins: 100, SurfaceBins: 60, Bootstrap: evaluate.DefaultBootstrap,
	}
	preset := func(name string, n SystemSizes, spibEpochs, refinements, phase2 int) Sizes {
		s := base
		s.Preset = name
		s.TrainFrames, s.RefFrames, s.BurnIn, s.EvalN, s.ExactN = n.TrainFrames, n.RefFrames, n.BurnIn, n.EvalN, n.ExactN
		s.SPIBMaxEpochs, s.SPIBRefinements, s.Phase2Epochs = spibEpochs, refinements, phase2
		if n.Phase2Epochs != 0 {
			s.Phase2Epochs = n.Phase2Epochs
		}
		return s
	}
	tiny := preset("tiny", sys.Tiny, 30, -1, 3)
	tiny.KMeansK, tiny.SurfaceBins, tiny.Bootstrap = 10, 15, 30
	quick := preset("quick", sys.Quick, 30, 3, 10)
	quick.Bootstrap = 100 // half the cost of the evaluation's intervals
	return map[string]Sizes{
		"tiny":    tiny,
		"quick":   quick,
		"default": preset("default", sys.Default, 100, 5, 30),
		"paper":   preset("paper", sys.Paper, 1000, 5, 100),
	}
}
