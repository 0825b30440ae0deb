package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dspib/dspib/analysis"
	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/md/traj"
)

// metadataName is the metadata file of a simulate folder.
const metadataName = "metadata.json"

// Keys of traj.Metadata.Extra written by simulate.
const (
	extraComplete = "complete" // bool: every file listed is final
	extraRNG      = "rng"
	extraX0       = "x0"
	extraN        = "particles"
	extraDim      = "dim"
	extraFeatures = "features"
)

// simFile is one output file of a replica: its role in Metadata.Files
// ("traj_kT0.600") and its name in the folder.
type simFile struct {
	role, name string
	cols       int  // columns of an .npy file; 0 for XYZ
	npy        bool // .npy (shape-checked on reuse) or XYZ
}

// replicaFiles lists the files simulate writes for temperature kT.
func replicaFiles(cfg *simConfig, kT float64) []simFile {
	tag := tempTag(kT)
	spec := cfg.System
	files := []simFile{{role: "traj_" + tag, name: "traj_" + tag + ".npy", cols: spec.n * spec.dim, npy: true}}
	if spec.lj7Features {
		files = append(files,
			simFile{role: "features_" + tag, name: "features_" + tag + ".npy", cols: spec.n, npy: true},
			simFile{role: "moments_" + tag, name: "moments_" + tag + ".npy", cols: 2, npy: true})
	}
	if cfg.XYZ {
		files = append(files, simFile{role: "xyz_" + tag, name: "traj_" + tag + ".xyz"})
	}
	return files
}

// newSimMetadata describes the run of cfg (not yet complete).
func newSimMetadata(cfg *simConfig) (*traj.Metadata, error) {
	spec := cfg.System
	m := traj.NewMetadata(spec.metaName)
	pot, err := json.Marshal(spec.newPotential())
	if err != nil {
		return nil, fmt.Errorf("simulate: encoding the potential's parameters: %w", err)
	}
	m.Potential = pot
	m.Temperatures = slices.Clone(cfg.Temps)
	m.Integrator = traj.IntegratorInfo{Name: cfg.integratorName(), Dt: cfg.Dt, Gamma: cfg.Gamma, Mass: 1}
	m.Seeds = make([]uint64, len(cfg.Temps))
	for i := range m.Seeds {
		m.Seeds[i] = cfg.Seed
	}
	m.Stride = int(cfg.Stride)
	m.Steps = cfg.Steps()
	m.Frames = cfg.Frames
	m.Files = map[string]string{}
	for _, kT := range cfg.Temps {
		for _, f := range replicaFiles(cfg, kT) {
			m.Files[f.role] = f.name
		}
	}
	m.Extra = map[string]any{
		extraComplete: false,
		extraRNG:      "replica i (position in temperatures) uses md.ReplicaRand(seed, i) = PCG(seed, i); initial velocities Maxwell–Boltzmann at its kT from that stream",
		extraX0:       spec.x0(),
		extraN:        spec.n,
		extraDim:      spec.dim,
	}
	if spec.lj7Features {
		m.Extra[extraFeatures] = fmt.Sprintf("features: coordination numbers c_i = Σ_j 1/(1+(r_ij/r0)^8), r0 = %g σ, sorted ascending; moments: μ2, μ3 of c (analysis.FeaturesLJ7)", analysis.LJ7R0)
	}
	return m, nil
}

// writeSimMetadata writes m to dir/metadata.json with Extra["complete"].
func writeSimMetadata(dir string, m *traj.Metadata, complete bool) error {
	m.Extra[extraComplete] = complete
	return traj.WriteJSON(outPath(dir, metadataName), m)
}

// settingsJSON returns the top-level JSON fields of m that define a run's
// output: everything except the creation time and the completion flag.
func settingsJSON(m *traj.Metadata) (map[string]json.RawMessage, error) {
	c := *m
	c.Extra = maps.Clone(m.Extra)
	delete(c.Extra, extraComplete)
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	delete(fields, "created")
	for k, v := range fields {
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return nil, err
		}
		fields[k] = buf.Bytes()
	}
	return fields, nil
}

