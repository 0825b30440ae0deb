package dspib

import (
	"fmt"
	"slices"

	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/spib"
)

// GeneratorKey holds the generator settings of a Config (EMADecay, EMAModel,
// FreezeEncoder, EncoderLR, StopOn, MinSteps, PolishEpochs) for settings fingerprints: the
// effective EMA decay (0: none) and the others with their defaults as zero
// values that JSON omits.
type GeneratorKey struct {
	EMADecay      float64 `json:"ema_decay,omitempty"`
	EMAModel      bool    `json:"ema_model,omitempty"`
	FreezeEncoder bool    `json:"freeze_encoder,omitempty"`
	EncoderLR     float64 `json:"encoder_lr,omitempty"`
	StopOn        string  `json:"stop_on,omitempty"`
	MinSteps      int     `json:"min_steps,omitempty"`
	PolishEpochs  int     `json:"polish_epochs,omitempty"`
}

// GeneratorKey returns c's generator settings (validated or not: EncoderLR
// 0 and 1 are both the default, and so are EMADecay 0 and negative).
func (c Config) GeneratorKey() GeneratorKey {
	k := GeneratorKey{EMADecay: c.EMA(), EMAModel: c.EMAModel && c.EMA() != 0, FreezeEncoder: c.FreezeEncoder, MinSteps: c.MinSteps, PolishEpochs: c.PolishEpochs}
	if c.EncoderLR != 0 && c.EncoderLR != 1 {
		k.EncoderLR = c.EncoderLR
	}
	if c.StopOn != StopTrainLosses {
		k.StopOn = c.StopOn.String()
	}
	return k
}

// EMA returns the effective EMA decay of c (validated or not): 0 for no
// average.
func (c Config) EMA() float64 {
	return max(c.EMADecay, 0)
}

// generatorState is the phase-2 trainer's part for the generator settings:
// the weight average (of the prior, or with EMAModel of the whole model) and
// the encoder's scaled updates.
type generatorState struct {
	ema *diffusion.EMA // nil without an average (Config.EMADecay ≤ 0)
	// enc are the encoder's parameters when their updates are scaled by
	// encLR ≠ 1, or the whole SPIB model's when polishing (held fixed: its
	// updates undone), and old their values before the step.
	enc       []*ad.Param
	old       [][]float64
	encLR     float64
	polishing bool
	// swapped: the averaged parameters hold the average (between sampling
	// and training).
	swapped bool
}

func newGeneratorState(m *spib.Model, p *diffusion.Prior, cfg Config) (generatorState, error) {
	g := generatorState{encLR: cfg.EncoderLR}
	if d := cfg.EMA(); d != 0 {
		var err error
		params := p.Params()
		if cfg.EMAModel {
			params = slices.Concat(m.Params(), params)
		}
		if g.ema, err = diffusion.NewEMA(params, d); err != nil {
			return g, fmt.Errorf("dspib: Config.EMADecay: %w", err)
		}
	}
	if !cfg.FreezeEncoder && cfg.EncoderLR != 1 {
		g.enc = m.EncoderParams()
		for _, q := range g.enc {
			g.old = append(g.old, make([]float64, len(q.Data)))
		}
	}
	return g, nil
}

// beforeStep records the encoder's parameters before an optimiser step.
func (g *generatorState) beforeStep() {
	for i, q := range g.enc {
		copy(g.old[i], q.Data)
	}
}

// polish holds the SPIB model (encoder, decoder) of m fixed from now on
// (Config.PolishEpochs): every step's update to it is undone, so that only
// the prior trains. Adam keeps its moments for all parameters.
func (g *generatorState) polish(m *spib.Model) {
	if g.polishing {
		return
	}
	g.polishing = true
	g.enc, g.old = m.Params(), nil
	for _, q := range g.enc {
		g.old = append(g.old, make([]float64, len(q.Data)))
	}
}

// afterStep scales the encoder's update, θ ← θ_old + s·(θ − θ_old) (or
// undoes the SPIB model's when polishing), and folds the prior's new
// weights into the average.
func (g *generatorState) afterStep() {
	for i, q := range g.enc {
		if g.polishing {
			copy(q.Data, g.old[i])
			continue
		}
		for j, v := range q.Data {
			o := g.old[i][j]
			q.Data[j] = o + g.encLR*(v-o)
		}
	}
	if g.ema != nil {
		g.ema.Update()
	}
}

// sampling puts the weights the model samples with into the prior (the
// average, if kept); training puts the trained weights back.
func (g *generatorState) sampling() {
	if g.ema != nil && !g.swapped {
		g.ema.Swap()
		g.swapped = true
	}
}

func (g *generatorState) training() {
	if g.ema != nil && g.swapped {
		g.ema.Swap()
		g.swapped = false
	}
}

// tensors returns what a checkpoint stores of the state (the average); it
// must be called while the prior holds the trained weights.
func (g *generatorState) tensors() []ad.Tensor {
	if g.ema == nil {
		return nil
	}
	return g.ema.Tensors()
}

// restore reads the average from a checkpoint's tensors.
func (g *generatorState) restore(ts []ad.Tensor) error {
	if g.ema == nil {
		return nil
	}
	return g.ema.Restore(ts)
}
