package runstore

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dspib/dspib/internal/manifest"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dspib/dspib/md"
	"github.com/dspib/dspib/md/traj"
	"github.com/dspib/dspib/systems"
)

// MetadataName is the metadata file of a run folder.
const MetadataName = "metadata.json"

// Keys of traj.Metadata.Extra written by Simulate.
const (
	ExtraComplete = "complete" // bool: every file listed is final
	ExtraRNG      = "rng"
	ExtraX0       = "x0"
	ExtraN        = "particles"
	ExtraDim      = "dim"
	ExtraFeatures = "features"
	ExtraLabels   = "labels" // LabelInfo: the k-means label features
	// ExtraStreamIndex lists the PCG stream index of every replica (its
	// seed is in Metadata.Seeds).
	ExtraStreamIndex = "stream_index"
	// ExtraAcceptance maps the TempTag of every replica run by a
	// Metropolis-adjusted integrator (mala) to its AcceptanceInfo. It is a
	// result, not a setting: folders are compared without it.
	ExtraAcceptance = "acceptance"
	// ExtraChecksums maps the name of every output file of a completed
	// run (or shard marker: of its temperature) to its SHA-256 in hex,
	// computed when the run completes. Open checks them, so a data file
	// replaced afterwards (by another run's file of the same shape) is
	// detected; a rerun that would reuse it runs that temperature again.
	ExtraChecksums = "sha256"
)

// LabelInfo records in the metadata which features the initial k-means
// labels use (docs/method.md §1) and how: File is the stem of their files ("traj"
// when the positions are the label features), Names their columns, and
// Standardize whether k-means runs on them standardised per column.
type LabelInfo struct {
	File        string   `json:"file"`
	Names       []string `json:"names,omitempty"`
	Standardize bool     `json:"standardize"`
}

// String describes the label features, e.g. "moments files: μ2, μ3,
// standardised".
func (li LabelInfo) String() string {
	s := li.File + " files"
	if len(li.Names) > 0 {
		s += ": " + strings.Join(li.Names, ", ")
	}
	if li.Standardize {
		s += ", standardised"
	}
	return s
}

func labelInfo(s *systems.System) LabelInfo {
	li := LabelInfo{File: "traj", Names: s.LabelNames, Standardize: s.StandardizeLabels}
	if s.Featurizer != nil {
		li.File = s.Featurizer.LabelFile
	}
	return li
}

// simFile is one output file of a replica: its role in Metadata.Files
// ("traj_kT0.600") and its name in the folder.
type simFile struct {
	kind       int
	role, name string
	cols       int  // columns of an .npy file; 0 for XYZ
	npy        bool // .npy (shape-checked on reuse) or XYZ
}

// Kinds of files of a replica (simFile.kind).
const (
	kindTraj = iota
	kindEnergy
	kindFeatures
	kindLabels
	kindXYZ
)

// replicaFiles lists the files Simulate writes for temperature kT.
func replicaFiles(cfg *Config, kT float64) []simFile {
	tag := traj.TempTag(kT)
	s := cfg.System
	npy := func(kind int, stem string, cols int) simFile {
		return simFile{kind: kind, role: stem + "_" + tag, name: stem + "_" + tag + ".npy", cols: cols, npy: true}
	}
	files := []simFile{npy(kindTraj, "traj", s.Len()), npy(kindEnergy, "energy", 1)}
	if fz := s.Featurizer; fz != nil {
		files = append(files, npy(kindFeatures, "features", fz.Dim), npy(kindLabels, fz.LabelFile, fz.LabelDim))
	}
	if cfg.XYZ {
		files = append(files, simFile{kind: kindXYZ, role: "xyz_" + tag, name: "traj_" + tag + ".xyz"})
	}
	return files
}

