package dspib

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"

	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/monitor"
	"github.com/dspib/dspib/learn/spib"
)

// Config holds the settings of both phases. The zero value means the
// reference settings of docs/method.md §2–3; Validate fills in defaults and is the
// one place where a Config is checked.
type Config struct {
	// SPIB configures phase 1 and the parts phase 2 shares with it: Lag,
	// architecture, Beta (β), BatchSize, Tolerance, Patience, Workers and
	// the train/test/validation fractions.
	SPIB spib.Config
	// Prior configures the diffusion prior of phase 2. Prior.Dim 0 means
	// SPIB.LatentDim (any other value must equal it); Prior.KTRef 0 means
	// the lowest training temperature (docs/method.md §3).
	Prior diffusion.Config
	// Lambda is λ, the weight of the diffusion loss relative to β
	// (dimensionless, > 0). Default 1 (reference).
	Lambda float64
	// LearningRate is the step size of the fresh phase-2 Adam. Default
	// SPIB.LearningRate.
	LearningRate float64
	// LRDecay multiplies the phase-2 learning rate after every epoch, in
	// (0, 1]. Default 1.
	LRDecay float64
	// MaxEpochs caps phase 2 [epochs]. Default SPIB.MaxEpochs.
	MaxEpochs int
	// Tolerance and Patience are phase 2's convergence rule (relative
	// improvement and epochs without one, as spib.Config's). Defaults
	// SPIB.Tolerance and SPIB.Patience; a negative Patience means 0.
	Tolerance float64
	Patience  int
	// MinSteps is a minimum length of phase 2 [optimiser steps]: the
	// convergence rule may end phase 2 only after at least this many steps
	// (rounded up to whole epochs of ⌈training pairs / batch size⌉ steps);
	// MaxEpochs still caps it. A step budget rather than epochs, so that it
	// means the same training for any amount of data. Default 0: none.
	MinSteps int
	// Precision is the arithmetic of the noise network in phase 2 (the
	// fused ad.CondMLP; parameters, Adam and the other losses stay
	// float64) and of the trained model's sampler. Default (zero value)
	// ad.Float32, about twice as fast as ad.Float64 and, same seed, within
	// 1e−8 of its diffusion losses (TestFloat32TrainsLikeFloat64).
	Precision ad.Precision

	// Checkpoint, when not empty, is the path of the checkpoint file that
	// Fit writes atomically after every phase-1 epoch that training
	// continues from, at the phase boundary and after every phase-2 epoch,
	// and resumes from (in either phase) when it exists; a file written for
	// other data, settings or seed is refused. SPIB.Checkpoint must be
	// empty: this one file holds both phases.
	Checkpoint string
	// Observers are called after every epoch of both phases, in order,
	// before the epoch's checkpoint (learn/monitor): phase 1 as
	// spib.Config.Observers (Phase "spib"; SPIB.Observers, if any, come
	// first), phase 2 with Phase "dspib", Epoch from 1, Max = MaxEpochs,
	// Losses loss, ce, log_q, diffusion, test_loss, test_ce, test_log_q,
	// test_diffusion (EpochStats) and Last at the last epoch. An error
	// stops Fit and is returned. A *monitor.Progress writes progress lines.
	Observers []monitor.Observer

	// Generator settings (phase2opts.go). Their zero values are the
	// behaviour without them.

	// EMADecay is the decay per phase-2 optimiser step, in (0, 1), of an
	// exponential moving average of the diffusion prior's weights
	// (diffusion.EMA). The trained model samples with the average (it is
	// what Result.Model.Prior holds and what Save writes), each epoch's
	// test pass and the final test/validation losses use it, and
	// checkpoints store it. Default 0 (and any negative value): no
	// average, the model samples with the last weights. Not the default:
	// on LJ7 it helped in every seed of one set of three and hurt badly in
	// one seed of another (benchmarks/README.md, "Generator
	// investigation").
	EMADecay float64
	// EMAModel extends the EMADecay average from the prior to the whole
	// model: the encoder (whose latent space the prior learns, and which
	// keeps sharpening in phase 2), the decoder and the prior, so that the
	// model samples, encodes and classifies with one set of averaged
	// weights. It needs EMADecay > 0. Default false: the prior alone.
	EMAModel bool
	// FreezeEncoder keeps the phase-1 encoder (z_mean network and
	// log-variance) fixed in phase 2. Phase 2 then trains the diffusion
	// prior on the fixed encoder's reparameterised latents and the decoder
	// on the cross-entropy (which no longer moves z); ln q(z|x) is
	// constant. Default false: the encoder trains jointly.
	FreezeEncoder bool
	// EncoderLR multiplies the phase-2 learning rate for the encoder's
	// parameters, in (0, 1]: after every Adam step the encoder's update is
	// scaled by it, which is Adam with that learning rate for those
	// parameters (Adam's moments do not depend on the rate). Default 1.
	EncoderLR float64
	// StopOn is phase 2's convergence rule (default StopTrainLosses).
	StopOn Stopping
	// PolishEpochs is a number of epochs of the prior alone after phase 2
	// has stopped (by its rule or its cap): the encoder and the decoder are
	// held fixed, so the prior learns the latent distribution of the final
	// encoder rather than of one that is still moving (the encoder keeps
	// sharpening through phase 2), as in latent diffusion models trained on
	// a fixed autoencoder (Rombach et al., CVPR 2022). Adam, the learning
	// rate schedule and the weight average carry on. Default 0: none.
	PolishEpochs int
}

