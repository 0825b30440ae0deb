package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/dspib/dspib"
	"github.com/dspib/dspib/learn/diffusion"
	dsp "github.com/dspib/dspib/learn/dspib"
	"github.com/dspib/dspib/md/traj"
)

func init() {
	register(command{name: "generate", summary: "sample latents of a trained D-SPIB model at any temperatures; write .npy per temperature", run: runGenerate})
}

// generateName is the JSON record generate writes next to the samples.
const generateName = "generate.json"

type generateFlags struct {
	model, temps, out string
	n, batch          int
	seed              uint64
	vamp, quiet       bool
}

func newGenerateFlagSet(f *generateFlags, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.model, "model", "", "model folder written by dspib train (required)")
	fs.StringVar(&f.temps, "temps", "", "comma-separated kT [ε] to generate at: trained, interpolated or extrapolated (required unless a SPIB model with -vamp)")
	fs.IntVar(&f.n, "n", 100000, "latents per temperature")
	fs.IntVar(&f.batch, "batch", defaultGenBatch, "diffusion latents held in memory at once (rounded up to a multiple of 64; -vamp samples are drawn at once); the output does not depend on it")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed; the output depends only on it, not on the number of cores")
	fs.StringVar(&f.out, "out", "", "output folder (required; created if missing)")
	fs.BoolVar(&f.vamp, "vamp", false, "also sample the SPIB VampPrior baseline (vamp.npy; temperature-independent)")
	fs.BoolVar(&f.quiet, "quiet", false, "no notes on stderr")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, `Usage: dspib generate -model MODELDIR -temps kT1,kT2 -out DIR [flags]

Draws -n latents at every temperature with the model's diffusion prior
(ancestral sampling over all diffusion steps, all cores, deterministic for
-seed: the samples at a temperature depend only on -seed and that kT, not on
the other temperatures, the core count or -batch). Memory is bounded by
-batch latents: they are generated and appended to the file in batches.
Writes to DIR:

  generated_kT<T>.npy  n × d latents at kT = <T>
  vamp.npy             with -vamp: n × d samples of the SPIB VampPrior mixture
  generate.json        model, temperatures, n, seed, files, timing

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(w, `
Example:
  dspib generate -model models/lj7 -temps 0.2,0.3,0.4,0.5 -n 100000 -seed 1 -out gen/lj7