// newMetadata describes the run of cfg (not yet complete).
func newMetadata(cfg *Config) (*traj.Metadata, error) {
	s := cfg.System
	name := s.MetaName
	if name == "" {
		name = s.Name
	}
	m := traj.NewMetadata(name)
	pot, err := s.PotentialJSON()
	if err != nil {
		return nil, err
	}
	m.Potential = pot
	m.Temperatures = slices.Clone(cfg.Temperatures)
	in, err := lookupIntegrator(cfg.Integrator)
	if err != nil {
		return nil, err
	}
	m.Integrator = traj.IntegratorInfo{Name: in.meta, Dt: cfg.Dt, Gamma: cfg.Gamma, Mass: s.Masses()[0]}
	m.Seeds = make([]uint64, len(cfg.Temperatures))
	for i := range m.Seeds {
		m.Seeds[i] = cfg.seed(i)
	}
	m.Stride = int(cfg.Stride)
	m.Steps = cfg.Steps()
	m.Frames = cfg.Frames
	m.Files = map[string]string{}
	for _, kT := range cfg.Temperatures {
		for _, f := range replicaFiles(cfg, kT) {
			m.Files[f.role] = f.name
		}
	}
	m.Extra = map[string]any{}
	for k, v := range cfg.Extra {
		m.Extra[k] = v
	}
	m.Extra[ExtraComplete] = false
	m.Extra[ExtraRNG] = "replica i draws from the PCG stream (seeds[i], stream_index[i]) = md.ReplicaRand(seeds[i], stream_index[i]); initial velocities Maxwell–Boltzmann at its kT from that stream"
	idx := make([]int, len(cfg.Temperatures))
	for i := range idx {
		idx[i] = cfg.streamIndex(i)
	}
	m.Extra[ExtraStreamIndex] = idx
	m.Extra[ExtraX0] = s.Start()
	m.Extra[ExtraN] = s.N
	m.Extra[ExtraDim] = s.Dim
	m.Extra[ExtraLabels] = labelInfo(s)
	if len(s.FeatureNames) > 0 {
		m.Extra[ExtraFeatures] = s.FeatureNames
	}
	// Round-trip Extra through JSON so that it compares equal with the
	// metadata read back from a folder.
	b, err := json.Marshal(m.Extra)
	if err != nil {
		return nil, fmt.Errorf("runstore: Config.Extra: %w", err)
	}
	m.Extra = nil
	if err := json.Unmarshal(b, &m.Extra); err != nil {
		return nil, err
	}
	return m, nil
}

// writeMetadata writes m to dir/metadata.json with Extra["complete"].
func writeMetadata(dir string, m *traj.Metadata, complete bool) error {
	m.Extra[ExtraComplete] = complete
	delete(m.Extra, ExtraChecksums)
	if complete {
		sums, err := fileChecksums(dir, slices.Sorted(maps.Values(m.Files)))
		if err != nil {
			return err
		}
		m.Extra[ExtraChecksums] = sums
	}
	return traj.WriteJSON(outPath(dir, MetadataName), m)
}

