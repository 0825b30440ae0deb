package md

import (
	"bytes"
	"context"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/dspib/dspib/internal/atomicfile"
)

// Checkpoint file format, version 1. A checkpoint holds everything needed to
// continue a run bit for bit (OpenMM's Context checkpoints likewise include
// the random state; Eastman et al., PLoS Comput. Biol. 13, e1005659 (2017)).
// All numbers are little-endian; floats are IEEE-754 binary64 bit patterns,
// so every value round-trips exactly. With n = N·Dim:
//
//	offset      size  field
//	0           8     magic "MDCHKPT\n"
//	8           4     uint32 format version (1)
//	12          4     uint32 Dim
//	16          8     uint64 n = N·Dim, the length of X, V and F
//	24          8     int64 Step
//	32          8     float64 Time [τ]
//	40          8     float64 U [ε]
//	48          8n    X [σ], N×Dim row-major
//	48+8n       8n    V [σ/τ]
//	48+16n      8n    F [ε/σ]
//	48+24n      4     uint32 r, length of the random state (0: State.Rand nil)
//	52+24n      r     State.Src.MarshalBinary() ("pcg:…" or "chacha8:…")
//	…           4     uint32 g, length of the integrator state (0: none)
//	…           g     the integrator's MarshalBinary(), if it has one
//	…           4     uint32 CRC-32 (IEEE) of every preceding byte
//
// The file is written with atomicfile.Write (temporary name, fsync,
// rename), so a crash leaves either the previous checkpoint or the new one.
const (
	checkpointMagic   = "MDCHKPT\n"
	checkpointVersion = 1
	checkpointHeader  = 48
	maxBlob           = 1 << 20 // sanity bound on the random and integrator states
)

// Checkpoint is an Observer that saves the run's state every Stride steps
// to Path, in the format documented above, so that LoadCheckpoint can
// continue the run later, in another process, exactly as if it had never
// stopped. It saves X, V, F, U, Step, Time, the random stream's state
// (State.Src) and, if the integrator implements encoding.BinaryMarshaler,
// the integrator's own state (Run hands the integrator to the Checkpoint).
//
// Run fires checkpoints after every other observer due at the same step, and
// Sync (if set) runs before each write: a trajectory writer flushed there
// holds exactly the frames up to the checkpoint's step, and a resumed run
// appends after them. When the run ends normally or by cancellation,
// Checkpoint also writes the final state (unless NoFinal), so an
// interrupted run loses nothing; after any other error it writes nothing,
// because the state or the output may be inconsistent.
type Checkpoint struct {
	// Path is the checkpoint file; it is replaced atomically each time.
	Path string
	// Stride is the number of steps between checkpoints (or between looks
	// at the clock if Interval > 0); 0 means 10000.
	Stride int64
	// Interval, if > 0, is the minimum wall time between two checkpoints:
	// a checkpoint due sooner is skipped. 0 writes at every Stride.
	Interval time.Duration
	// Sync, if non-nil, is called before each write, for example to flush
	// trajectory files; an error stops the run and nothing is written.
	Sync func(st *State) error
	// NoFinal disables the checkpoint at the end of a complete or cancelled
	// run.
	NoFinal bool
	// Now returns the wall time; nil means time.Now.
	Now func() time.Time

	integ    Integrator
	sys      *System
	last     time.Time
	lastStep int64
	started  bool
	buf      []byte
	written  int
}

// Every implements Observer.
func (c *Checkpoint) Every() int64 {
	if c.Stride <= 0 {
		return 10000
	}
	return c.Stride
}

func (c *Checkpoint) useIntegrator(in Integrator) { c.integ = in }

func (c *Checkpoint) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Start implements Starter: it refuses an empty Path and a state whose
// random stream cannot be saved.
func (c *Checkpoint) Start(sys *System, st *State, _ int64) error {
	if c.Path == "" {
		return errors.New("md: Checkpoint.Path is empty")
	}
	if st.Rand != nil && st.Src == nil {
		return errors.New("md: Checkpoint: State.Rand is set but State.Src is nil, so the random stream cannot be saved (use State.SetSource or NewReplicaState)")
	}
	c.sys, c.started = sys, true
	c.last, c.lastStep = c.now(), st.Step
	return nil
}

