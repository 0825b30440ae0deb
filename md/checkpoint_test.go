package md_test

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dspib/dspib/integrators"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/potentials"
)

// sameState reports which of X, V, F, U, Step, Time differ in bits between
// a and b ("" if none).
func sameState(a, b *md.State) string {
	switch {
	case !sameBits(a.X, b.X):
		return "X"
	case !sameBits(a.V, b.V):
		return "V"
	case !sameBits(a.F, b.F):
		return "F"
	case !sameBits([]float64{a.U, a.Time}, []float64{b.U, b.Time}):
		return "U or Time"
	case a.Step != b.Step:
		return "Step"
	}
	return ""
}

// TestCheckpointResumeBitIdentical: N steps straight equal N/2 steps, a
// checkpoint, a "killed" continuation whose output is thrown away, a fresh
// state from LoadCheckpoint (as a new process would build it), and N/2 more
// steps: the same frames, final X, V, F, U, Step, Time and the same next
// random numbers, bit for bit, for every integrator. LJ7 is chaotic, so any
// lost bit of the random or dynamical state would show up in the frames.
func TestCheckpointResumeBitIdentical(t *testing.T) {
	const n, half, stride = 2000, 1000, 50
	cases := []struct {
		name  string
		integ func() md.Integrator
	}{
		{"BAOAB", func() md.Integrator { return &integrators.BAOAB{KT: 0.3, Dt: 0.005, Gamma: 1} }},
		{"Overdamped+Metropolis", func() md.Integrator {
			return &integrators.Overdamped{KT: 0.3, Dt: 2e-4, Gamma: 1, Metropolis: true}
		}},
		{"Overdamped", func() md.Integrator { return &integrators.Overdamped{KT: 0.3, Dt: 2e-4, Gamma: 1} }},
		{"VelocityVerlet", func() md.Integrator { return &integrators.VelocityVerlet{Dt: 0.005} }},
	}
	sys := lj7()
	reps := md.Replicas{System: sys, Temperatures: []float64{0.3}, X0: potentials.LJ7Hexagon(), Seed: 9}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			straight, err := reps.NewReplicaState(0)
			if err != nil {
				t.Fatal(err)
			}
			var want md.MemorySink
			straightInteg := c.integ()
			if err := md.Run(ctx, sys, straightInteg, straight, n, &md.Recorder{Sink: &want, Stride: stride}); err != nil {
				t.Fatal(err)
			}

			path := filepath.Join(t.TempDir(), "ck.bin")
			first, _ := reps.NewReplicaState(0)
			var got md.MemorySink
			ck := &md.Checkpoint{Path: path, Stride: half, NoFinal: true}
			// 300 steps past the checkpoint, then "killed": those frames are lost.
			if err := md.Run(ctx, sys, c.integ(), first, half+300, ck, &md.Recorder{Sink: &got, Stride: stride}); err != nil {
				t.Fatal(err)
			}
			if ck.Written() != 1 {
				t.Fatalf("%d checkpoints written, want 1 (at step %d)", ck.Written(), half)
			}
			got.Data = got.Data[:half/stride*got.FrameLen]

			resumed, err := md.LoadCheckpoint(path, sys)
			if err != nil {
				t.Fatal(err)
			}
			if resumed.Step != half {
				t.Fatalf("restored Step = %d, want %d", resumed.Step, half)
			}
			resumedInteg := c.integ()
			if err := md.Run(ctx, sys, resumedInteg, resumed, n-half, &md.Recorder{Sink: &got, Stride: stride}); err != nil {
				t.Fatal(err)
			}
			if got.Len() != n/stride || !sameBits(got.Data, want.Data) {
				t.Errorf("resumed frames (%d) differ from the straight run's (%d)", got.Len(), want.Len())
			}
			if d := sameState(resumed, straight); d != "" {
				t.Errorf("final %s differs from the straight run", d)
			}
			if a, b := resumed.Rand.Uint64(), straight.Rand.Uint64(); a != b {
				t.Errorf("next random number %x, straight run %x", a, b)
			}
			// MALA's acceptance counters are integrator state: the resumed
			// run counts the moves before the checkpoint too.
			type counter interface{ Acceptance() (int64, int64) }
			if ci, ok := resumedInteg.(counter); ok {
				ra, rp := ci.Acceptance()
				sa, sp := straightInteg.(counter).Acceptance()
				if ra != sa || rp != sp {
					t.Errorf("resumed acceptance %d/%d, straight run %d/%d", ra, rp, sa, sp)
				}
			}
		})
	}

	// The test can fail: the same restore with the stream started afresh
	// (the random state not saved) diverges.
	path := filepath.Join(t.TempDir(), "ck.bin")
	st, _ := reps.NewReplicaState(0)
	in := func() md.Integrator { return &integrators.BAOAB{KT: 0.3, Dt: 0.005, Gamma: 1} }
	if err := md.Run(ctx, sys, in(), st, half, &md.Checkpoint{Path: path}); err != nil {
		t.Fatal(err)
	}
	if err := md.Run(ctx, sys, in(), st, n-half); err != nil {
		t.Fatal(err)
	}
	bad, err := md.LoadCheckpoint(path, sys)
	if err != nil {
		t.Fatal(err)
	}
	bad.SetSource(md.ReplicaSource(9, 0))
	if err := md.Run(ctx, sys, in(), bad, n-half); err != nil {
		t.Fatal(err)
	}
	if sameBits(bad.X, st.X) {
		t.Error("a resume with a fresh random stream reproduced the run: the test cannot detect a lost stream")
	}
}