// settingsJSON returns the top-level JSON fields of m that define a run's
// output: everything except the creation time, the completion flag and, in
// a shard marker, the shard's index.
func settingsJSON(m *traj.Metadata) (map[string]json.RawMessage, error) {
	c := *m
	c.Extra = maps.Clone(m.Extra)
	delete(c.Extra, ExtraComplete)
	delete(c.Extra, ExtraShard)      // a shard marker's own index
	delete(c.Extra, ExtraAcceptance) // a result, not a setting
	delete(c.Extra, ExtraChecksums)  // a result too
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

// prepareFolder checks cfg.Dir before a run and reports which replicas are
// already complete there, and whether the folder holds an earlier run with
// the same settings (reuse), whose checkpoints may then be resumed.
//
//   - A missing or empty folder is created; nothing is done.
//   - A folder whose metadata.json (or, without one, whose shard markers:
//     readRunMetadata) has the same settings (everything but the
//     creation time and completion flag) is reused: a replica is done when
//     all its files exist under their final names and every .npy file has
//     the expected shape. meta.Created takes the old value.
//   - Anything else (other settings, no or unreadable metadata.json) is an
//     error naming -out, unless cfg.Force: then the files the old metadata
//     lists are removed and every replica runs.
func prepareFolder(cfg *Config, meta *traj.Metadata, note func(string, ...any)) (done []bool, reuse bool, err error) {
	done = make([]bool, len(cfg.Temperatures))
	names, err := dirEntries(cfg.Dir)
	if err != nil {
		return nil, false, err
	}
	if len(names) == 0 {
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return nil, false, fmt.Errorf("-out: %w", err)
		}
		return done, false, nil
	}
	old, _, err := readRunMetadata(cfg.Dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if !cfg.Force {
			return nil, false, fmt.Errorf("%w: %s is not empty (%d entries, e.g. %q) and holds no %s of a run; choose a new folder or force (-force) writing into it", ErrFolder,
				cfg.Dir, len(names), names[0], MetadataName)
		}
		note("force: writing into non-empty %s", cfg.Dir)
		return done, false, nil
	case err != nil:
		if !cfg.Force {
			return nil, false, fmt.Errorf("%w: %v; choose a new folder or force (-force) overwriting it", ErrFolder, err)
		}
		note("force: ignoring unreadable %s", MetadataName)
		return done, false, nil
	}
	diffs, err := metadataDiff(old, meta)
	if err != nil {
		return nil, false, err
	}
	if len(diffs) > 0 {
		if !cfg.Force {
			return nil, false, fmt.Errorf("%w: %s holds a run with different settings (%s); choose a new folder or force (-force) overwriting it", ErrFolder,
				cfg.Dir, strings.Join(diffs, "; "))
		}
		note("force: removing the earlier run in %s (%s)", cfg.Dir, strings.Join(diffs, "; "))
		return done, false, removeRunFiles(cfg.Dir, old)
	}
	meta.Created = old.Created
	for i, kT := range cfg.Temperatures {
		ok, why := replicaComplete(cfg, kT)
		done[i] = ok
		if ok {
			note("%s: reusing the complete files in %s (same settings)", traj.TempTag(kT), cfg.Dir)
		} else {
			note("%s: %s; running it", traj.TempTag(kT), why)
		}
	}
	return done, true, nil
}

// removeRunFiles deletes the files (and their .part versions) that old lists,
// the checkpoints and shard markers of its temperatures and metadata.json. Only plain names
// inside dir are touched.
func removeRunFiles(dir string, old *traj.Metadata) error {
	names := slices.Sorted(maps.Values(old.Files))
	for _, kT := range old.Temperatures {
		names = append(names, checkpointName(kT), ShardMarkerName(kT))
	}
	names = append(names, MetadataName)
	for _, name := range names {
		if name == "" || filepath.Base(name) != name || name == "." || name == ".." {
			return fmt.Errorf("%w: %s lists file %q outside the folder; remove the folder by hand", ErrFolder, MetadataName, name)
		}
		for _, p := range []string{outPath(dir, name), outPath(dir, name) + traj.PartSuffix} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("runstore: %w", err)
			}
		}
	}
	return nil
}

// fileChecksums returns the SHA-256 of the files names in dir.
func fileChecksums(dir string, names []string) (map[string]string, error) {
	sums := map[string]string{}
	for _, name := range names {
		s, err := manifest.SHA256File(outPath(dir, name))
		if err != nil {
			return nil, fmt.Errorf("runstore: checksum: %w", err)
		}
		sums[name] = s
	}
	return sums, nil
}

// checksumMismatch returns the first file of names whose SHA-256 differs
// from the one recorded in sums (ExtraChecksums as decoded from JSON; files
// without a record are not checked), with a message saying so, or "".
func checksumMismatch(dir string, sums any, names []string) string {
	rec, _ := sums.(map[string]any)
	for _, name := range names {
		want, ok := rec[name].(string)
		if !ok {
			continue
		}
		got, err := manifest.SHA256File(outPath(dir, name))
		if err != nil {
			return err.Error()
		}
		if got != want {
			return fmt.Sprintf("%s: SHA-256 %.12s… differs from %.12s… recorded when the run completed: the file was replaced or changed since", outPath(dir, name), got, want)
		}
	}
	return ""
}

