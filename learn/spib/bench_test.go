package spib

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/dspib/dspib/learn/ad"
)

// BenchmarkEpoch times one SPIB epoch on 10⁵ three-hole frames at kT = 1
// (lag 10 frames) with the reference settings (Nonlinear, n1 = n2 = 16,
// d = 2, batch 512): "epoch" = training pass over the 6·10⁴ training pairs
// + test pass over 2·10⁴ pairs + relabelling of the 6·10⁴ training future
// frames, serial; "epoch-2workers" relabels on two goroutines; "train" and
// "relabel" are the parts. K=100 is the first round after k-means with
// K = 100 (docs/method.md §1), K=3 a round after refinement. ns/op is wall time per
// epoch; cpu-s/op the process CPU time, steadier on a shared machine.
//
//	go test -run XXX -bench Epoch -benchtime 10x ./learn/spib/
func BenchmarkEpoch(b *testing.B) {
	for _, k := range []int{100, 3} {
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) { benchEpoch(b, k) })
	}
}

func benchEpoch(b *testing.B, k int) {
	rng := newRand(7)
	trajs := []Trajectory{{Features: threeHole(b, 1, 100000, 10, 7), KT: 1}}
	if err := KMeansLabels(trajs, k, nil, rng); err != nil {
		b.Fatal(err)
	}
	cfg, _ := Config{Lag: 10}.Validate()
	data, err := NewData(trajs, cfg, rng)
	if err != nil {
		b.Fatal(err)
	}
	m := NewModel(cfg, data.D, data.NumStates, data.Std, rng)
	if err := m.SetRepresentatives(initialRepresentatives(data, rng)); err != nil {
		b.Fatal(err)
	}
	tr := &trainer{m: m, d: data, cfg: cfg, rng: rng, tapes: map[int]*ad.Tape{}}
	tr.opt, _ = ad.NewAdam(m.Params(), ad.AdamConfig{LR: cfg.LearningRate})
	_, _, _, _ = tr.epoch(data.Train, true)
	trainDst := make([]int, len(data.Train))
	for i, p := range data.Train {
		trainDst[i] = data.Dst[p]
	}
	m.encodeInto(&tr.enc, data.X, 0, trainDst, 1, false)
	for _, w := range []struct {
		name    string
		workers int
	}{{"epoch", 1}, {"epoch-2workers", 2}} {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			defer cpuMetric(b)()
			for b.Loop() {
				_, _, _, _ = tr.epoch(data.Train, true)
				tr.eval(data.Test)
				m.encodeInto(&tr.enc, data.X, 0, trainDst, w.workers, false)
			}
		})
	}
	b.Run("train", func(b *testing.B) {
		b.ReportAllocs()
		defer cpuMetric(b)()
		for b.Loop() {
			_, _, _, _ = tr.epoch(data.Train, true)
		}
	})
	b.Run("relabel", func(b *testing.B) {
		b.ReportAllocs()
		defer cpuMetric(b)()
		for b.Loop() {
			m.encodeInto(&tr.enc, data.X, 0, trainDst, 1, false)
		}
	})
}

// cpuMetric reports the process CPU time per op (user + system, all
// threads): on a shared, overloaded machine it is a steadier figure than
// wall time. Use as defer cpuMetric(b)().
func cpuMetric(b *testing.B) func() {
	t0 := cpuTime()
	return func() { b.ReportMetric((cpuTime()-t0)/float64(b.N), "cpu-s/op") }
}

func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + 1e-6*float64(t.Usec) }
	return tv(ru.Utime) + tv(ru.Stime)
}

// BenchmarkTrainThreeHole is a full SPIB run with the reference settings
// (docs/method.md §1–2): 10⁵ three-hole frames at kT = 1 (a frame every 0.1 τ),
// k-means K = 100 on (x, y), lag 10 frames (1 τ), zero Config otherwise
// (5 refinements, tolerance 1e−3, patience 5, cap 1000 epochs per round).
// It reports the epochs, the final number of states and the time per run.
//
//	go test -run XXX -bench TrainThreeHole -benchtime 1x ./learn/spib/
func BenchmarkTrainThreeHole(b *testing.B) {
	rng := newRand(21)
	trajs := []Trajectory{{Features: threeHole(b, 1, 100000, 10, 21), KT: 1}}
	if err := KMeansLabels(trajs, 100, []int{0, 1}, rng); err != nil {
		b.Fatal(err)
	}
	defer cpuMetric(b)()
	for b.Loop() {
		res, err := Train(trajs, Config{Lag: 10}, rng)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(res.History)), "epochs")
		b.ReportMetric(float64(res.Model.K), "states")
		b.Logf("rounds %+v populations %v", res.Rounds, res.Populations)
	}
}

// BenchmarkCheckpoint times TrainState.Save of a phase-1 state at the
// reference size (D = 2, K = 100 states, 10⁵ frames of labels, a 30-epoch
// history): what a checkpoint after every epoch costs (dominated by the
// fsync of ad.SaveTensors).
//
//	go test -run XXX -bench Checkpoint -benchtime 20x ./learn/spib/
func BenchmarkCheckpoint(b *testing.B) {
	cfg, _ := Config{}.Validate()
	m := NewModel(cfg, 2, 100, Standardizer{Mean: []float64{0, 0}, Std: []float64{1, 1}}, newRand(1))
	opt, err := ad.NewAdam(m.Params(), ad.AdamConfig{})
	if err != nil {
		b.Fatal(err)
	}
	src := rand.NewPCG(1, 2)
	rb, _ := src.MarshalBinary()
	st := &TrainState{Model: m, Opt: opt, Labels: make([]int, 100000), History: make([]EpochStats, 30), TotalEpoch: 30, RNG: rb}
	path := filepath.Join(b.TempDir(), "spib.ckpt")
	b.ReportAllocs()
	for b.Loop() {
		if err := st.Save(path); err != nil {
			b.Fatal(err)
		}
	}
}
