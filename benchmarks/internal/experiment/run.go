package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/analysis/plots"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/spib"
	"github.com/dspib/dspib/md/traj"
)

// seedRun holds the state of one independent repetition (one seed).
type seedRun struct {
	spec  *Spec
	sys   *System
	sizes Sizes
	seed  uint64
	dir   string
	log   io.Writer

	trainFeat, trainKM, refFeat map[float64][]float64
	d, kmDim                    int

	timings []Timing
}

// Timing is the wall time of one stage.
type Timing struct {
	Stage   string  `json:"stage"`
	Seconds float64 `json:"seconds"`
	Reused  bool    `json:"reused,omitempty"`
}

func (r *seedRun) timed(stage string, reused bool, start time.Time) {
	r.timings = append(r.timings, Timing{Stage: stage, Seconds: time.Since(start).Seconds(), Reused: reused})
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)) }

// union returns the sorted distinct temperatures of the experiments' lists.
func union(exps []Experiment, pick func(*Experiment) []float64) []float64 {
	var ts []float64
	for i := range exps {
		for _, t := range pick(&exps[i]) {
			if !slices.Contains(ts, t) {
				ts = append(ts, t)
			}
		}
	}
	sort.Float64s(ts)
	return ts
}

// simulateAndLoad runs (or reuses) every trajectory of the seed and loads
// the features.
func (r *seedRun) simulateAndLoad(ctx context.Context) error {
	start := time.Now()
	var jobs []trajJob
	for _, t := range union(r.spec.Experiments, func(e *Experiment) []float64 { return e.Train }) {
		jobs = append(jobs, trajJob{Kind: "train", KT: t, Frames: r.sizes.TrainFrames + r.sizes.BurnIn,
			Seed: DeriveSeed(r.seed, "md/train", t), Path: filepath.Join(r.dir, "md", "train_"+TempTag(t)+".npy")})
	}
	for _, t := range union(r.spec.Experiments, func(e *Experiment) []float64 { return e.Eval }) {
		jobs = append(jobs, trajJob{Kind: "ref", KT: t, Frames: r.sizes.RefFrames + r.sizes.BurnIn,
			Seed: DeriveSeed(r.seed, "md/ref", t), Path: filepath.Join(r.dir, "md", "ref_"+TempTag(t)+".npy")})
	}
	allReused := true
	for _, j := range jobs {
		m, err := traj.ReadMetadata(j.Path + ".json")
		allReused = allReused && err == nil && sameRun(m, expectedMeta(r.sys, j))
	}
	fmt.Fprintf(r.log, "[seed %d] stage 1: molecular dynamics (%d trajectories, BAOAB dt %g τ, γ %g/τ, a frame every %d steps)\n",
		r.seed, len(jobs), r.sys.Dt, r.sys.Gamma, r.sys.Stride)
	if err := simulate(ctx, r.sys, jobs, r.log); err != nil {
		return err
	}
	r.timed("simulate", allReused, start)

	start = time.Now()
	r.trainFeat, r.trainKM, r.refFeat = map[float64][]float64{}, map[float64][]float64{}, map[float64][]float64{}
	for _, j := range jobs {
		feat, d, km, kmDim, err := loadFeatures(r.sys, j.Path, r.sizes.BurnIn)
		if err != nil {
			return err
		}
		r.d, r.kmDim = d, kmDim
		if j.Kind == "train" {
			r.trainFeat[j.KT], r.trainKM[j.KT] = feat, km
		} else {
			r.refFeat[j.KT] = feat
		}
	}
	r.timed("features", false, start)
	return nil
}

// stageKey identifies the inputs of a trained-model stage; a stage is
// reused only if the key stored beside its files is identical.
type stageKey struct {
	System     string    `json:"system"`
	Experiment string    `json:"experiment"`
	Train      []float64 `json:"train"`
	Seed       uint64    `json:"seed"`
	Sizes      Sizes     `json:"sizes"`
	Stage      string    `json:"stage"`
}

func (r *seedRun) key(e *Experiment, stage string) stageKey {
	return stageKey{System: r.sys.Name, Experiment: e.Name, Train: e.Train, Seed: r.seed, Sizes: r.sizes, Stage: stage}
}

// reusable reports whether marker holds exactly key.
func reusable(marker string, key stageKey) bool {
	b, err := os.ReadFile(marker)
	if err != nil {
		return false
	}
	want, _ := json.MarshalIndent(key, "", "  ")
	return string(b) == string(want)+"\n"
}

