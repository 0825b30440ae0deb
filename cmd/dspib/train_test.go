package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/stretchr/testify/require"
	"math"
	"path/filepath"
	"strings"
	"testing"

	dsp "github.com/dspib/dspib/learn/dspib"
	"github.com/dspib/dspib/md/traj"
)

// quickTrain are train flags for a run of about a second on a few thousand
// frames: one refinement, a few epochs, small batches.
var quickTrain = []string{"-k", "5", "-lag", "2", "-epochs", "4", "-refinements", "1", "-batch", "64", "-lr", "5e-3",
	"-replicas", "4", "-quiet", "-seed", "3"}

// TestTrainGenerateEndToEnd simulates a tiny three-hole folder, trains
// D-SPIB on it, checks every output against the model and the data, and
// generates latents at a trained, an interpolated and an extrapolated kT.
func TestTrainGenerateEndToEnd(t *testing.T) {
	dir := t.TempDir()
	sim := smallSim(t, dir)
	model := filepath.Join(dir, "model")
	mustRun(t, append([]string{"train", "-in", sim, "-out", model}, quickTrain...)...)

	var sum struct {
		Phase  string
		Inputs []struct {
			KT     float64
			Frames int
			First  int `json:"first_frame"`
		}
		States int
		Epochs map[string]int
		Prior  struct {
			KTRef float64 `json:"kT_ref"`
		}
		Files map[string]string
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(model, "summary.json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Phase != "dspib" || len(sum.Inputs) != 2 || sum.Inputs[1].First != 1000 || sum.Prior.KTRef != 1 {
		t.Fatalf("summary: %+v", sum)
	}
	if sum.Epochs["dspib"] != 4 || sum.Epochs["spib"] < 2 {
		t.Errorf("epochs %v, want 4 in phase 2 (the cap) and ≥ 2 in phase 1", sum.Epochs)
	}
	m, err := dsp.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	K := m.SPIB.K
	if K != sum.States {
		t.Errorf("model has %d states, summary %d", K, sum.States)
	}
	// latents.npy is the model's z_mean of the simulate features.
	z := readNPY(t, filepath.Join(model, "latents.npy"), 2000, 2)
	x, _, _, err := traj.ReadNPY(filepath.Join(sim, "traj_kT1.500.npy"))
	if err != nil {
		t.Fatal(err)
	}
	zm, _, err := m.Encode(x[:2*10], 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range zm {
		if d := math.Abs(zm[i] - z[2000+i]); d > 1e-12 {
			t.Fatalf("latent %d of kT 1.5: file %v, model %v", i, z[2000+i], zm[i])
		}
	}
	labels, err := traj.ReadNPYInts(filepath.Join(model, "labels.npy"))
	if err != nil {
		t.Fatal(err)
	}
	probs := readNPY(t, filepath.Join(model, "state_probs.npy"), 2000, K)
	pops := readNPY(t, filepath.Join(model, "populations.npy"), K, 1)
	count := make([]float64, K)
	for f, l := range labels {
		best := 0
		for k := range K {
			if probs[f*K+k] > probs[f*K+best] {
				best = k
			}
		}
		if l != best {
			t.Fatalf("frame %d: label %d, argmax of its probabilities %d", f, l, best)
		}
		count[l]++
	}
	for k := range K {
		if math.Abs(count[k]/2000-pops[k]) > 1e-12 {
			t.Errorf("population %d: file %v, labels give %v", k, pops[k], count[k]/2000)
		}
	}
	readNPY(t, filepath.Join(model, "representatives.npy"), K, 2)
	readNPY(t, filepath.Join(model, "losses_dspib.npy"), 4, 9)
	readNPY(t, filepath.Join(model, "losses_spib.npy"), sum.Epochs["spib"], 8)
	if _, err := dsp.Load(filepath.Join(model, "phase1")); err != nil {
		t.Errorf("phase-1 model: %v", err)
	}

	// Generate at trained (1), interpolated (1.25) and extrapolated (2) kT.
	gen := filepath.Join(dir, "gen")
	args := []string{"generate", "-model", model, "-temps", "1,1.25,2", "-n", "300", "-seed", "5", "-vamp", "-quiet", "-out", gen}
	mustRun(t, args...)
	a := readNPY(t, filepath.Join(gen, "generated_kT1.250.npy"), 300, 2)
	readNPY(t, filepath.Join(gen, "generated_kT2.000.npy"), 300, 2)
	readNPY(t, filepath.Join(gen, "vamp.npy"), 300, 2)
	// Same seed → same file, whatever the other temperatures asked for.
	gen2 := filepath.Join(dir, "gen2")
	mustRun(t, "generate", "-model", model, "-temps", "1.25", "-n", "300", "-seed", "5", "-quiet", "-out", gen2)
	if !bytes.Equal(readFile(t, filepath.Join(gen, "generated_kT1.250.npy")), readFile(t, filepath.Join(gen2, "generated_kT1.250.npy"))) {
		t.Error("generated_kT1.250.npy differs between runs with the same seed")
	}
	want, err := m.Generate([]float64{1.25}, 300, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i] != want[0][i] {
			t.Fatalf("generated sample %d: file %v, library %v", i, a[i], want[0][i])
		}
	}
	// Re-running the same command resumes from fit.ckpt (here: the finished
	// run) and rewrites identical latents.
	before := readFile(t, filepath.Join(model, "latents.npy"))
	mustRun(t, append([]string{"train", "-in", sim, "-out", model}, quickTrain...)...)
	var again struct {
		Resumed bool `json:"resumed_from_checkpoint"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(model, "summary.json")), &again); err != nil {
		t.Fatal(err)
	}
	if !again.Resumed || !bytes.Equal(before, readFile(t, filepath.Join(model, "latents.npy"))) {
		t.Errorf("re-run: resumed %v, latents identical %v", again.Resumed, bytes.Equal(before, readFile(t, filepath.Join(model, "latents.npy"))))
	}
	// Another seed over the folder (and its checkpoint) is refused.
	r := runCLI(context.Background(), append([]string{"train", "-in", sim, "-out", model}, append(quickTrain, "-seed", "4")...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "different run") {
		t.Errorf("train with another seed over a checkpoint: exit %d, %q", r.code, r.stderr)
	}
}

// TestTrainFeaturesSPIB trains SPIB with a linear encoder from the user's
// own .npy features, then checks linear_weights.npy against the latents and
// that generate refuses a model without a diffusion prior.
func TestTrainFeaturesSPIB(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim")
	mustRun(t, "simulate", "-system", "threehole", "-temps", "1", "-frames", "1500", "-stride", "50", "-seed", "4", "-quiet", "-out", sim)
	f := filepath.Join(sim, "traj_kT1.000.npy")
	model := filepath.Join(dir, "model")
	mustRun(t, append([]string{"train", "-features", f + "," + f, "-temps", "1,1", "-phase", "spib", "-encoder", "linear",
		"-label-cols", "0", "-out", model}, quickTrain...)...)
	x := readNPY(t, f, 1500, 2)
	z := readNPY(t, filepath.Join(model, "latents.npy"), 3000, 2)
	wb := readNPY(t, filepath.Join(model, "linear_weights.npy"), 2, 3)
	for i := range 1500 {
		for r := range 2 {
			v := wb[r*3]*x[2*i] + wb[r*3+1]*x[2*i+1] + wb[r*3+2]
			if math.Abs(v-z[2*i+r]) > 1e-9 {
				t.Fatalf("frame %d: W x + b = %v, latent %v", i, v, z[2*i+r])
			}
		}
	}
	r := runCLI(context.Background(), "generate", "-model", model, "-temps", "1", "-n", "10", "-out", filepath.Join(dir, "g"))
	if r.code != 1 || !strings.Contains(r.stderr, "no diffusion prior") {
		t.Errorf("generate on a SPIB model: exit %d, %q", r.code, r.stderr)
	}
	mustRun(t, "generate", "-model", model, "-vamp", "-n", "10", "-quiet", "-out", filepath.Join(dir, "g"))
	readNPY(t, filepath.Join(dir, "g", "vamp.npy"), 10, 2)
}

// TestTrainGenerateBadFlags: usage errors name the flag (exit 2), data
// errors name the file (exit 1).
func TestTrainGenerateBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "-in", dir}, 2, "-out: required"},
		{[]string{"train", "-out", dir}, 2, "-in or -features"},
		{[]string{"train", "-in", dir, "-features", "a.npy", "-out", dir}, 2, "give only one"},
		{[]string{"train", "-in", dir, "-out", dir, "-phase", "vae"}, 2, "-phase"},
		{[]string{"train", "-in", dir, "-out", dir, "-k", "1"}, 2, "-k"},
		{[]string{"train", "-in", dir, "-out", dir, "-encoder", "deep"}, 2, "-encoder"},
		{[]string{"train", "-in", dir, "-out", dir, "-beta", "-1"}, 2, "-beta"},
		{[]string{"train", "-in", dir, "-out", dir, "-label-cols", "x"}, 2, "-label-cols"},
		{[]string{"train", "-features", "a.npy,b.npy", "-temps", "1", "-out", dir}, 2, "-temps: 1 values for 2"},
		{[]string{"train", "-features", "a.npy", "-temps", "0", "-out", dir}, 2, "kT = 0"},
		{[]string{"train", "-features", "a.npy", "-out", dir}, 2, "-temps: required"},
		{[]string{"train", "-in", filepath.Join(dir, "none"), "-out", dir}, 1, "metadata.json"},
		{[]string{"generate", "-temps", "1", "-out", dir}, 2, "-model"},
		{[]string{"generate", "-model", dir, "-temps", "0.3,-1", "-out", dir}, 2, "kT = -1"},
		{[]string{"generate", "-model", dir, "-temps", "1", "-n", "0", "-out", dir}, 2, "-n"},
		{[]string{"generate", "-model", dir, "-temps", "1", "-out", dir}, 1, "model.json"},
	} {
		r := runCLI(context.Background(), tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("dspib %s: exit %d, stderr %q; want exit %d mentioning %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.code, tc.want)
		}
	}
}

// TestTrainLJ7Moments: on an LJ7 simulate folder the initial k-means runs
// on the (μ2, μ3) moments files, and the model reads the 7 sorted
// coordination numbers.
func TestTrainLJ7Moments(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim")
	mustRun(t, "simulate", "-system", "lj7", "-temps", "0.2,0.5", "-frames", "800", "-stride", "20", "-seed", "2", "-quiet", "-out", sim)
	model := filepath.Join(dir, "model")
	mustRun(t, append([]string{"train", "-in", sim, "-out", model, "-phase", "spib"}, quickTrain...)...)
	var sum struct {
		LabelCols string `json:"label_columns"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(model, "summary.json")), &sum); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sum.LabelCols, "moments files: μ2, μ3, standardised") {
		t.Errorf("label columns %q, want the LJ7 moments", sum.LabelCols)
	}
	m, err := dsp.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if m.SPIB.D != 7 {
		t.Errorf("model has %d inputs, want the 7 coordination numbers", m.SPIB.D)
	}
	readNPY(t, filepath.Join(model, "latents.npy"), 1600, 2)
}