// drifter is a deterministic fake integrator with state of its own: step k
// adds k·10⁻³ to every coordinate, and Bind resets k like MALA's counters.
// Its trajectory depends on k, so only a resume that restores k (after
// Bind) continues it exactly.
type drifter struct {
	k   uint64
	sys *md.System
}

func (d *drifter) Bind(sys *md.System) error { d.k, d.sys = 0, sys; return nil }
func (d *drifter) Advance(st *md.State, n int) error {
	for range n {
		for j := range st.X {
			st.X[j] += float64(d.k) * 1e-3
		}
		d.k++
		st.Step++
		st.U = d.sys.Potential.Force(st.F, st.X)
	}
	return nil
}
func (d *drifter) MarshalBinary() ([]byte, error) {
	return binary.LittleEndian.AppendUint64(nil, d.k), nil
}
func (d *drifter) UnmarshalBinary(b []byte) error {
	if len(b) != 8 {
		return errors.New("drifter: want 8 bytes")
	}
	d.k = binary.LittleEndian.Uint64(b)
	return nil
}

// Integrator state (encoding.BinaryMarshaler) is saved, restored by Run
// after Bind, and refused by an integrator that cannot take it.
func TestCheckpointIntegratorState(t *testing.T) {
	sys := springSystem(2, 2)
	x0 := []float64{1, 2, 3, 4}
	ctx := context.Background()
	straight := mustState(t, sys, x0, nil, nil)
	if err := md.Run(ctx, sys, &drifter{}, straight, 100); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ck.bin")
	st := mustState(t, sys, x0, nil, nil)
	// No Stride hit: the final checkpoint of a complete run is written.
	if err := md.Run(ctx, sys, &drifter{}, st, 50, &md.Checkpoint{Path: path, Stride: 1000}); err != nil {
		t.Fatal(err)
	}
	resumed, err := md.LoadCheckpoint(path, sys)
	if err != nil {
		t.Fatal(err)
	}
	if err := md.Run(ctx, sys, &drifter{}, resumed, 50); err != nil {
		t.Fatal(err)
	}
	if d := sameState(resumed, straight); d != "" {
		t.Errorf("resumed drifter: %s differs from the straight run", d)
	}
	again, _ := md.LoadCheckpoint(path, sys)
	if err := md.Run(ctx, sys, &stepper{}, again, 1); err == nil || !strings.Contains(err.Error(), "cannot restore") {
		t.Errorf("integrator without UnmarshalBinary: %v, want 'cannot restore'", err)
	}
}