// metadataDiff lists the settings in which old and cur differ, as
// "field: old → new", in field order.
func metadataDiff(old, cur *traj.Metadata) ([]string, error) {
	a, err := settingsJSON(old)
	if err != nil {
		return nil, err
	}
	b, err := settingsJSON(cur)
	if err != nil {
		return nil, err
	}
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	var diffs []string
	filesDiffer := false
	for _, k := range keys {
		if bytes.Equal(a[k], b[k]) {
			continue
		}
		if k == "files" { // follows from the temperatures, system and -xyz
			filesDiffer = true
			continue
		}
		diffs = append(diffs, fmt.Sprintf("%s: %s in the folder, %s now", k, abbrev(a[k]), abbrev(b[k])))
	}
	if filesDiffer && len(diffs) == 0 {
		diffs = append(diffs, "the output files differ (-xyz given in one run only?)")
	}
	return diffs, nil
}

func abbrev(b []byte) string {
	const max = 60
	if len(b) == 0 {
		return "(absent)"
	}
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// prepareFolder checks cfg.Out before a run and reports which replicas are
// already complete there, and whether the folder holds an earlier run with
// the same settings (reuse), whose checkpoints may then be resumed.
//
//   - A missing or empty folder is created; nothing is done.
//   - A folder whose metadata.json has the same settings (everything but the
//     creation time and completion flag) is reused: a replica is done when
//     all its files exist under their final names and every .npy file has
//     the expected shape. meta.Created takes the old value.
//   - Anything else (other settings, no or unreadable metadata.json) is an
//     error naming -out, unless cfg.Force: then the files the old metadata
//     lists are removed and every replica runs.
func prepareFolder(cfg *simConfig, meta *traj.Metadata, note func(string, ...any)) (done []bool, reuse bool, err error) {
	done = make([]bool, len(cfg.Temps))
	names, err := dirEntries(cfg.Out)
	if err != nil {
		return nil, false, err
	}
	if len(names) == 0 {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return nil, false, fmt.Errorf("-out: %w", err)
		}
		return done, false, nil
	}
	old, err := traj.ReadMetadata(outPath(cfg.Out, metadataName))
	switch {
	case errors.Is(err, os.ErrNotExist):
		if !cfg.Force {
			return nil, false, usagef("-out: %s is not empty (%d entries, e.g. %q) and holds no %s from dspib simulate; choose a new folder or add -force to write into it",
				cfg.Out, len(names), names[0], metadataName)
		}
		note("-force: writing into non-empty %s", cfg.Out)
		return done, false, nil
	case err != nil:
		if !cfg.Force {
			return nil, false, usagef("-out: %v; choose a new folder or add -force to overwrite", err)
		}
		note("-force: ignoring unreadable %s", metadataName)
		return done, false, nil
	}
	diffs, err := metadataDiff(old, meta)
	if err != nil {
		return nil, false, err
	}
	if len(diffs) > 0 {
		if !cfg.Force {
			return nil, false, usagef("-out: %s holds a run with different settings (%s); choose a new folder or add -force to overwrite it",
				cfg.Out, strings.Join(diffs, "; "))
		}
		note("-force: removing the earlier run in %s (%s)", cfg.Out, strings.Join(diffs, "; "))
		return done, false, removeRunFiles(cfg.Out, old)
	}
	meta.Created = old.Created
	for i, kT := range cfg.Temps {
		ok, why := replicaComplete(cfg, kT)
		done[i] = ok
		if ok {
			note("%s: reusing the complete files in %s (same settings)", tempTag(kT), cfg.Out)
		} else {
			note("%s: %s; running it", tempTag(kT), why)
		}
	}
	return done, true, nil
}

// removeRunFiles deletes the files (and their .part versions) that old lists,
// the checkpoints of its temperatures and metadata.json. Only plain names
// inside dir are touched.
func removeRunFiles(dir string, old *traj.Metadata) error {
	names := slices.Sorted(maps.Values(old.Files))
	for _, kT := range old.Temperatures {
		names = append(names, checkpointName(kT))
	}
	names = append(names, metadataName)
	for _, name := range names {
		if name == "" || filepath.Base(name) != name || name == "." || name == ".." {
			return fmt.Errorf("-force: %s lists file %q outside the folder; remove the folder by hand", metadataName, name)
		}
		for _, p := range []string{outPath(dir, name), outPath(dir, name) + traj.PartSuffix} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("-force: %w", err)
			}
		}
	}
	return nil
}

// replicaComplete reports whether every file of the replica at kT is final
// and, for .npy, has cfg.Frames rows of the right width; otherwise why not.
func replicaComplete(cfg *simConfig, kT float64) (bool, string) {
	for _, f := range replicaFiles(cfg, kT) {
		p := outPath(cfg.Out, f.name)
		if !f.npy {
			if _, err := os.Stat(p); err != nil {
				return false, f.name + " missing"
			}
			continue
		}
		rows, cols, err := npyShape(p)
		if err != nil {
			return false, err.Error()
		}
		if int64(rows) != cfg.Frames || cols != f.cols {
			return false, fmt.Sprintf("%s has shape (%d, %d), want (%d, %d)", f.name, rows, cols, cfg.Frames, f.cols)
		}
	}
	return true, ""
}