`)
	}
	return fs
}

type generateJSON struct {
	Version      string            `json:"version"`
	Model        string            `json:"model"`
	Temperatures []float64         `json:"temperatures"`
	N            int               `json:"n"`
	Seed         uint64            `json:"seed"`
	Batch        int               `json:"batch"`
	Sampler      string            `json:"sampler"`
	Files        map[string]string `json:"files"`
	Seconds      float64           `json:"seconds"`
}

func runGenerate(ctx context.Context, args []string, _, stderr io.Writer) error {
	var f generateFlags
	fs := newGenerateFlagSet(&f, stderr)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case f.model == "":
		return usagef("-model: required (a folder written by dspib train)")
	case f.out == "":
		return usagef("-out: required")
	case f.n < 1:
		return usagef("-n: must be ≥ 1, got %d", f.n)
	case f.n > maxGenN:
		return usagef("-n: %d latents per temperature is above the limit of %d (2^32; 64 GiB per temperature for d = 2)", f.n, maxGenN)
	case f.vamp && f.n > maxGenBatch:
		return usagef("-n: -vamp draws its %d samples at once, above its limit of %d; run -vamp with a smaller -n", f.n, maxGenBatch)
	case f.batch < 1:
		return usagef("-batch: must be ≥ 1, got %d", f.batch)
	case f.temps == "" && !f.vamp:
		return usagef("-temps: required (comma-separated kT)")
	}
	var temps []float64
	if f.temps != "" {
		var err error
		if temps, err = parseTemps(f.temps); err != nil {
			return err
		}
	}
	if err := verifyModel(f.model); err != nil {
		return err
	}
	m, err := dsp.Load(f.model)
	if err != nil {
		return err
	}
	if len(temps) > 0 && m.Prior == nil {
		return fmt.Errorf("%s: %w", f.model, dsp.ErrNoPrior)
	}
	release, err := lockOut("-out", f.out)
	if err != nil {
		return err
	}
	defer release()
	d := m.SPIB.LatentDim()
	if err := checkGenerateFits(f.out, f.n, d, len(temps), f.vamp); err != nil {
		return err
	}
	note := io.Discard
	if !f.quiet {
		note = stderr
	}
	if err := cleanOrphans(f.out, note); err != nil {
		return err
	}
	if err := removeStaleGenerated(f.out, temps, f.vamp); err != nil {
		return err
	}
	start := time.Now()
	batch := min(f.batch, f.n, maxGenBatch)
	batch = (batch + diffusion.ChunkRows - 1) / diffusion.ChunkRows * diffusion.ChunkRows
	rec := generateJSON{Version: dspib.Version, Model: f.model, Temperatures: temps, N: f.n, Seed: f.seed, Batch: batch,
		Sampler: diffusion.Ancestral.String(), Files: map[string]string{}}
	for _, T := range temps {
		name := "generated_" + traj.TempTag(T) + ".npy"
		if err := generateFile(ctx, m.Prior, T, f.n, batch, f.seed, d, filepath.Join(f.out, name)); err != nil {
			return err
		}
		rec.Files[traj.TempTag(T)] = name
		if !f.quiet {
			fmt.Fprintf(stderr, "dspib generate: kT %v: %d latents → %s\n", T, f.n, name)
		}
	}
	if f.vamp {
		z, err := m.SampleVampPrior(f.n, f.seed)
		if err != nil {
			return err
		}
		if err := traj.WriteNPY(filepath.Join(f.out, "vamp.npy"), f.n, d, z); err != nil {
			return err
		}
		rec.Files["vamp"] = "vamp.npy"
	}
	rec.Seconds = time.Since(start).Seconds()
	return traj.WriteJSON(filepath.Join(f.out, generateName), rec)
}

// removeStaleGenerated removes generate.json (no record may describe the
// folder while it changes) and the samples of an earlier generate that this
// one will not write (generated_kT*.npy of other temperatures, vamp.npy
// without -vamp), so that the folder holds exactly what the new
// generate.json lists.
func removeStaleGenerated(dir string, temps []float64, vamp bool) error {
	keep := map[string]bool{}
	for _, T := range temps {
		keep["generated_"+traj.TempTag(T)+".npy"] = true
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "generated_kT*.npy"))
	if !vamp {
		stale = append(stale, filepath.Join(dir, "vamp.npy"))
	}
	stale = append(stale, filepath.Join(dir, generateName))
	for _, p := range stale {
		if keep[filepath.Base(p)] {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// maxGenN is the largest -n: 2^32 latents per temperature. Generation
// streams to disk, so memory does not limit -n; the cap refuses sizes no
// run needs (hours per temperature) before any work, even where the free
// space cannot be read.
const maxGenN = 1 << 32

// checkGenerateFits refuses a generation whose files (n × d float64 per
// temperature, plus vamp.npy) would not fit the free space of dir's file
// system, before anything is sampled.
func checkGenerateFits(dir string, n, d, temps int, vamp bool) error {
	files := temps
	if vamp {
		files++
	}
	// float64 arithmetic: n ≤ 2^32, so no overflow and exact enough.
	need := float64(files) * (float64(n)*float64(d)*8 + 128) // 128: the .npy header
	free, ok := freeBytes(dir)
	if ok && need > float64(free) {
		return fmt.Errorf("-n %d: %d file(s) of %d × %d float64 latents need %.3g bytes, but %s has %.3g bytes free", n, files, n, d, need, dir, float64(free))
	}
	return nil
}

// defaultGenBatch is the default -batch: 2^16 latents, 1 MiB for d = 2;
// maxGenBatch caps it (a larger batch only costs memory).
const (
	defaultGenBatch = 1 << 16
	maxGenBatch     = 1 << 24
)

// generateFile writes n latents (n×d) at kT, drawn from p in batches of
// batch rows (a multiple of diffusion.ChunkRows) and appended to path, which
// appears only when complete. Ctrl-C stops between batches.
func generateFile(ctx context.Context, p *diffusion.Prior, kT float64, n, batch int, seed uint64, d int, path string) error {
	w, err := traj.Create(path, d)
	if err != nil {
		return err
	}
	defer w.Abort()
	for first := 0; first < n; first += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		z, err := p.GenerateRange(p.Config().Sampler, kT, first, min(batch, n-first), seed)
		if err != nil {
			return err
		}
		for r := 0; r < len(z); r += d {
			if err := w.WriteRow(z[r : r+d]); err != nil {
				return err
			}
		}
	}
	return w.Close()
}