// Stopping selects phase 2's convergence rule.
type Stopping int

const (
	// StopTrainLosses stops when both the training cross-entropy and the
	// training diffusion loss have stopped improving (docs/method.md §3;
	// see converger).
	StopTrainLosses Stopping = iota
	// StopHeldOut stops when the diffusion loss on the held-out test pairs
	// (EpochStats.TestDiff, with the averaged weights of EMADecay) has
	// not improved for more than Patience epochs, by the same threshold
	// rule (Tolerance and twice the standard error TestDiffSE). The test
	// pairs are neither trained on nor the validation pairs that
	// `dspib evaluate -validation` uses as the reference at the training
	// temperatures.
	StopHeldOut
)

// String returns the rule's name.
func (s Stopping) String() string {
	switch s {
	case StopTrainLosses:
		return "train"
	case StopHeldOut:
		return "heldout"
	}
	return fmt.Sprintf("Stopping(%d)", int(s))
}

// Validate returns c with defaults filled in, or an error naming the first
// invalid field.
func (c Config) Validate() (Config, error) {
	var err error
	if c.SPIB, err = c.SPIB.Validate(); err != nil {
		return c, fmt.Errorf("dspib: Config.SPIB: %w", err)
	}
	bad := func(field string, v any, why string) (Config, error) {
		return c, fmt.Errorf("dspib: Config.%s = %v: %s", field, v, why)
	}
	if c.Prior.Dim == 0 {
		c.Prior.Dim = c.SPIB.LatentDim
	}
	if c.Prior.Dim != c.SPIB.LatentDim {
		return bad("Prior.Dim", c.Prior.Dim, fmt.Sprintf("must equal SPIB.LatentDim = %d", c.SPIB.LatentDim))
	}
	if c.Prior.KTRef < 0 || math.IsNaN(c.Prior.KTRef) || math.IsInf(c.Prior.KTRef, 0) {
		return bad("Prior.KTRef", c.Prior.KTRef, "must be a finite kT > 0, or 0 for the lowest training temperature")
	}
	// The prior's settings are checked here, not only when phase 2 starts.
	pc := c.Prior
	if pc.KTRef == 0 {
		pc.KTRef = 1
	}
	if _, err := pc.Validate(); err != nil {
		return c, fmt.Errorf("dspib: Config.Prior: %w", err)
	}
	if c.Precision != ad.Float64 && c.Precision != ad.Float32 {
		return bad("Precision", c.Precision, "must be ad.Float64 or ad.Float32")
	}
	if c.Lambda == 0 {
		c.Lambda = 1
	}
	if !(c.Lambda > 0) || math.IsInf(c.Lambda, 0) {
		return bad("Lambda", c.Lambda, "must be finite and > 0")
	}
	if c.LearningRate == 0 {
		c.LearningRate = c.SPIB.LearningRate
	}
	if !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0) {
		return bad("LearningRate", c.LearningRate, "must be finite and > 0")
	}
	if c.LRDecay == 0 {
		c.LRDecay = 1
	}
	if !(c.LRDecay > 0 && c.LRDecay <= 1) {
		return bad("LRDecay", c.LRDecay, "must be in (0, 1]")
	}
	if c.MaxEpochs == 0 {
		c.MaxEpochs = c.SPIB.MaxEpochs
	}
	if c.MaxEpochs < 1 {
		return bad("MaxEpochs", c.MaxEpochs, "must be ≥ 1")
	}
	if c.Tolerance == 0 {
		c.Tolerance = c.SPIB.Tolerance
	}
	if !(c.Tolerance > 0) || math.IsInf(c.Tolerance, 0) {
		return bad("Tolerance", c.Tolerance, "must be finite and > 0")
	}
	if c.Patience == 0 {
		c.Patience = c.SPIB.Patience
	}
	if c.Patience < 0 {
		c.Patience = -1
	}
	if c.MinSteps < 0 {
		return bad("MinSteps", c.MinSteps, "must be ≥ 0")
	}
	if c.PolishEpochs < 0 {
		return bad("PolishEpochs", c.PolishEpochs, "must be ≥ 0")
	}
	if c.EMADecay < 0 {
		c.EMADecay = 0
	}
	if c.EMADecay > 0 && !(c.EMADecay < 1) || math.IsNaN(c.EMADecay) {
		return bad("EMADecay", c.EMADecay, "must be in (0, 1), or 0 for no average")
	}
	if c.EMAModel && c.EMADecay == 0 {
		return bad("EMAModel", c.EMAModel, "needs EMADecay in (0, 1): it widens that average to the whole model")
	}
	if c.EncoderLR == 0 {
		c.EncoderLR = 1
	}
	if !(c.EncoderLR > 0 && c.EncoderLR <= 1) {
		return bad("EncoderLR", c.EncoderLR, "must be in (0, 1] (FreezeEncoder for a fixed encoder)")
	}
	if c.StopOn != StopTrainLosses && c.StopOn != StopHeldOut {
		return bad("StopOn", c.StopOn, "must be StopTrainLosses or StopHeldOut")
	}
	if c.SPIB.Checkpoint != "" {
		return bad("SPIB.Checkpoint", c.SPIB.Checkpoint, "must be empty: set Config.Checkpoint, one file for both phases")
	}
	return c, nil
}