// Observe implements Observer.
func (c *Checkpoint) Observe(st *State) error {
	if !c.started {
		return errors.New("md: Checkpoint used outside Run (Start not called)")
	}
	if c.Interval > 0 && c.now().Sub(c.last) < c.Interval {
		return nil
	}
	return c.write(st)
}

// Finish implements Finisher: after a complete or cancelled run it writes
// the final state, unless NoFinal or it is already saved.
func (c *Checkpoint) Finish(st *State, runErr error) error {
	if c.NoFinal || !c.started || st.Step == c.lastStep {
		return nil
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) {
		return nil
	}
	if err := c.write(st); err != nil {
		return fmt.Errorf("md: final checkpoint at step %d: %w", st.Step, err)
	}
	return nil
}

// Written returns the number of checkpoints written since Start.
func (c *Checkpoint) Written() int { return c.written }

func (c *Checkpoint) write(st *State) error {
	if c.Sync != nil {
		if err := c.Sync(st); err != nil {
			return err
		}
	}
	var err error
	if c.buf, err = appendCheckpoint(c.buf[:0], c.sys.Dim, st, c.integ); err != nil {
		return err
	}
	if err := atomicfile.Write(c.Path, func(w io.Writer) error {
		_, err := w.Write(c.buf)
		return err
	}); err != nil {
		return err
	}
	c.last, c.lastStep = c.now(), st.Step
	c.written++
	return nil
}