// A cancelled run leaves a checkpoint of the step it stopped at; a run
// stopped by another error leaves none (its state may be inconsistent).
func TestCheckpointOnCancelAndError(t *testing.T) {
	sys := springSystem(1, 1)
	for _, cancelled := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "ck.bin")
		ctx, cancel := context.WithCancel(context.Background())
		boom := errors.New("boom")
		p := &probe{every: 100, onStep: func(st *md.State) error {
			if st.Step == 300 {
				if cancelled {
					cancel()
				} else {
					return boom
				}
			}
			return nil
		}}
		st := mustState(t, sys, []float64{0}, nil, nil)
		err := md.Run(ctx, sys, &stepper{}, st, 1000, p, &md.Checkpoint{Path: path, Stride: 1000})
		cancel()
		if cancelled {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run: %v, want context.Canceled", err)
			}
			// The stepper leaves U stale, which LoadCheckpoint would refuse;
			// read the step (offset 24 of the documented format) directly.
			b, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatalf("no checkpoint after cancellation: %v", rerr)
			}
			if step := int64(binary.LittleEndian.Uint64(b[24:])); step != 300 {
				t.Errorf("checkpoint at step %d, want 300 (where the run stopped)", step)
			}
		} else {
			if !errors.Is(err, boom) {
				t.Fatalf("Run: %v, want boom", err)
			}
			if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
				t.Errorf("checkpoint written after a failed run: %v", serr)
			}
		}
	}
}

// A checkpoint listed before a recorder still fires after it, so Sync sees
// the frame of the checkpoint's own step; Interval skips checkpoints due
// too soon; Written counts them.
func TestCheckpointOrderAndInterval(t *testing.T) {
	sys := springSystem(1, 1)
	var sink md.MemorySink
	clock := time.Unix(0, 0)
	var syncs []int64
	ck := &md.Checkpoint{Path: filepath.Join(t.TempDir(), "ck.bin"), Stride: 10, Interval: 3 * time.Second,
		Now: func() time.Time { return clock },
		Sync: func(st *md.State) error {
			syncs = append(syncs, st.Step)
			if int64(sink.Len()) != st.Step/5 {
				t.Errorf("at step %d the recorder holds %d frames, want %d", st.Step, sink.Len(), st.Step/5)
			}
			return nil
		}}
	tick := &probe{every: 10, onStep: func(*md.State) error { clock = clock.Add(time.Second); return nil }}
	st := mustState(t, sys, []float64{0}, nil, nil)
	// The stepper leaves U stale, which only LoadCheckpoint would notice.
	if err := md.Run(context.Background(), sys, &stepper{}, st, 100, ck, &md.Recorder{Sink: &sink, Stride: 5}, tick); err != nil {
		t.Fatal(err)
	}
	// The clock reads 1 s at step 10, … 10 s at step 100: writes at 3, 6,
	// 9 s (steps 30, 60, 90) and the final one at step 100.
	if want := []int64{30, 60, 90, 100}; !slices.Equal(syncs, want) || ck.Written() != 4 {
		t.Errorf("checkpoints at steps %v (%d written), want %v", syncs, ck.Written(), want)
	}
}

