package experiment

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/md/traj"
)

// DeriveSeed returns a 64-bit seed for the stream named by tag and kT under
// the run seed: FNV-1a of (seed, tag, bits of kT) followed by the SplitMix64
// finaliser (Steele, Lea & Flood, OOPSLA 2014), so that every trajectory,
// split and model draws from its own stream and reusing one stage never shifts
// the random numbers of another.
func DeriveSeed(seed uint64, tag string, kT float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(tag))
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(kT))
	h.Write(b[:])
	z := h.Sum64() + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// TempTag names kT in file names: "kT" and three decimals (0.6 → kT0.600),
// or every digit when three would round it.
func TempTag(kT float64) string {
	short := strconv.FormatFloat(kT, 'f', 3, 64)
	if v, err := strconv.ParseFloat(short, 64); err == nil && v == kT {
		return "kT" + short
	}
	return "kT" + strconv.FormatFloat(kT, 'f', -1, 64)
}

// trajJob is one MD run: a replica at kT streamed to Path.
type trajJob struct {
	Kind   string // "train" or "ref"
	KT     float64
	Frames int // stored frames including burn-in
	Seed   uint64
	Path   string
}

func (j trajJob) label() string { return fmt.Sprintf("%s %s", j.Kind, TempTag(j.KT)) }

// expectedMeta is the metadata a finished run of j writes; reuse compares it.
func expectedMeta(sys *System, j trajJob) *traj.Metadata {
	m := traj.NewMetadata(sys.MetaName)
	m.Temperatures = []float64{j.KT}
	m.Integrator = traj.IntegratorInfo{Name: "BAOAB", Dt: sys.Dt, Gamma: sys.Gamma, Mass: 1}
	m.Seeds = []uint64{j.Seed}
	m.Stride = int(sys.Stride)
	m.Frames = int64(j.Frames)
	m.Steps = int64(j.Frames) * sys.Stride
	m.Files = map[string]string{"positions": filepath.Base(j.Path)}
	m.Extra = map[string]any{"kind": j.Kind, "particles": float64(sys.N), "dim": float64(sys.Dim)}
	return m
}

// sameRun reports whether metadata a and b describe the same run (ignoring
// the creation time and version).
func sameRun(a, b *traj.Metadata) bool {
	if a.System != b.System || len(a.Temperatures) != 1 || len(b.Temperatures) != 1 ||
		a.Temperatures[0] != b.Temperatures[0] || a.Integrator.Name != b.Integrator.Name ||
		a.Integrator.Dt != b.Integrator.Dt || a.Integrator.Gamma != b.Integrator.Gamma ||
		len(a.Seeds) != 1 || len(b.Seeds) != 1 || a.Seeds[0] != b.Seeds[0] ||
		a.Stride != b.Stride || a.Frames != b.Frames || a.Steps != b.Steps {
		return false
	}
	return true
}

// simulate runs every job whose finished trajectory is not already present
// with matching metadata, in parallel (one md.RunReplicas per job, each with
// its own seed so that a reused trajectory never changes another's stream),
// streaming frames to .npy through md/traj and progress to log.
func simulate(ctx context.Context, sys *System, jobs []trajJob, log io.Writer) error {
	var todo []trajJob
	for _, j := range jobs {
		if m, err := traj.ReadMetadata(j.Path + ".json"); err == nil && sameRun(m, expectedMeta(sys, j)) {
			if _, err := os.Stat(j.Path); err == nil {
				fmt.Fprintf(log, "reuse: %s (%s, %d frames, metadata match)\n", j.Path, j.label(), j.Frames)
				continue
			}
		}
		todo = append(todo, j)
	}
	if len(todo) == 0 {
		return nil
	}
	workers := runtime.GOMAXPROCS(0)
	sem := make(chan struct{}, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, j := range todo {
		wg.Add(1)
		go func(j trajJob) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if err := runJob(ctx, sys, j, log); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		}(j)
	}
	wg.Wait()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return ctx.Err()
}

func runJob(ctx context.Context, sys *System, j trajJob, log io.Writer) error {
	if err := os.MkdirAll(filepath.Dir(j.Path), 0o755); err != nil {
		return err
	}
	w, err := traj.Create(j.Path, sys.N*sys.Dim)
	if err != nil {
		return err
	}
	defer w.Abort()
	msys := &md.System{Potential: sys.Potential, Masses: ones(sys.N), Dim: sys.Dim}
	start := time.Now()
	_, err = md.RunReplicas(ctx, md.Replicas{
		System:       msys,
		Temperatures: []float64{j.KT},
		NewIntegrator: func(kT float64) md.Integrator {
			return &integrators.BAOAB{KT: kT, Dt: sys.Dt, Gamma: sys.Gamma}
		},
		X0:    sys.X0,
		Seed:  j.Seed,
		Steps: int64(j.Frames) * sys.Stride,
		Observers: func(int, float64) []md.Observer {
			return []md.Observer{
				&md.Recorder{Sink: w, Stride: sys.Stride},
				&md.Progress{W: log, Label: sys.Name + " " + j.label(), Interval: 15 * time.Second},
			}
		},
		Workers: 1,
	})
	if err != nil {
		return fmt.Errorf("simulate %s: %w", j.label(), err)
	}
	if w.Rows() != j.Frames {
		return fmt.Errorf("simulate %s: wrote %d frames, want %d", j.label(), w.Rows(), j.Frames)
	}
	if err := w.Close(); err != nil {
		return err
	}
	m := expectedMeta(sys, j)
	m.Extra["wall_seconds"] = time.Since(start).Seconds()
	return traj.WriteJSON(j.Path+".json", m)
}

func ones(n int) []float64 {
	m := make([]float64, n)
	for i := range m {
		m[i] = 1
	}
	return m
}

// loadFeatures reads a trajectory, drops burnIn frames and returns its model
// features (frames × d) and k-means features (frames × kmDim).
func loadFeatures(sys *System, path string, burnIn int) (feat []float64, d int, km []float64, kmDim int, err error) {
	data, rows, cols, err := traj.ReadNPY(path)
	if err != nil {
		return nil, 0, nil, 0, err
	}
	if cols != sys.N*sys.Dim {
		return nil, 0, nil, 0, fmt.Errorf("%s: %d columns, want N·Dim = %d", path, cols, sys.N*sys.Dim)
	}
	if rows <= burnIn {
		return nil, 0, nil, 0, fmt.Errorf("%s: %d frames, not more than burn-in %d", path, rows, burnIn)
	}
	data = data[burnIn*cols:]
	return sys.Features(data, rows-burnIn)
}
