package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dspib/dspib/internal/atomicfile"
	"github.com/dspib/dspib/internal/folderlock"
	"github.com/dspib/dspib/internal/manifest"
)

// orphanRe matches the temporary files an interrupted writer can leave: the
// package's atomic writes (NAME.part) and the random-suffix temporaries of
// older versions (fit.ckpt.tmp123456).
var orphanRe = regexp.MustCompile(`(` + regexp.QuoteMeta(atomicfile.PartSuffix) + `|\.tmp[0-9]*)$`)

// cleanOrphans removes the temporary files of interrupted writers from dir
// and its subfolders. The caller holds dir's exclusive lock, so no live
// writer owns them. (Not for simulate folders: there .part files are the
// resumable state of unfinished temperatures.)
func cleanOrphans(dir string, log io.Writer) error {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !orphanRe.MatchString(d.Name()) {
			return err
		}
		if err := os.Remove(p); err != nil {
			return err
		}
		fmt.Fprintf(log, "removed %s, left by an interrupted run\n", p)
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// folderContent lists dir's entries other than its lock files.
func folderContent(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var names []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), folderlock.Name) {
			names = append(names, e.Name())
		}
	}
	return names, err
}

// trainKeyName records, from the start of a train, what run the model
// folder belongs to (pipeline.Key: settings, seed, input fingerprints), so
// that an interrupted run is recognised as well as a finished one.
const trainKeyName = "train.key.json"

// trainOutputs are the names train writes into a model folder (files and
// folders; validation_kT*.npy besides): -force removes them all, so that no
// output of a replaced run survives (losses_dspib.npy, phase1/, fit.ckpt of
// a D-SPIB run under a SPIB one).
var trainOutputs = []string{
	"model.json", "spib.ckpt", "spib.ckpt.json", "prior.ckpt", "phase1", "posthoc", "fit.ckpt",
	"pipeline.json", "checkpoints.key.json", "histories.json", "split_train_frames.npy", "split_val_frames.npy",
	"initial_labels.npy", "losses_spib.npy", "losses_dspib.npy", "latents.npy", "labels.npy", "state_probs.npy",
	"populations.npy", "representatives.npy", "linear_weights.npy", plumedCV, trainSummary, trainKeyName, manifest.Name,
}

// prepareModelFolder lets train write dir: an empty or missing folder, or
// one holding the same run (key matches train.key.json or pipeline.json:
// re-running resumes or redoes it bit for bit). Anything else is refused
// unless force; then the outputs of the replaced run are removed.
func prepareModelFolder(dir string, key []byte, force bool, log io.Writer) error {
	names, err := folderContent(dir)
	if err != nil || len(names) == 0 {
		return err
	}
	for _, name := range []string{trainKeyName, "pipeline.json"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil && string(b) == string(key) {
			return nil
		}
	}
	what := fmt.Sprintf("files of no model (e.g. %q)", names[0])
	for _, n := range names {
		if n == trainKeyName || n == "model.json" || n == "pipeline.json" || n == trainSummary {
			what = "a model of a different run (other settings, inputs or seed)"
			break
		}
	}
	if !force {
		return usagef("-out: %s holds %s; choose a new folder or replace it with -force", dir, what)
	}
	fmt.Fprintf(log, "force: removing the outputs of the earlier run in %s\n", dir)
	stale := append([]string(nil), trainOutputs...)
	val, _ := filepath.Glob(filepath.Join(dir, "validation_kT*.npy"))
	for _, p := range val {
		stale = append(stale, filepath.Base(p))
	}
	for _, name := range stale {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// verifyModel checks the files of model folder dir against its manifest
// (written last by pipeline.Train, for train and the benchmarks alike): a
// file replaced after training, such as an SPIB checkpoint of the same
// shape from another model, is refused. Folders without a manifest (older
// versions) are not checked.
func verifyModel(dir string) error {
	_, err := manifest.Verify(dir)
	return err
}