// beta returns the effective β (spib: a negative Beta means 0).
func (c Config) beta() float64 { return max(c.SPIB.Beta, 0) }

// patience returns the effective phase-2 patience (negative means 0).
func (c Config) patience() int { return max(c.Patience, 0) }

// fingerprint hashes every setting that changes the result (not Workers or
// observers), so a checkpoint written with other settings is refused. c
// must be validated.
func (c Config) fingerprint() (uint64, error) {
	s := c.SPIB
	s.Workers = 0
	sj, err := spib.MarshalConfig(s)
	if err != nil {
		return 0, err
	}
	b, err := json.Marshal(struct {
		SPIB         json.RawMessage
		Prior        diffusion.Config
		Lambda, LR   float64
		LRDecay      float64
		MaxEpochs    int
		Tolerance    float64
		Patience     int
		FormatLayout int
	}{sj, c.Prior, c.Lambda, c.LearningRate, c.LRDecay, c.MaxEpochs, c.Tolerance, c.Patience, checkpointVersion})
	if err != nil {
		return 0, err
	}
	h := fnv.New64a()
	h.Write(b)
	// The generator settings are hashed only when set, so that a
	// checkpoint written without them still resumes.
	if g := c.GeneratorKey(); g != (GeneratorKey{}) {
		gb, err := json.Marshal(g)
		if err != nil {
			return 0, err
		}
		h.Write(gb)
	}
	return h.Sum64(), nil
}