func writeMarker(marker string, key stageKey) error {
	return traj.WriteAtomic(marker, func(w io.Writer) error {
		b, err := json.MarshalIndent(key, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	})
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// expRun is one experiment of one seed: trained models and evaluation.
type expRun struct {
	e       *Experiment
	dir     string
	data    *spib.Data
	feat    []float64 // all training frames (Data order), original units
	spibRes struct {
		model   *spib.Model
		history []spib.EpochStats
		stopped string
	}
	methods []*Method
	info    map[string]any
	nEval   int
	// Evaluation results.
	rows  []Row
	plots expPlots
}

// trainSPIB builds the data set and trains (or reloads) phase 1.
func (r *seedRun) trainSPIB(ctx context.Context, x *expRun) error {
	e := x.e
	d := r.d
	var trajs []spib.Trajectory
	x.feat = nil
	for _, t := range e.Train {
		f := r.trainFeat[t]
		n := len(f) / d
		tr := spib.Trajectory{Features: make([][]float64, n), Temp: t}
		for i := range n {
			tr.Features[i] = f[i*d : (i+1)*d]
		}
		trajs = append(trajs, tr)
		x.feat = append(x.feat, f...)
	}
	cfg := spib.Config{
		Lag: r.sizes.Lag, MaxEpochs: r.sizes.SPIBMaxEpochs, Refinements: r.sizes.SPIBRefinements,
		Progress: r.log, ProgressEvery: 15 * time.Second,
	}
	data, err := spib.NewData(trajs, cfg, newRand(DeriveSeed(r.seed, "split/"+e.Name, 0)))
	if err != nil {
		return fmt.Errorf("%s: %w", e.Name, err)
	}
	x.data = data
	modelPath := filepath.Join(x.dir, "spib.model")
	labelsPath := filepath.Join(x.dir, "spib_labels.npy")
	histPath := filepath.Join(x.dir, "spib_history.json")
	marker := filepath.Join(x.dir, "spib.done.json")
	key := r.key(e, "spib")
	start := time.Now()
	if reusable(marker, key) {
		m, err1 := spib.Load(modelPath)
		labels, err2 := traj.ReadNPYInts(labelsPath)
		var hist struct {
			History []spib.EpochStats
			Stopped string
		}
		err3 := readJSON(histPath, &hist)
		if err := errors.Join(err1, err2, err3); err == nil {
			if err := data.SetLabels(labels); err != nil {
				return err
			}
			x.spibRes.model, x.spibRes.history, x.spibRes.stopped = m, hist.History, hist.Stopped
			fmt.Fprintf(r.log, "reuse: %s SPIB model %s (settings match)\n", e.Name, modelPath)
			r.timed(e.Name+"/spib", true, start)
			return nil
		}
	}
	// Initial labels: k-means on the k-means features of all training frames.
	km := make([]float64, 0)
	for _, t := range e.Train {
		km = append(km, r.trainKM[t]...)
	}
	nkm := len(km) / r.kmDim
	k := min(r.sizes.KMeansK, nkm)
	fmt.Fprintf(r.log, "[seed %d] %s: k-means, %d clusters on %d frames\n", r.seed, e.Name, k, nkm)
	kmRes, err := analysis.KMeans(km, r.kmDim, k, newRand(DeriveSeed(r.seed, "kmeans/"+e.Name, 0)), analysis.KMeansConfig{})
	if err != nil {
		return fmt.Errorf("%s: k-means: %w", e.Name, err)
	}
	// k-means labels are per training frame in the same order as Data.
	if err := data.SetLabels(kmRes.Labels); err != nil {
		return fmt.Errorf("%s: initial labels: %w", e.Name, err)
	}
	r.timed(e.Name+"/kmeans", false, start)
	start = time.Now()
	fmt.Fprintf(r.log, "[seed %d] %s: training SPIB on kT %v (%d frames, lag %d)\n", r.seed, e.Name, e.Train, data.N, data.Lag)
	res, err := spib.TrainData(data, cfg, newRand(DeriveSeed(r.seed, "spib/"+e.Name, 0)))
	if err != nil && !errors.Is(err, spib.ErrTooFewStates) {
		return fmt.Errorf("%s: SPIB: %w", e.Name, err)
	}
	if err != nil {
		fmt.Fprintf(r.log, "warning: %s: %v (continuing with the model at that point)\n", e.Name, err)
	}
	x.spibRes.model, x.spibRes.history, x.spibRes.stopped = res.Model, res.History, res.Stopped
	if err := os.MkdirAll(x.dir, 0o755); err != nil {
		return err
	}
	if err := res.Model.Save(modelPath); err != nil {
		return err
	}
	if err := traj.WriteNPYInts(labelsPath, data.Labels); err != nil {
		return err
	}
	if err := traj.WriteJSON(histPath, map[string]any{"History": res.History, "Stopped": res.Stopped}); err != nil {
		return err
	}
	if err := writeMarker(marker, key); err != nil {
		return err
	}
	r.timed(e.Name+"/spib", false, start)
	return ctx.Err()
}

// trainPrior fits (or reloads) the post-hoc diffusion prior on the frozen
// SPIB latents of the training split: the two-stage ablation of D-SPIB
// (same prior network, encoder not trained jointly).
func (r *seedRun) trainPrior(ctx context.Context, x *expRun, zAll []float64) (*diffusion.Prior, []float64, error) {
	e := x.e
	path := filepath.Join(x.dir, "prior.ckpt")
	lossPath := filepath.Join(x.dir, "prior_losses.json")
	marker := filepath.Join(x.dir, "prior.done.json")
	key := r.key(e, "prior")
	start := time.Now()
	if reusable(marker, key) {
		p, err1 := diffusion.Load(path)
		var losses []float64
		err2 := readJSON(lossPath, &losses)
		if err1 == nil && err2 == nil {
			fmt.Fprintf(r.log, "reuse: %s diffusion prior %s (settings match)\n", e.Name, path)
			r.timed(e.Name+"/prior", true, start)
			return p, losses, nil
		}
	}
	src := append([]int(nil), x.data.Src...)
	var frames []int
	for _, p := range x.data.Train {
		frames = append(frames, src[p])
	}
	sort.Ints(frames)
	ld := x.spibRes.model.LatentDim()
	all := make([]float64, 0, len(frames)*ld)
	temps := make([]float64, 0, len(frames))
	for _, f := range frames {
		all = append(all, zAll[f*ld:(f+1)*ld]...)
		temps = append(temps, x.data.Temp[f])
	}
	samples := thin(all, ld, r.sizes.DiffMaxLatents)
	temps = thin(temps, 1, r.sizes.DiffMaxLatents)
	fmt.Fprintf(r.log, "[seed %d] %s: training the diffusion prior on %d frozen SPIB latents, %d epochs\n",
		r.seed, e.Name, len(temps), r.sizes.DiffEpochs)
	cfg := diffusion.TrainConfig{
		Prior:  diffusion.Config{Dim: ld, Exponent: r.sizes.Exponent, Embedding: r.sizes.Embedding},
		Epochs: r.sizes.DiffEpochs,
	}
	p, losses, err := diffusion.Train(samples, temps, cfg, newRand(DeriveSeed(r.seed, "prior/"+e.Name, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: diffusion prior: %w", e.Name, err)
	}
	if err := p.Save(path); err != nil {
		return nil, nil, err
	}
	if err := traj.WriteJSON(lossPath, losses); err != nil {
		return nil, nil, err
	}
	if err := writeMarker(marker, key); err != nil {
		return nil, nil, err
	}
	r.timed(e.Name+"/prior", false, start)
	return p, losses, ctx.Err()
}

// valFeatures returns, per training temperature, the original features of the
// validation frames x_t (sources of the validation pairs), in frame order.
func valFeatures(x *expRun, d int) map[float64][]float64 {
	var frames []int
	for _, p := range x.data.Val {
		frames = append(frames, x.data.Src[p])
	}
	sort.Ints(frames)
	out := map[float64][]float64{}
	for _, f := range frames {
		t := x.data.Temp[f]
		out[t] = append(out[t], x.feat[f*d:(f+1)*d]...)
	}
	return out
}

// buildMethods trains the models of experiment x and lists the methods.
func (r *seedRun) buildMethods(ctx context.Context, x *expRun) error {
	if err := r.trainSPIB(ctx, x); err != nil {
		return err
	}
	m := x.spibRes.model
	if m.LatentDim() != 2 {
		return fmt.Errorf("%s: latent dimension %d, the benchmark compares 2-D latents", x.e.Name, m.LatentDim())
	}
	enc := spibEncoder{m}
	var spibCurves []plots.Curve
	{
		var ep, tr, te []float64
		for _, h := range x.spibRes.history {
			ep = append(ep, float64(h.TotalEpoch))
			tr = append(tr, h.TrainLoss)
			te = append(te, h.TestLoss)
		}
		spibCurves = []plots.Curve{{Label: "SPIB train", X: ep, Y: tr}, {Label: "SPIB test", X: ep, Y: te, Dashed: true}}
	}
	x.methods = append(x.methods, &Method{Name: "SPIB (VampPrior)", Key: "spib", EncKey: "spib", Enc: enc,
		Gen: newVampPrior(m), Curves: spibCurves})

	zAll, _, _, err := m.EncodeData(x.data, runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	prior, losses, err := r.trainPrior(ctx, x, zAll)
	if err != nil {
		return err
	}
	ep := make([]float64, len(losses))
	for i := range ep {
		ep[i] = float64(i + 1)
	}
	x.methods = append(x.methods, &Method{Name: "SPIB + diffusion (frozen encoder)", Key: "spibdm", EncKey: "spib", Enc: enc,
		Gen: priorGen{prior}, TempAware: true, Curves: []plots.Curve{{Label: "diffusion loss (frozen SPIB latents)", X: ep, Y: losses}}})

	x.info["dspib_available"] = Phase2 != nil
	if Phase2 != nil {
		start := time.Now()
		out, err := Phase2(ctx, Phase2Input{Data: x.data, Phase1: m, Sizes: r.sizes,
			Seed: DeriveSeed(r.seed, "dspib/"+x.e.Name, 0), Dir: x.dir, Log: r.log})
		if err != nil {
			return fmt.Errorf("%s: D-SPIB: %w", x.e.Name, err)
		}
		reused, _ := out.Info["reused"].(bool)
		r.timed(x.e.Name+"/dspib", reused, start)
		x.info["dspib"] = out.Info
		x.methods = append(x.methods, &Method{Name: "D-SPIB", Key: "dspib", EncKey: "dspib", Enc: out.Enc,
			Gen: out.Gen, TempAware: true, Curves: out.Curves})
	}
	return nil
}