// TestTrainLJ7LinearPLUMED: with -encoder linear on an LJ7 run folder, train
// writes the learned CV as a PLUMED fragment (export/plumed; its formula is
// checked against the model's encoding there) and lists it in summary.json;
// a nonlinear encoder writes none.
func TestTrainLJ7LinearPLUMED(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim")
	mustRun(t, "simulate", "-system", "lj7", "-temps", "0.2,0.5", "-frames", "400", "-stride", "20", "-seed", "2", "-quiet", "-out", sim)
	model := filepath.Join(dir, "linear")
	mustRun(t, append([]string{"train", "-in", sim, "-out", model, "-phase", "spib", "-encoder", "linear"}, quickTrain...)...)
	frag := string(readFile(t, filepath.Join(model, plumedCV)))
	require.Contains(t, frag, "spib_c7: COORDINATION GROUPA=7 GROUPB=1-6 SWITCH={RATIONAL R_0=1.5 D_0=0 NN=8 MM=16}")
	require.Contains(t, frag, "spib_z2: COMBINE")
	var sum struct {
		Files map[string]string `json:"files"`
	}
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(model, "summary.json")), &sum))
	require.Equal(t, plumedCV, sum.Files["plumed_cv"])
	nonlin := filepath.Join(dir, "nonlinear")
	mustRun(t, append([]string{"train", "-in", sim, "-out", nonlin, "-phase", "spib"}, quickTrain...)...)
	require.NoFileExists(t, filepath.Join(nonlin, plumedCV))
}