var npyShapeRE = regexp.MustCompile(`'shape':\s*\((\d+),\s*(\d+)\)`)

// npyShape reads only the header of a 2-D little-endian float64 C-order .npy
// file (NEP 1, versions 1–3) and returns its shape, after checking that the
// file size matches it exactly, so a truncated file is not taken for a
// complete one. It avoids reading a long trajectory just to check it.
func npyShape(path string) (rows, cols int, err error) {
	rows, cols, _, err = npyLayout(path)
	return rows, cols, err
}

// npyLayout is npyShape that also returns the byte offset of the data.
func npyLayout(path string) (rows, cols int, dataOff int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	var pre [10]byte
	if _, err := io.ReadFull(f, pre[:8]); err != nil || string(pre[:6]) != "\x93NUMPY" {
		return 0, 0, 0, fmt.Errorf("%s: not a .npy file", path)
	}
	var hlen, off int64
	if pre[6] == 1 {
		if _, err := io.ReadFull(f, pre[8:10]); err != nil {
			return 0, 0, 0, fmt.Errorf("%s: short header", path)
		}
		hlen, off = int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	} else {
		var l [4]byte
		if _, err := io.ReadFull(f, l[:]); err != nil {
			return 0, 0, 0, fmt.Errorf("%s: short header", path)
		}
		hlen, off = int64(binary.LittleEndian.Uint32(l[:])), 12
	}
	if hlen > 1<<16 {
		return 0, 0, 0, fmt.Errorf("%s: header of %d bytes is too long", path, hlen)
	}
	h := make([]byte, hlen)
	if _, err := io.ReadFull(f, h); err != nil {
		return 0, 0, 0, fmt.Errorf("%s: short header", path)
	}
	hs := string(h)
	if !strings.Contains(hs, "'descr': '<f8'") || !strings.Contains(hs, "'fortran_order': False") {
		return 0, 0, 0, fmt.Errorf("%s: not a C-order float64 array", path)
	}
	m := npyShapeRE.FindStringSubmatch(hs)
	var err1, err2 error
	if m == nil {
		return 0, 0, 0, fmt.Errorf("%s: not a 2-D array", path)
	}
	rows, err1 = strconv.Atoi(m[1])
	cols, err2 = strconv.Atoi(m[2])
	if err1 != nil || err2 != nil {
		return 0, 0, 0, fmt.Errorf("%s: bad shape %s", path, m[0])
	}
	st, err := f.Stat()
	if err != nil {
		return 0, 0, 0, err
	}
	if want := off + hlen + int64(rows)*int64(cols)*8; st.Size() != want {
		return 0, 0, 0, fmt.Errorf("%s: %d bytes, want %d for shape (%d, %d) (truncated?)", path, st.Size(), want, rows, cols)
	}
	return rows, cols, off + hlen, nil
}

// featureChunk is the number of LJ7 frames buffered before their
// coordination features are computed (in parallel) and written: 1024 frames
// of 14 coordinates are 112 KiB, so memory does not grow with the run.
const featureChunk = 1024

// replicaWriter is the md.Observer that streams one replica's frames to its
// files: the trajectory .npy, optionally extended XYZ, and for LJ7 the sorted
// coordination numbers and their moments, computed per chunk of frames so
// that a long run is never held in memory. Files stay .part until commit.
type replicaWriter struct {
	stride    int64
	n, dim    int
	traj      *traj.NPYWriter
	xyz       *traj.XYZWriter
	feat, mom *traj.NPYWriter

	buf, sorted, moments []float64 // LJ7 feature chunk
	nbuf                 int

	frames int64 // frames written
	err    error // first write error (sticky)
}

// newReplicaWriter creates the .part files of the replica at kT.
func newReplicaWriter(cfg *simConfig, kT float64) (w *replicaWriter, err error) {
	spec := cfg.System
	w = &replicaWriter{stride: cfg.Stride, n: spec.n, dim: spec.dim}
	defer func() {
		if err != nil {
			w.abort()
		}
	}()
	for _, f := range replicaFiles(cfg, kT) {
		p := outPath(cfg.Out, f.name)
		switch {
		case !f.npy:
			w.xyz, err = traj.CreateXYZ(p, spec.n, spec.dim)
		case strings.HasPrefix(f.role, "traj_"):
			w.traj, err = traj.Create(p, f.cols)
		case strings.HasPrefix(f.role, "features_"):
			w.feat, err = traj.Create(p, f.cols)
		case strings.HasPrefix(f.role, "moments_"):
			w.mom, err = traj.Create(p, f.cols)
		}
		if err != nil {
			return nil, err
		}
	}
	w.allocFeatures()
	return w, nil
}

