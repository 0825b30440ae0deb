package traj

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/dspib/dspib/internal/atomicfile"
)

// XYZWriter writes frames of a particle system as extended XYZ (the format
// of ASE and OVITO; https://github.com/libAtoms/extxyz), for
// visualisation. Each frame is
//
//	N
//	Properties=species:S:1:pos:R:3 pbc="F F F" [step=… time=… energy=…]
//	Ar x y z       (N lines)
//
// There is no Lattice key: the systems here are free clusters. Positions
// with dim < 3 are padded with zeros (2-D LJ7 frames get z = 0). Numbers
// are written in the shortest form that reads back to the same float64,
// so ReadXYZ returns exactly what was written.
//
// Like NPYWriter, frames go to path+".part", which Close renames to path;
// Abort removes it. WriteFrame allocates nothing once its line buffer has
// grown to the longest line.
type XYZWriter struct {
	// Species is the element symbol written for every particle ("Ar" if
	// empty). It may be changed between frames.
	Species string

	af     *atomicfile.File
	bw     *bufio.Writer
	n, dim int
	frames int
	line   []byte
	err    error
}

// FrameInfo is optional per-frame information for the XYZ comment line.
// Only the fields whose Has… flag is set are written.
type FrameInfo struct {
	Step   int     // MD step number
	Time   float64 // simulation time [τ]
	Energy float64 // potential energy [ε]

	HasStep, HasTime, HasEnergy bool
}

// CreateXYZ starts an extended-XYZ file for nParticles particles in dim
// dimensions (1, 2 or 3) at path (written as path+".part" until Close).
func CreateXYZ(path string, nParticles, dim int) (*XYZWriter, error) {
	if nParticles < 1 {
		return nil, fmt.Errorf("traj: CreateXYZ %s: nParticles = %d, must be >= 1", path, nParticles)
	}
	if dim < 1 || dim > 3 {
		return nil, fmt.Errorf("traj: CreateXYZ %s: dim = %d, must be 1, 2 or 3", path, dim)
	}
	af, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	return &XYZWriter{af: af, bw: bufio.NewWriterSize(af, 1<<16), n: nParticles, dim: dim,
		line: make([]byte, 0, 128)}, nil
}

// Frames returns the number of frames written.
func (w *XYZWriter) Frames() int { return w.frames }

// WriteFrame writes one frame without step, time or energy; x holds
// N×dim positions [σ], row-major.
func (w *XYZWriter) WriteFrame(x []float64) error { return w.WriteFrameInfo(x, FrameInfo{}) }

// WriteFrameInfo writes one frame with the information in info on its
// comment line. A wrong length or a NaN/Inf coordinate is refused, naming
// the frame, particle and coordinate, and nothing is written.
func (w *XYZWriter) WriteFrameInfo(x []float64, info FrameInfo) error {
	if w.err != nil {
		return fmt.Errorf("traj: frame %d of %s: %w", w.frames, w.af.Path(), w.err)
	}
	if len(x) != w.n*w.dim {
		return fmt.Errorf("traj: frame %d of %s has %d coordinates, want %d particles × %d = %d",
			w.frames, w.af.Path(), len(x), w.n, w.dim, w.n*w.dim)
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("traj: frame %d of %s: particle %d coordinate %d is %v", w.frames, w.af.Path(), i/w.dim, i%w.dim, v)
		}
	}
	for _, v := range [...]float64{info.Time, info.Energy} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("traj: frame %d of %s: time or energy is %v", w.frames, w.af.Path(), v)
		}
	}
	species := w.Species
	if species == "" {
		species = "Ar"
	}
	b := strconv.AppendInt(w.line[:0], int64(w.n), 10)
	b = append(b, "\nProperties=species:S:1:pos:R:3 pbc=\"F F F\""...)
	if info.HasStep {
		b = strconv.AppendInt(append(b, " step="...), int64(info.Step), 10)
	}
	if info.HasTime {
		b = strconv.AppendFloat(append(b, " time="...), info.Time, 'g', -1, 64)
	}
	if info.HasEnergy {
		b = strconv.AppendFloat(append(b, " energy="...), info.Energy, 'g', -1, 64)
	}
	b = append(b, '\n')
	if err := w.write(b); err != nil {
		return err
	}
	for i := range w.n {
		b = append(b[:0], species...)
		for k := range 3 {
			v := 0.0
			if k < w.dim {
				v = x[i*w.dim+k]
			}
			b = strconv.AppendFloat(append(b, ' '), v, 'g', -1, 64)
		}
		b = append(b, '\n')
		if err := w.write(b); err != nil {
			return err
		}
	}
	w.line = b
	w.frames++
	return nil
}

func (w *XYZWriter) write(b []byte) error {
	if _, err := w.bw.Write(b); err != nil {
		w.err = err
		return fmt.Errorf("traj: write frame %d of %s: %w", w.frames, w.af.TempPath(), err)
	}
	return nil
}

// Flush writes buffered frames to the .part file and fsyncs it (for
// checkpoints). The file keeps its .part name until Close.
func (w *XYZWriter) Flush() error {
	if w.err != nil {
		return fmt.Errorf("traj: flush %s: %w", w.af.Path(), w.err)
	}
	if err := w.bw.Flush(); err != nil {
		w.err = err
		return fmt.Errorf("traj: write %s: %w", w.af.TempPath(), err)
	}
	if err := w.af.File().Sync(); err != nil {
		w.err = err
		return fmt.Errorf("traj: fsync %s: %w", w.af.TempPath(), err)
	}
	return nil
}