// replicaComplete reports whether every file of the replica at kT is final
// and, for .npy, has cfg.Frames rows of the right width, and matches the
// checksum the folder's metadata records for it if any; otherwise why not.
func replicaComplete(cfg *Config, kT float64) (bool, string) {
	var names []string
	for _, f := range replicaFiles(cfg, kT) {
		names = append(names, f.name)
	}
	if old, _, err := readRunMetadata(cfg.Dir); err == nil {
		if why := checksumMismatch(cfg.Dir, old.Extra[ExtraChecksums], names); why != "" {
			return false, why
		}
	}
	for _, f := range replicaFiles(cfg, kT) {
		p := outPath(cfg.Dir, f.name)
		if !f.npy {
			if _, err := os.Stat(p); err != nil {
				return false, f.name + " missing"
			}
			continue
		}
		rows, cols, _, err := traj.Layout(p)
		if err != nil {
			return false, err.Error()
		}
		if int64(rows) != cfg.Frames || cols != f.cols {
			return false, fmt.Sprintf("%s has shape (%d, %d), want (%d, %d)", f.name, rows, cols, cfg.Frames, f.cols)
		}
	}
	return true, ""
}

// featureChunk is the number of frames buffered before their features are
// computed (in parallel, by the featuriser) and written: 1024 LJ7 frames of
// 14 coordinates are 112 KiB, so memory does not grow with the run.
const featureChunk = 1024

// replicaWriter is the md.Observer that streams one replica's frames to its
// files: the trajectory and energy .npy, optionally extended XYZ, and with a
// featuriser the model and label features, computed per chunk of frames so
// that a long run is never held in memory. Files stay .part until commit.
type replicaWriter struct {
	stride int64
	sys    *systems.System
	traj   *traj.NPYWriter
	energy *traj.NPYWriter
	xyz    *traj.XYZWriter
	feat   *traj.NPYWriter
	label  *traj.NPYWriter

	buf, fbuf, lbuf []float64 // feature chunk: frames, features, labels
	nbuf            int
	u               [1]float64

	frames int64 // frames written
	err    error // first write error (sticky)
}

// npyWriters lists the replica's .npy writers (nil entries included).
func (w *replicaWriter) npyWriters() []*traj.NPYWriter {
	return []*traj.NPYWriter{w.feat, w.label, w.energy, w.traj}
}

// setNPY stores nw as the writer of kind.
func (w *replicaWriter) setNPY(kind int, nw *traj.NPYWriter) {
	switch kind {
	case kindTraj:
		w.traj = nw
	case kindEnergy:
		w.energy = nw
	case kindFeatures:
		w.feat = nw
	case kindLabels:
		w.label = nw
	}
}

// newReplicaWriter creates the .part files of the replica at kT.
func newReplicaWriter(cfg *Config, kT float64) (w *replicaWriter, err error) {
	s := cfg.System
	w = &replicaWriter{stride: cfg.Stride, sys: s}
	defer func() {
		if err != nil {
			w.abort()
		}
	}()
	for _, f := range replicaFiles(cfg, kT) {
		p := outPath(cfg.Dir, f.name)
		if !f.npy {
			if w.xyz, err = traj.CreateXYZ(p, s.N, s.Dim); err != nil {
				return nil, err
			}
			continue
		}
		nw, err := traj.Create(p, f.cols)
		if err != nil {
			return nil, err
		}
		w.setNPY(f.kind, nw)
	}
	w.allocFeatures()
	return w, nil
}

// allocFeatures allocates the feature chunk buffers if there are feature
// files.
func (w *replicaWriter) allocFeatures() {
	if fz := w.sys.Featurizer; fz != nil {
		w.buf = make([]float64, featureChunk*w.sys.Len())
		w.fbuf = make([]float64, featureChunk*fz.Dim)
		w.lbuf = make([]float64, featureChunk*fz.LabelDim)
	}
}

// checkpointName is the checkpoint of the replica at kT (md.Checkpoint
// format): its state at the last step whose frames are all flushed to the
// .part files. It is removed once the replica's files are final.
func checkpointName(kT float64) string { return "checkpoint_" + traj.TempTag(kT) + ".bin" }

