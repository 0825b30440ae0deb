package diffusion

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math"
	"math/rand/v2"

	"github.com/dspib/dspib/learn/ad"
)

// TrainContext is Train with cancellation (checked between epochs) and, if
// cfg.Checkpoint is set, a checkpoint after every epoch that a later call
// with the same data and settings resumes from, giving bit for bit the
// prior and losses of an uninterrupted run. All randomness comes from src.
// On cancellation it returns ctx's error (the last checkpoint is on disk).
func TrainContext(ctx context.Context, samples, kT []float64, cfg TrainConfig, src *rand.PCG) (*Prior, []float64, error) {
	if src == nil {
		return nil, nil, fmt.Errorf("diffusion: TrainContext: src is nil")
	}
	rng := rand.New(src)
	p, err := newForTraining(cfg, kT, rng)
	if err != nil {
		return nil, nil, err
	}
	hist, err := p.fit(ctx, samples, kT, cfg, rng, src)
	if err != nil {
		return nil, hist, err
	}
	return p, hist, nil
}

// FitContext is Fit with cancellation and cfg.Checkpoint (see
// TrainContext); all randomness comes from src.
func (p *Prior) FitContext(ctx context.Context, samples, kT []float64, cfg TrainConfig, src *rand.PCG) ([]float64, error) {
	if src == nil {
		return nil, fmt.Errorf("diffusion: FitContext: src is nil")
	}
	return p.fit(ctx, samples, kT, cfg, rand.New(src), src)
}

// Training checkpoint layout: a learn/ad checkpoint with the network
// parameters, the Adam state and
//
//	diffusion.fit.meta     1×4: format version, fingerprint (hi, lo 32 bits), epochs done
//	diffusion.fit.losses   1×epochs: the mean loss of every epoch done
//	diffusion.fit.rng      1×len: the *rand.PCG state (MarshalBinary), a byte per entry
//
// The fingerprint covers the data, the prior's configuration and every
// training setting but Epochs, so a run may be resumed with a larger
// epoch budget but not with other data or settings.
const (
	fitVersion  = 2 // 2: sharded steps (other random draws than 1)
	tagFitMeta  = "diffusion.fit.meta"
	tagFitLoss  = "diffusion.fit.losses"
	tagFitRNG   = "diffusion.fit.rng"
	fitMetaCols = 4
)

type fitCheckpoint struct {
	path string
	fp   uint64
	ema  *EMA // TrainConfig.EMADecay's average, or nil
}

// fitFingerprint hashes what a resumed run must share with the run that
// wrote the checkpoint.
func fitFingerprint(p *Prior, samples, kT []float64, cfg TrainConfig) uint64 {
	h := fnv.New64a()
	var b [8]byte
	put := func(v float64) {
		u := math.Float64bits(v)
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		h.Write(b[:])
	}
	for _, v := range samples {
		put(v)
	}
	for _, v := range kT {
		put(v)
	}
	fmt.Fprintf(h, "%+v|%d|%+v|%v", p.Config(), cfg.BatchSize, cfg.Adam, cfg.LRDecay)
	if cfg.EMADecay != 0 {
		fmt.Fprintf(h, "|ema %v", cfg.EMADecay)
	}
	return h.Sum64()
}

// save writes the state after the epochs of hist.
func (c *fitCheckpoint) save(p *Prior, opt *ad.Adam, src *rand.PCG, hist []float64) error {
	rb, err := src.MarshalBinary()
	if err != nil {
		return fmt.Errorf("diffusion: checkpoint: %w", err)
	}
	rng := make([]float64, len(rb))
	for i, v := range rb {
		rng[i] = float64(v)
	}
	meta := []float64{fitVersion, float64(c.fp >> 32), float64(c.fp & 0xffffffff), float64(len(hist))}
	extra := []ad.Tensor{
		{Name: tagFitMeta, Rows: 1, Cols: fitMetaCols, Data: meta},
		{Name: tagFitLoss, Rows: 1, Cols: len(hist), Data: hist},
		{Name: tagFitRNG, Rows: 1, Cols: len(rng), Data: rng},
	}
	if c.ema != nil {
		extra = append(extra, c.ema.Tensors()...)
	}
	if err := ad.SaveCheckpoint(c.path, p.params, opt, extra...); err != nil {
		return fmt.Errorf("diffusion: checkpoint: %w", err)
	}
	return nil
}

// load restores p, opt and src from the checkpoint if it exists and returns
// the losses of the epochs done (nil, nil when there is no checkpoint). A
// checkpoint of other data or settings, or one past the epoch budget, is an
// error naming the file: nothing is overwritten silently.
func (c *fitCheckpoint) load(p *Prior, opt *ad.Adam, src *rand.PCG, epochs int) ([]float64, error) {
	ts, err := ad.LoadTensors(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("diffusion: resume: %w", err)
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("diffusion: resume from %s: %s (remove the file to start afresh)", c.path, fmt.Sprintf(format, a...))
	}
	by := map[string]ad.Tensor{}
	for _, t := range ts {
		by[t.Name] = t
	}
	meta, ok := by[tagFitMeta]
	if !ok || len(meta.Data) != fitMetaCols {
		return nil, fail("no %s tensor: not a diffusion training checkpoint", tagFitMeta)
	}
	if meta.Data[0] != fitVersion {
		return nil, fail("format version %g, this program reads %d", meta.Data[0], fitVersion)
	}
	if fp := uint64(meta.Data[1])<<32 | uint64(meta.Data[2]); fp != c.fp {
		return nil, fail("written for other data or settings (fingerprint %016x, this run %016x)", fp, c.fp)
	}
	done := int(meta.Data[3])
	losses, rngT := by[tagFitLoss], by[tagFitRNG]
	if len(losses.Data) != done || done < 1 {
		return nil, fail("%d losses for %d epochs done", len(losses.Data), done)
	}
	if done > epochs {
		return nil, fail("%d epochs done, more than TrainConfig.Epochs = %d", done, epochs)
	}
	rb := make([]byte, len(rngT.Data))
	for i, v := range rngT.Data {
		if v < 0 || v > 255 || v != math.Trunc(v) {
			return nil, fail("random state entry %d = %g, want a byte", i, v)
		}
		rb[i] = byte(v)
	}
	if c.ema != nil {
		if err := c.ema.Restore(ts); err != nil {
			return nil, fail("%v", err)
		}
	}
	if _, err := ad.LoadCheckpoint(c.path, p.params, opt); err != nil {
		return nil, fmt.Errorf("diffusion: resume: %w", err)
	}
	if err := src.UnmarshalBinary(rb); err != nil {
		return nil, fail("random state: %v", err)
	}
	return append([]float64(nil), losses.Data...), nil
}