// allocFeatures allocates the LJ7 feature chunk buffers if there are
// feature files.
func (w *replicaWriter) allocFeatures() {
	if w.feat != nil {
		w.buf = make([]float64, featureChunk*w.n*w.dim)
		w.sorted = make([]float64, featureChunk*w.n)
		w.moments = make([]float64, featureChunk*2)
	}
}

// checkpointName is the checkpoint of the replica at kT (md.Checkpoint
// format): its state at the last step whose frames are all flushed to the
// .part files. It is removed once the replica's files are final.
func checkpointName(kT float64) string { return "checkpoint_" + tempTag(kT) + ".bin" }

// resumeReplica continues the replica at kT from the checkpoint at ck: it
// loads the state, reopens the .npy .part files and truncates them to the
// checkpoint's frames (a killed run may have flushed more after its last
// checkpoint), and rebuilds the XYZ file from the kept trajectory frames
// (the XYZ format cannot be truncated by frame count without parsing it).
// Any error means the replica must start over.
func resumeReplica(cfg *simConfig, sys *md.System, kT float64, ck string) (w *replicaWriter, st *md.State, err error) {
	st, err = md.LoadCheckpoint(ck, sys)
	if err != nil {
		return nil, nil, err
	}
	if st.Step > cfg.Steps() {
		return nil, nil, fmt.Errorf("checkpoint at step %d is past the run's %d steps", st.Step, cfg.Steps())
	}
	frames := st.Step / cfg.Stride
	spec := cfg.System
	w = &replicaWriter{stride: cfg.Stride, n: spec.n, dim: spec.dim, frames: frames}
	defer func() {
		if err != nil {
			w.abort()
		}
	}()
	var xyzPath, trajPath string
	for _, f := range replicaFiles(cfg, kT) {
		p := outPath(cfg.Out, f.name)
		if !f.npy {
			xyzPath = p
			continue
		}
		nw, err := traj.OpenAppend(p, f.cols)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case strings.HasPrefix(f.role, "traj_"):
			w.traj, trajPath = nw, p
		case strings.HasPrefix(f.role, "features_"):
			w.feat = nw
		case strings.HasPrefix(f.role, "moments_"):
			w.mom = nw
		}
		if int64(nw.Rows()) < frames {
			return nil, nil, fmt.Errorf("%s%s holds %d frames, the checkpoint at step %d needs %d", f.name, traj.PartSuffix, nw.Rows(), st.Step, frames)
		}
		if err := nw.Truncate(int(frames)); err != nil {
			return nil, nil, err
		}
		if err := nw.Flush(); err != nil {
			return nil, nil, err
		}
	}
	if xyzPath != "" {
		if w.xyz, err = rebuildXYZ(cfg, sys, st, trajPath+traj.PartSuffix, xyzPath); err != nil {
			return nil, nil, err
		}
	}
	w.allocFeatures()
	return w, st, nil
}

// rebuildXYZ writes a fresh XYZ .part file holding the frames of the
// trajectory .part file at trajPart up to the checkpointed state st, with
// the step, time and energy the run wrote: the time is re-accumulated step
// by step as the integrators do (t += dt, checked against st.Time bit for
// bit) and the energy recomputed from the frame with the same potential.
func rebuildXYZ(cfg *simConfig, sys *md.System, st *md.State, trajPart, xyzPath string) (xw *traj.XYZWriter, err error) {
	rows, cols, off, err := npyLayout(trajPart)
	if err != nil {
		return nil, err
	}
	if int64(rows) != st.Step/cfg.Stride || cols != sys.Len() {
		return nil, fmt.Errorf("%s has shape (%d, %d), want (%d, %d)", trajPart, rows, cols, st.Step/cfg.Stride, sys.Len())
	}
	f, err := os.Open(trajPart)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	xw, err = traj.CreateXYZ(xyzPath, cfg.System.n, cfg.System.dim)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			xw.Abort()
		}
	}()
	br := bufio.NewReaderSize(f, 1<<16)
	raw := make([]byte, 8*cols)
	x, force := make([]float64, cols), make([]float64, cols)
	t, step := 0.0, int64(0)
	for range rows {
		for end := step + cfg.Stride; step < end; step++ {
			t += cfg.Dt
		}
		if _, err := io.ReadFull(br, raw); err != nil {
			return nil, fmt.Errorf("reading %s: %w", trajPart, err)
		}
		for j := range x {
			x[j] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*j:]))
		}
		u := sys.Potential.Force(force, x)
		info := traj.FrameInfo{Step: int(step), Time: t, Energy: u, HasStep: true, HasTime: true, HasEnergy: true}
		if err := xw.WriteFrameInfo(x, info); err != nil {
			return nil, err
		}
	}
	for ; step < st.Step; step++ {
		t += cfg.Dt
	}
	if math.Float64bits(t) != math.Float64bits(st.Time) {
		return nil, fmt.Errorf("re-accumulated time %v at step %d differs from the checkpoint's %v", t, st.Step, st.Time)
	}
	return xw, xw.Flush()
}