// Close flushes, fsyncs and renames path+".part" to path. If it fails the
// .part file is left for inspection; Abort removes it.
func (w *XYZWriter) Close() error {
	if w.err != nil {
		return fmt.Errorf("traj: close %s: %w", w.af.Path(), w.err)
	}
	if err := w.bw.Flush(); err != nil {
		w.err = err
		return fmt.Errorf("traj: write %s: %w", w.af.TempPath(), err)
	}
	if err := w.af.Commit(); err != nil {
		w.err = err
		return err
	}
	w.err = atomicfile.ErrFinished
	return nil
}

// Abort removes the .part file; after a successful Close it does nothing.
func (w *XYZWriter) Abort() error {
	w.err = atomicfile.ErrFinished
	return w.af.Abort()
}

// XYZFrame is one frame read by ReadXYZ.
type XYZFrame struct {
	Species []string          // element symbol of each particle
	Pos     []float64         // N×3 positions, row-major [σ]
	Info    map[string]string // comment-line key=value pairs, quotes removed
}

// ReadXYZ reads every frame of an extended-XYZ file. The Properties key of
// each comment line locates the species and pos columns (without it, the
// plain-XYZ layout "species x y z" is assumed); other columns are skipped.
// Errors name the file and line.
func ReadXYZ(path string) ([]XYZFrame, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("traj: %w", err)
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var frames []XYZFrame
	for ln := 0; ln < len(lines); {
		if strings.TrimSpace(lines[ln]) == "" {
			ln++
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(lines[ln]))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("traj: %s line %d: want a particle count, got %q", path, ln+1, lines[ln])
		}
		if n > len(lines)-ln-2 { // not ln+1+n >= len(lines): that overflows for n near MaxInt
			return nil, fmt.Errorf("traj: %s line %d: truncated: frame %d declares %d particles, file ends after %d lines",
				path, ln+1, len(frames), n, len(lines))
		}
		info, err := parseComment(lines[ln+1])
		if err != nil {
			return nil, fmt.Errorf("traj: %s line %d: %w", path, ln+2, err)
		}
		spCol, posCol, nCols, err := xyzColumns(info["Properties"])
		if err != nil {
			return nil, fmt.Errorf("traj: %s line %d: %w", path, ln+2, err)
		}
		fr := XYZFrame{Species: make([]string, n), Pos: make([]float64, 3*n), Info: info}
		for i := range n {
			l := ln + 2 + i
			f := strings.Fields(lines[l])
			if len(f) != nCols {
				return nil, fmt.Errorf("traj: %s line %d: %d columns, want %d", path, l+1, len(f), nCols)
			}
			fr.Species[i] = f[spCol]
			for k := range 3 {
				if fr.Pos[3*i+k], err = strconv.ParseFloat(f[posCol+k], 64); err != nil {
					return nil, fmt.Errorf("traj: %s line %d: coordinate %d: %w", path, l+1, k, err)
				}
			}
		}
		frames = append(frames, fr)
		ln += 2 + n
	}
	return frames, nil
}

// parseComment splits an extended-XYZ comment line into key=value pairs;
// values may be double-quoted, and a bare key means "T".
func parseComment(s string) (map[string]string, error) {
	m := map[string]string{}
	for i := 0; i < len(s); {
		if s[i] == ' ' || s[i] == '\t' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] != '=' && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		key := s[i:j]
		if j == len(s) || s[j] != '=' {
			m[key], i = "T", j
			continue
		}
		j++
		if j < len(s) && s[j] == '"' {
			end := strings.IndexByte(s[j+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in value of %q", key)
			}
			m[key], i = s[j+1:j+1+end], j+end+2
			continue
		}
		k := j
		for k < len(s) && s[k] != ' ' && s[k] != '\t' {
			k++
		}
		m[key], i = s[j:k], k
	}
	return m, nil
}

// xyzColumns finds the species column, the first of three pos columns and
// the total number of columns from a Properties value such as
// "species:S:1:pos:R:3:forces:R:3".
func xyzColumns(props string) (spCol, posCol, nCols int, err error) {
	if props == "" {
		return 0, 1, 4, nil
	}
	f := strings.Split(props, ":")
	if len(f)%3 != 0 {
		return 0, 0, 0, fmt.Errorf("malformed Properties %q", props)
	}
	spCol, posCol = -1, -1
	for i := 0; i < len(f); i += 3 {
		c, err := strconv.Atoi(f[i+2])
		if err != nil || c < 1 {
			return 0, 0, 0, fmt.Errorf("malformed column count %q in Properties %q", f[i+2], props)
		}
		switch {
		case f[i] == "species" && c == 1:
			spCol = nCols
		case f[i] == "pos" && f[i+1] == "R" && c == 3:
			posCol = nCols
		}
		nCols += c
	}
	if spCol < 0 || posCol < 0 {
		return 0, 0, 0, errors.New("Properties " + strconv.Quote(props) + " lacks species:S:1 or pos:R:3")
	}
	return spCol, posCol, nCols, nil
}
