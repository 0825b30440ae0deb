package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/dspib/dspib"
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
	n                 int
	seed              uint64
	vamp, quiet       bool
}

func newGenerateFlagSet(f *generateFlags, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.model, "model", "", "model folder written by dspib train (required)")
	fs.StringVar(&f.temps, "temps", "", "comma-separated kT [ε] to generate at: trained, interpolated or extrapolated (required unless a SPIB model with -vamp)")
	fs.IntVar(&f.n, "n", 100000, "latents per temperature")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed; the output depends only on it, not on the number of cores")
	fs.StringVar(&f.out, "out", "", "output folder (required; created if missing)")
	fs.BoolVar(&f.vamp, "vamp", false, "also sample the SPIB VampPrior baseline (vamp.npy; temperature-independent)")
	fs.BoolVar(&f.quiet, "quiet", false, "no notes on stderr")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, `Usage: dspib generate -model MODELDIR -temps kT1,kT2 -out DIR [flags]

Draws -n latents at every temperature with the model's diffusion prior
(ancestral sampling over all diffusion steps, all cores, deterministic for
-seed) and writes to DIR:

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
	Version string    `json:"version"`
	Model   string    `json:"model"`
	Temps   []float64 `json:"temperatures"`
	N       int       `json:"n"`
	Seed    uint64    `json:"seed"`
	// TempSeeds are the sampler seeds used per temperature tag,
	// tempSeed(seed, kT).
	TempSeeds map[string]uint64 `json:"temperature_seeds,omitempty"`
	Sampler   string            `json:"sampler"`
	Files     map[string]string `json:"files"`
	Seconds   float64           `json:"seconds"`
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
	m, err := dsp.Load(f.model)
	if err != nil {
		return err
	}
	if len(temps) > 0 && m.Prior == nil {
		return fmt.Errorf("%s: %w", f.model, dsp.ErrNoPrior)
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	start := time.Now()
	rec := generateJSON{Version: dspib.Version, Model: f.model, Temps: temps, N: f.n, Seed: f.seed,
		Sampler: "ancestral", Files: map[string]string{}, TempSeeds: map[string]uint64{}}
	d := m.SPIB.LatentDim()
	for _, T := range temps {
		if err := ctx.Err(); err != nil {
			return err
		}
		// One temperature at a time keeps memory at n×d and lets Ctrl-C
		// stop between temperatures. The seed of each temperature depends
		// only on -seed and kT, so a file does not depend on which other
		// temperatures were asked for.
		z, err := m.Generate([]float64{T}, f.n, tempSeed(f.seed, T))
		if err != nil {
			return err
		}
		name := "generated_" + tempTag(T) + ".npy"
		if err := traj.WriteNPY(filepath.Join(f.out, name), f.n, d, z[0]); err != nil {
			return err
		}
		rec.Files[tempTag(T)] = name
		rec.TempSeeds[tempTag(T)] = tempSeed(f.seed, T)
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

// tempSeed derives the sampler seed of temperature kT from the run's seed
// (FNV-1a over both 64-bit patterns).
func tempSeed(seed uint64, kT float64) uint64 {
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], seed)
	binary.LittleEndian.PutUint64(b[8:], math.Float64bits(kT))
	h.Write(b[:])
	return h.Sum64()
}