// sync flushes every file so that it holds exactly the frames up to st.Step
// (features of a partial chunk included) and fsyncs it: md.Checkpoint calls
// it before each checkpoint.
func (w *replicaWriter) sync(st *md.State) error {
	if w.err != nil {
		return w.err
	}
	if want := st.Step / w.stride; w.frames != want {
		return w.fail(fmt.Errorf("simulate: %d frames written at step %d, want %d (internal error)", w.frames, st.Step, want))
	}
	if err := w.flushFeatures(); err != nil {
		return err
	}
	for _, nw := range []*traj.NPYWriter{w.traj, w.feat, w.mom} {
		if nw != nil {
			if err := nw.Flush(); err != nil {
				return w.fail(err)
			}
		}
	}
	if w.xyz != nil {
		if err := w.xyz.Flush(); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// Every implements md.Observer.
func (w *replicaWriter) Every() int64 { return w.stride }

// Observe implements md.Observer: it writes one frame. It allocates nothing
// except when a chunk of LJ7 frames is turned into features.
func (w *replicaWriter) Observe(st *md.State) error {
	if w.err != nil {
		return w.err
	}
	if err := w.traj.WriteRow(st.X); err != nil {
		return w.fail(err)
	}
	if w.xyz != nil {
		info := traj.FrameInfo{Step: int(st.Step), Time: st.Time, Energy: st.U, HasStep: true, HasTime: true, HasEnergy: true}
		if err := w.xyz.WriteFrameInfo(st.X, info); err != nil {
			return w.fail(err)
		}
	}
	if w.feat != nil {
		fl := w.n * w.dim
		copy(w.buf[w.nbuf*fl:(w.nbuf+1)*fl], st.X)
		w.nbuf++
		if w.nbuf == featureChunk {
			if err := w.flushFeatures(); err != nil {
				return err
			}
		}
	}
	w.frames++
	return nil
}

// Flush implements md.Flusher: Run calls it at the end (also after an error
// or cancellation) to turn the last partial chunk into features.
func (w *replicaWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	return w.flushFeatures()
}

func (w *replicaWriter) flushFeatures() error {
	if w.nbuf == 0 || w.feat == nil {
		return nil
	}
	k := w.nbuf
	w.nbuf = 0
	if err := analysis.FeaturesLJ7(w.sorted[:k*w.n], w.moments[:2*k], w.buf[:k*w.n*w.dim], w.n, w.dim); err != nil {
		return w.fail(err)
	}
	for f := range k {
		if err := w.feat.WriteRow(w.sorted[f*w.n : (f+1)*w.n]); err != nil {
			return w.fail(err)
		}
		if err := w.mom.WriteRow(w.moments[2*f : 2*f+2]); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

func (w *replicaWriter) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// commit closes every file, renaming it from .part to its final name.
func (w *replicaWriter) commit() error {
	var errs []error
	for _, nw := range []*traj.NPYWriter{w.feat, w.mom, w.traj} {
		if nw != nil {
			errs = append(errs, nw.Close())
		}
	}
	if w.xyz != nil {
		errs = append(errs, w.xyz.Close())
	}
	return errors.Join(errs...)
}

// abort removes the .part files (used when setting up a run fails).
func (w *replicaWriter) abort() {
	for _, nw := range []*traj.NPYWriter{w.feat, w.mom, w.traj} {
		if nw != nil {
			nw.Abort()
		}
	}
	if w.xyz != nil {
		w.xyz.Abort()
	}
}
