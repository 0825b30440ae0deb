package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dspib/dspib/learn"
	dsp "github.com/dspib/dspib/learn/dspib"
	"github.com/dspib/dspib/md/traj"
	"github.com/dspib/dspib/pipeline"
)

func init() {
	register(command{name: "encode", summary: "map trajectories or feature .npy files to a trained model's latents and states", run: runEncode})
}

type encodeFlags struct {
	model, in, out string
	phase1, quiet  bool
}

func newEncodeFlagSet(f *encodeFlags, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("encode", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.model, "model", "", "model folder written by dspib train (required)")
	fs.StringVar(&f.in, "in", "", "a .npy of frames × D features (the model's input features, original units), or a dspib simulate folder (required)")
	fs.StringVar(&f.out, "out", "", "output folder (required; created if missing)")
	fs.BoolVar(&f.phase1, "phase1", false, "use the phase-1 SPIB encoder of a D-SPIB model (phase1/)")
	fs.BoolVar(&f.quiet, "quiet", false, "no notes on stderr")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, `Usage: dspib encode -model MODELDIR -in (X.npy | RUNFOLDER) -out DIR [flags]

Maps frames to the model's latent space: z_mean of the encoder (the
model standardises the features itself) and the metastable state,
argmax_k p(k | z_mean) of the decoder. Writes to DIR, for a .npy input:

  latents.npy   frames × d z_mean (float64)
  states.npy    frames state labels (int64)

and for a simulate folder the same per temperature, latents_kT<T>.npy and
states_kT<T>.npy.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(w, `
Example:
  dspib encode -model models/lj7 -in my_features.npy -out enc
`)
	}
	return fs
}

func runEncode(_ context.Context, args []string, _, stderr io.Writer) error {
	var f encodeFlags
	fs := newEncodeFlagSet(&f, stderr)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case f.model == "":
		return usagef("-model: required (a folder written by dspib train)")
	case f.in == "":
		return usagef("-in: required (a .npy of features or a simulate folder)")
	case f.out == "":
		return usagef("-out: required")
	}
	dir := f.model
	if f.phase1 {
		dir = filepath.Join(dir, pipeline.Phase1Dir)
	}
	if err := verifyModel(f.model); err != nil {
		return err
	}
	m, err := dsp.Load(dir)
	if err != nil {
		return err
	}
	enc := learn.SPIB{M: m.SPIB}
	inputs := map[string][]float64{} // output suffix → features
	if strings.HasSuffix(f.in, ".npy") {
		x, _, cols, err := traj.ReadNPY(f.in)
		if err != nil {
			return err
		}
		if cols != enc.FeatureDim() {
			return fmt.Errorf("%s: %d feature columns, the model takes %d", f.in, cols, enc.FeatureDim())
		}
		inputs[""] = x
	} else {
		md, err := loadMDFeatures(f.in, "", "")
		if err != nil {
			return err
		}
		for t, x := range md {
			inputs["_"+traj.TempTag(t)] = x
		}
	}
	release, err := lockOut("-out", f.out)
	if err != nil {
		return err
	}
	defer release()
	for _, suffix := range slices.Sorted(maps.Keys(inputs)) {
		x := inputs[suffix]
		if len(x)%enc.FeatureDim() != 0 {
			return fmt.Errorf("%s%s: %d values is not a multiple of the model's %d features", f.in, suffix, len(x), enc.FeatureDim())
		}
		z, err := enc.Encode(x)
		if err != nil {
			return err
		}
		states, err := enc.Classify(z)
		if err != nil {
			return err
		}
		d := enc.LatentDim()
		if err := traj.WriteNPY(filepath.Join(f.out, "latents"+suffix+".npy"), len(z)/d, d, z); err != nil {
			return err
		}
		if err := traj.WriteNPYInts(filepath.Join(f.out, "states"+suffix+".npy"), states); err != nil {
			return err
		}
		if !f.quiet {
			fmt.Fprintf(stderr, "dspib encode: %d frames → latents%s.npy, states%s.npy\n", len(states), suffix, suffix)
		}
	}
	return nil
}