// WriteCheckpoint saves st (and the state of integ, if it implements
// encoding.BinaryMarshaler; integ may be nil) to path atomically, in the
// format documented at Checkpoint. The Checkpoint observer does this during
// a run.
func WriteCheckpoint(path string, sys *System, st *State, integ Integrator) error {
	if err := sys.Validate(); err != nil {
		return err
	}
	if err := st.Check(sys); err != nil {
		return err
	}
	if st.Rand != nil && st.Src == nil {
		return errors.New("md: WriteCheckpoint: State.Rand is set but State.Src is nil, so the random stream cannot be saved")
	}
	b, err := appendCheckpoint(nil, sys.Dim, st, integ)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// appendCheckpoint appends the encoding of st to b.
func appendCheckpoint(b []byte, dim int, st *State, integ Integrator) ([]byte, error) {
	le := binary.LittleEndian
	b = append(b, checkpointMagic...)
	b = le.AppendUint32(b, checkpointVersion)
	b = le.AppendUint32(b, uint32(dim))
	b = le.AppendUint64(b, uint64(len(st.X)))
	b = le.AppendUint64(b, uint64(st.Step))
	b = le.AppendUint64(b, math.Float64bits(st.Time))
	b = le.AppendUint64(b, math.Float64bits(st.U))
	for _, s := range [][]float64{st.X, st.V, st.F} {
		for _, v := range s {
			b = le.AppendUint64(b, math.Float64bits(v))
		}
	}
	var rng, ist []byte
	if st.Rand != nil {
		var err error
		if rng, err = st.Src.MarshalBinary(); err != nil {
			return nil, fmt.Errorf("md: checkpoint: saving the random state: %w", err)
		}
	}
	if m, ok := integ.(encoding.BinaryMarshaler); ok {
		var err error
		if ist, err = m.MarshalBinary(); err != nil {
			return nil, fmt.Errorf("md: checkpoint: saving the state of %T: %w", integ, err)
		}
	}
	for _, blob := range [][]byte{rng, ist} {
		if len(blob) > maxBlob {
			return nil, fmt.Errorf("md: checkpoint: state blob of %d bytes exceeds %d", len(blob), maxBlob)
		}
		b = le.AppendUint32(b, uint32(len(blob)))
		b = append(b, blob...)
	}
	return le.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// LoadCheckpoint reads the checkpoint at path and returns the state to
// continue from: X, V, F, U, Step and Time exactly as saved, the random
// stream at the saved position (Rand and Src), and any integrator state,
// which the next Run restores into its integrator after Bind. Passing the
// state to Run with the same integrator settings continues the run bit for
// bit.
//
// It checks the file thoroughly, naming the problem: magic, version,
// checksum, lengths against sys (Dim and N·Dim), finite values, and that
// sys's potential gives the saved energy at the saved positions (relative
// difference ≤ 1e-9), which catches a checkpoint of another system.
func LoadCheckpoint(path string, sys *System) (*State, error) {
	if err := sys.Validate(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("md: LoadCheckpoint: %w", err)
	}
	st, err := decodeCheckpoint(b, sys)
	if err != nil {
		return nil, fmt.Errorf("md: checkpoint %s: %w", path, err)
	}
	return st, nil
}

func decodeCheckpoint(b []byte, sys *System) (*State, error) {
	le := binary.LittleEndian
	if len(b) < checkpointHeader+12 || string(b[:8]) != checkpointMagic {
		return nil, errors.New("not a checkpoint file (bad magic or too short)")
	}
	if v := le.Uint32(b[8:]); v != checkpointVersion {
		return nil, fmt.Errorf("format version %d, this program reads version %d", v, checkpointVersion)
	}
	body, sum := b[:len(b)-4], le.Uint32(b[len(b)-4:])
	if got := crc32.ChecksumIEEE(body); got != sum {
		return nil, fmt.Errorf("checksum %08x, file says %08x: truncated or corrupt", got, sum)
	}
	dim, n := int(le.Uint32(b[12:])), le.Uint64(b[16:])
	if dim != sys.Dim {
		return nil, fmt.Errorf("Dim = %d, System.Dim = %d", dim, sys.Dim)
	}
	if n != uint64(sys.Len()) {
		return nil, fmt.Errorf("N·Dim = %d values per vector, System has %d", n, sys.Len())
	}
	st := &State{
		Step: int64(le.Uint64(b[24:])),
		Time: math.Float64frombits(le.Uint64(b[32:])),
		U:    math.Float64frombits(le.Uint64(b[40:])),
	}
	if st.Step < 0 {
		return nil, fmt.Errorf("Step = %d, want ≥ 0", st.Step)
	}
	p := checkpointHeader
	if uint64(len(body)-p) < 24*n+8 {
		return nil, fmt.Errorf("%d bytes, too short for 3 vectors of %d values", len(b), n)
	}
	for _, dst := range []*[]float64{&st.X, &st.V, &st.F} {
		s := make([]float64, n)
		for j := range s {
			s[j] = math.Float64frombits(le.Uint64(b[p:]))
			p += 8
		}
		*dst = s
	}
	var blobs [2][]byte
	for k := range blobs {
		if len(body)-p < 4 {
			return nil, errors.New("truncated before the random/integrator state")
		}
		l := int(le.Uint32(b[p:]))
		p += 4
		if l > maxBlob || len(body)-p < l {
			return nil, fmt.Errorf("state blob %d of %d bytes does not fit the file", k, l)
		}
		blobs[k] = bytes.Clone(b[p : p+l])
		p += l
	}
	if p != len(body) {
		return nil, fmt.Errorf("%d unexpected bytes before the checksum", len(body)-p)
	}
	for _, q := range []struct {
		name string
		s    []float64
	}{{"X", st.X}, {"V", st.V}, {"F", st.F}} {
		if err := nonFinite(q.s, dim, "saved "+q.name); err != nil {
			return nil, err
		}
	}
	if math.IsNaN(st.U) || math.IsInf(st.U, 0) || math.IsNaN(st.Time) || math.IsInf(st.Time, 0) {
		return nil, fmt.Errorf("saved U = %v, Time = %v, want finite", st.U, st.Time)
	}
	if rng := blobs[0]; len(rng) > 0 {
		var src Source
		switch {
		case bytes.HasPrefix(rng, []byte("pcg:")):
			src = new(rand.PCG)
		case bytes.HasPrefix(rng, []byte("chacha8:")):
			src = new(rand.ChaCha8)
		default:
			return nil, fmt.Errorf("random state of unknown kind %q", rng[:min(len(rng), 8)])
		}
		if err := src.UnmarshalBinary(rng); err != nil {
			return nil, fmt.Errorf("random state: %w", err)
		}
		st.SetSource(src)
	}
	if len(blobs[1]) > 0 {
		st.integState = blobs[1]
	}
	// Same system? The potential must reproduce the saved energy.
	f := make([]float64, n)
	u := sys.Potential.Force(f, st.X)
	if d := math.Abs(u - st.U); !(d <= 1e-9*(1+math.Abs(st.U))) {
		return nil, fmt.Errorf("the System's potential gives U = %v at the saved positions but the checkpoint says U = %v: saved from a different system?", u, st.U)
	}
	return st, nil
}