// LoadCheckpoint names what is wrong with a file; a state whose stream
// cannot be saved is refused before the run.
func TestCheckpointRejects(t *testing.T) {
	sys := springSystem(2, 2)
	dir := t.TempDir()
	path := filepath.Join(dir, "ck.bin")
	st := mustState(t, sys, []float64{1, 2, 3, 4}, []float64{0.5, 0, 0, -1}, nil)
	st.SetSource(rand.NewChaCha8([32]byte{1}))
	if err := md.WriteCheckpoint(path, sys, st, nil); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// ChaCha8 round trip: same next numbers.
	back, err := md.LoadCheckpoint(path, sys)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameState(back, st); d != "" || back.Rand.Uint64() != st.Rand.Uint64() {
		t.Errorf("ChaCha8 checkpoint round trip: %q differs or the stream moved", d)
	}

	withCRC := func(b []byte) []byte {
		b = slices.Clone(b[:len(b)-4])
		return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	}
	version := slices.Clone(good)
	binary.LittleEndian.PutUint32(version[8:], 7)
	flipped := slices.Clone(good)
	flipped[60] ^= 1
	cases := []struct {
		name string
		data []byte
		sys  *md.System
		want string
	}{
		{"magic", append([]byte("NOTCKPT\n"), good[8:]...), sys, "not a checkpoint"},
		{"version", withCRC(version), sys, "version 7"},
		{"flipped bit", flipped, sys, "checksum"},
		{"truncated", good[:len(good)-10], sys, "checksum"},
		{"dim", good, springSystem(4, 1), "Dim = 2"},
		{"length", good, springSystem(3, 2), "N·Dim = 4"},
		{"other potential", good, &md.System{Potential: spring{k: 2}, Masses: sys.Masses, Dim: 2}, "different system"},
	}
	for _, c := range cases {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := md.LoadCheckpoint(p, c.sys); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if _, err := md.LoadCheckpoint(filepath.Join(dir, "missing"), sys); err == nil {
		t.Error("missing file: no error")
	}

	noSrc := mustState(t, sys, []float64{1, 2, 3, 4}, nil, newRand(1))
	if err := md.Run(context.Background(), sys, &stepper{}, noSrc, 1, &md.Checkpoint{Path: path}); err == nil || !strings.Contains(err.Error(), "State.Src") {
		t.Errorf("Rand without Src: %v, want an error naming State.Src", err)
	}
	if err := md.WriteCheckpoint(path, sys, noSrc, nil); err == nil || !strings.Contains(err.Error(), "State.Src") {
		t.Errorf("WriteCheckpoint, Rand without Src: %v", err)
	}
	if err := md.Run(context.Background(), sys, &stepper{}, noSrc, 1, &md.Checkpoint{}); err == nil || !strings.Contains(err.Error(), "Path") {
		t.Errorf("empty Path: %v", err)
	}
}

// RunReplicas resumes each replica from its own checkpoint and skips the
// ones it is told to: the resumed replicas end bit-identical to a straight
// run, a skipped one has a nil state, and a checkpoint past Steps is
// refused naming the replica.
func TestReplicasResumeAndSkip(t *testing.T) {
	dir := t.TempDir()
	ckpt := func(i int) string { return filepath.Join(dir, "ck"+string(rune('0'+i))) }
	base := md.Replicas{System: lj7(), Temperatures: []float64{0.2, 0.3, 0.4}, NewIntegrator: baoab,
		X0: potentials.LJ7Hexagon(), Seed: 5, Steps: 1500}
	ctx := context.Background()
	straight, err := md.RunReplicas(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	part := base
	part.Steps = 700
	part.Observers = func(i int, _ float64) []md.Observer { return []md.Observer{&md.Checkpoint{Path: ckpt(i)}} }
	if _, err := md.RunReplicas(ctx, part); err != nil {
		t.Fatal(err)
	}
	rest := base
	rest.Resume = func(i int) (*md.State, error) { return md.LoadCheckpoint(ckpt(i), base.System) }
	rest.Skip = func(i int) bool { return i == 1 }
	got, err := md.RunReplicas(ctx, rest)
	if err != nil {
		t.Fatal(err)
	}
	if got[1] != nil {
		t.Errorf("skipped replica 1 has a state at step %d", got[1].Step)
	}
	for _, i := range []int{0, 2} {
		if d := sameState(got[i], straight[i]); d != "" {
			t.Errorf("resumed replica %d: %s differs from the straight run", i, d)
		}
	}
	short := base
	short.Steps = 500
	short.Resume = rest.Resume
	if _, err := md.RunReplicas(ctx, short); err == nil || !strings.Contains(err.Error(), "replica") || !strings.Contains(err.Error(), "past Replicas.Steps") {
		t.Errorf("checkpoint past Steps: %v", err)
	}
}

// Between checkpoints (Interval not yet elapsed) the observer allocates
// nothing, so it can look at the clock often.
func TestCheckpointObserveAllocs(t *testing.T) {
	sys := springSystem(1, 1)
	st := mustState(t, sys, []float64{0}, nil, nil)
	ck := &md.Checkpoint{Path: filepath.Join(t.TempDir(), "ck.bin"), Interval: time.Hour}
	if err := ck.Start(sys, st, 10); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(100, func() { _ = ck.Observe(st) }); a != 0 {
		t.Errorf("Observe allocates %v times between checkpoints", a)
	}
	if ck.Written() != 0 {
		t.Errorf("%d checkpoints written before Interval elapsed", ck.Written())
	}
}