// resumeReplica continues the replica at kT from the checkpoint at ck: it
// loads the state, reopens the .npy .part files and truncates them to the
// checkpoint's frames (a killed run may have flushed more after its last
// checkpoint), and rebuilds the XYZ file from the kept trajectory frames
// (the XYZ format cannot be truncated by frame count without parsing it).
// Any error means the replica must start over.
func resumeReplica(cfg *Config, sys *md.System, kT float64, ck string) (w *replicaWriter, st *md.State, err error) {
	st, err = md.LoadCheckpoint(ck, sys)
	if err != nil {
		return nil, nil, err
	}
	if st.Step > cfg.Steps() {
		return nil, nil, fmt.Errorf("checkpoint at step %d is past the run's %d steps", st.Step, cfg.Steps())
	}
	frames := st.Step / cfg.Stride
	w = &replicaWriter{stride: cfg.Stride, sys: cfg.System, frames: frames}
	defer func() {
		if err != nil {
			w.abort()
		}
	}()
	var xyzPath, trajPath string
	for _, f := range replicaFiles(cfg, kT) {
		p := outPath(cfg.Dir, f.name)
		if !f.npy {
			xyzPath = p
			continue
		}
		nw, err := traj.OpenAppend(p, f.cols)
		if err != nil {
			return nil, nil, err
		}
		w.setNPY(f.kind, nw)
		if f.kind == kindTraj {
			trajPath = p
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
func rebuildXYZ(cfg *Config, sys *md.System, st *md.State, trajPart, xyzPath string) (xw *traj.XYZWriter, err error) {
	rows, cols, off, err := traj.Layout(trajPart)
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
	xw, err = traj.CreateXYZ(xyzPath, cfg.System.N, cfg.System.Dim)
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
		return w.fail(fmt.Errorf("runstore: %d frames written at step %d, want %d (internal error)", w.frames, st.Step, want))
	}
	if err := w.flushFeatures(); err != nil {
		return err
	}
	for _, nw := range w.npyWriters() {
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

// Observe implements md.Observer: it writes one frame and its potential
// energy st.U. It allocates nothing except when a chunk of frames is turned
// into features.
func (w *replicaWriter) Observe(st *md.State) error {
	if w.err != nil {
		return w.err
	}
	if err := w.traj.WriteRow(st.X); err != nil {
		return w.fail(err)
	}
	w.u[0] = st.U
	if err := w.energy.WriteRow(w.u[:]); err != nil {
		return w.fail(err)
	}
	if w.xyz != nil {
		info := traj.FrameInfo{Step: int(st.Step), Time: st.Time, Energy: st.U, HasStep: true, HasTime: true, HasEnergy: true}
		if err := w.xyz.WriteFrameInfo(st.X, info); err != nil {
			return w.fail(err)
		}
	}
	if w.feat != nil {
		fl := len(st.X)
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
	fz := w.sys.Featurizer
	d, l := fz.Dim, fz.LabelDim
	if err := fz.Compute(w.fbuf[:k*d], w.lbuf[:k*l], w.buf[:k*w.sys.Len()], k); err != nil {
		return w.fail(err)
	}
	for f := range k {
		if err := w.feat.WriteRow(w.fbuf[f*d : (f+1)*d]); err != nil {
			return w.fail(err)
		}
		if err := w.label.WriteRow(w.lbuf[f*l : (f+1)*l]); err != nil {
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
	for _, nw := range w.npyWriters() {
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
	for _, nw := range w.npyWriters() {
		if nw != nil {
			nw.Abort()
		}
	}
	if w.xyz != nil {
		w.xyz.Abort()
	}
}

// AcceptanceInfo is the Metropolis acceptance of one replica over its whole
// run (resumes included), as recorded under ExtraAcceptance.
type AcceptanceInfo struct {
	Accepted int64   `json:"accepted"`
	Proposed int64   `json:"proposed"`
	Rate     float64 `json:"rate"` // Accepted/Proposed
}

// previousAcceptance returns the acceptance recorded in cfg.Dir's metadata
// file name (metadata.json, or a shard's marker) for the replicas already
// done there (an empty map if none).
func previousAcceptance(cfg *Config, name string, done []bool) map[string]AcceptanceInfo {
	out := map[string]AcceptanceInfo{}
	old, err := traj.ReadMetadata(outPath(cfg.Dir, name))
	if err != nil {
		return out
	}
	raw, err := json.Marshal(old.Extra[ExtraAcceptance])
	if err != nil {
		return out
	}
	var prev map[string]AcceptanceInfo
	if json.Unmarshal(raw, &prev) != nil {
		return out
	}
	for i, kT := range cfg.Temperatures {
		if a, ok := prev[traj.TempTag(kT)]; ok && done[i] {
			out[traj.TempTag(kT)] = a
		}
	}
	return out
}
