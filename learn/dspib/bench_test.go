package dspib

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dspib/dspib/learn/ad"
	"github.com/dspib/dspib/learn/diffusion"
	"github.com/dspib/dspib/learn/spib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lj7Trainer returns a phase-2 trainer at the LJ7 settings of docs/method.md §3:
// n frames of D = 7 features at kT 0.2 and 0.5, 2 states, batch 512,
// M = 16 replicas, the reference noise network 16–64–64–64–64–16 (a = 1,
// smooth embedding). The features are synthetic (the cost does not depend
// on their values).
func lj7Trainer(tb testing.TB, n int) *trainer { return lj7TrainerWorkers(tb, n, 0) }

// lj7TrainerWorkers is lj7Trainer with cfg.SPIB.Workers = workers (0: GOMAXPROCS).
func lj7TrainerWorkers(tb testing.TB, n, workers int) *trainer {
	return lj7TrainerPrec(tb, n, workers, ad.Float64)
}

// lj7TrainerPrec is lj7TrainerWorkers with the noise network's precision.
func lj7TrainerPrec(tb testing.TB, n, workers int, prec ad.Precision) *trainer {
	tb.Helper()
	rng := newRand(1)
	trajs := make([]spib.Trajectory, 2)
	for i, kT := range []float64{0.2, 0.5} {
		trajs[i].KT = kT
		for f := range n / 2 {
			row := make([]float64, 7)
			for j := range row {
				row[j] = rng.NormFloat64()
			}
			trajs[i].Features = append(trajs[i].Features, row)
			trajs[i].Labels = append(trajs[i].Labels, (f/100)%2)
		}
	}
	cfg, err := Config{SPIB: spib.Config{Workers: workers}, Precision: prec}.Validate()
	if err != nil {
		tb.Fatal(err)
	}
	data, err := spib.NewData(trajs, cfg.SPIB, rng)
	if err != nil {
		tb.Fatal(err)
	}
	m := spib.NewModel(cfg.SPIB, 7, 2, data.Std, rng)
	st, err := newFitState(m, data, nil, cfg, rng)
	if err != nil {
		tb.Fatal(err)
	}
	return st.tr
}

// BenchmarkPhase2Epoch times one phase-2 epoch (training pass over the 60 %
// training pairs plus the test evaluation) on 2·10⁴ LJ7-like frames, with
// the noise network in float32 (default) and float64.
//
//	go test ./learn/dspib -run '^$' -bench Phase2Epoch -benchtime 3x -cpu 1,2
//
// Measured 2026-12-04 on the shared 2-core AMD Zen-5-class VM (AVX-512),
// -count 5 at load ≈ 3–5 from other jobs: float32 0.13–0.22 s/epoch on 1
// core (0.15–0.30 on 2), float64 0.48–0.69 s (0.30–0.78). Before the fused
// network: 1.23–1.60 s (2026-11-29).
func BenchmarkPhase2Epoch(b *testing.B) {
	for _, prec := range []ad.Precision{ad.Float32, ad.Float64} {
		b.Run(prec.String(), func(b *testing.B) {
			tr := lj7TrainerPrec(b, 20000, 0, prec)
			defer tr.close()
			start := time.Now()
			e := 0
			for b.Loop() {
				e++
				if _, err := tr.runEpoch(e, start); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/epoch")
		})
	}
}

// BenchmarkPhase2Step is one training step on a full batch of 512 (×16
// replicas) at the LJ7 settings, float32 and float64:
//
//	go test ./learn/dspib -run '^$' -bench Phase2Step -benchtime 40x -cpu 1,2
//
// Measured 2026-12-04 (same machine), interleaved with the code before the
// fused network and with the PyTorch script (one thread, float32)
// at load ≈ 3–5: float32 5.0–5.4 ms per step on 1 core (-count 5 later:
// 4.3–10.9 ms, median 7.3; on 2 cores 4.3–6.3, median 4.4), float64
// 14.5–15.4 ms; before: 37–77 ms; PyTorch 89–116 ms. At load 7–14 all
// of these were 2–5× slower.
func BenchmarkPhase2Step(b *testing.B) {
	for _, prec := range []ad.Precision{ad.Float32, ad.Float64} {
		b.Run(prec.String(), func(b *testing.B) {
			tr := lj7TrainerPrec(b, 4000, 0, prec)
			defer tr.close()
			idx := tr.d.Train[:512]
			for b.Loop() {
				if _, _, _, err := tr.step(idx, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGenerate measures generation throughput at 100 ancestral steps
// with the reference network (samples/s over all cores), float32 and
// float64:
//
//	go test ./learn/dspib -run '^$' -bench Generate -benchtime 3x -cpu 1,2
//
// Measured 2026-12-04 (same machine, interleaved, load ≈ 3–5): float32
// 46.8–47.5·10³ samples/s on one core (the same on two: the second core
// was busy), float64 17.4–19.3·10³; before the fused network
// 10.4–11.0·10³; PyTorch 7.2–9.3·10³.
func BenchmarkGenerate(b *testing.B) {
	for _, prec := range []ad.Precision{ad.Float32, ad.Float64} {
		b.Run(prec.String(), func(b *testing.B) {
			p, err := diffusion.New(diffusion.Config{KTRef: 0.2}, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				b.Fatal(err)
			}
			p.SetPrecision(prec)
			m := &Model{Prior: p}
			const n = 20000
			for b.Loop() {
				if _, err := m.Generate([]float64{0.3}, n, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// TestStepAllocatesNothing: after the first step of a batch size, a
// phase-2 training step allocates nothing, serial or on two workers.
func TestStepAllocatesNothing(t *testing.T) {
	for _, workers := range []int{1, 2} {
		tr := lj7TrainerWorkers(t, 1000, workers)
		defer tr.close()
		idx := tr.d.Train[:300] // three shards, the last one short
		_, _, _, err := tr.step(idx, true)
		require.NoError(t, err)
		assert.Zero(t, testing.AllocsPerRun(3, func() { _, _, _, _ = tr.step(idx, true) }), "workers %d: allocations of a training step", workers)
	}
}

// TestStepWorkersIndependent: training steps on 1 and 3 workers give
// bit-identical parameters and losses (fixed shards, reduced in order).
func TestStepWorkersIndependent(t *testing.T) {
	var params [][]float64
	var losses [][3]float64
	for _, workers := range []int{1, 3} {
		tr := lj7TrainerWorkers(t, 2000, workers)
		defer tr.close()
		var l [3]float64
		for s := range 3 {
			idx := tr.d.Train[s*300 : (s+1)*300]
			var err error
			l[0], l[1], l[2], err = tr.step(idx, true)
			require.NoError(t, err)
		}
		var flat []float64
		for _, p := range tr.ps {
			flat = append(flat, p.Data...)
		}
		params = append(params, flat)
		losses = append(losses, l)
	}
	sameFloats(t, "parameters", params[0], params[1])
	sameFloats(t, "losses", losses[0][:], losses[1][:])
}
