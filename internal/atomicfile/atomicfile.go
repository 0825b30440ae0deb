// Package atomicfile writes files so that a reader sees either the old
// content of a path or the complete new content, never a half-written file.
//
// The bytes go to path+PartSuffix in the same directory; Commit fsyncs the
// data, closes the file, renames it onto path (atomic on POSIX file systems,
// rename(2)) and fsyncs the directory so that the rename survives a crash.
// This is the package's one implementation of atomic file writing: md/traj's
// writers, md's checkpoints, analysis/plots' figures, learn/spib's model
// sidecar, evaluate's report and the benchmarks all call it directly.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// PartSuffix is appended to a destination path to name the file while it is
// being written. Only a successful Commit renames path+PartSuffix to path.
//
// The temporary name is deterministic, not random, so that an interrupted
// streamed run can be found and resumed (see md/traj.OpenAppend).
// Consequently two writers must not target the same path at the same time.
const PartSuffix = ".part"

// ErrFinished is returned by a File (and by writers built on one) used after
// Commit or Abort.
var ErrFinished = errors.New("already closed or aborted")

// Mode is the permission a committed file gets, independent of the umask.
const Mode os.FileMode = 0o644

// File is a file written under a temporary name, path+PartSuffix, in the same
// directory as its destination path, and moved into place by Commit. It is not
// safe for concurrent use.
type File struct {
	f    *os.File
	path string // destination
	tmp  string // path + PartSuffix
	done bool   // Commit or Abort has run
}

// Create creates (or truncates) path+PartSuffix for writing. Nothing appears
// under path until Commit succeeds.
func Create(path string) (*File, error) {
	if path == "" {
		return nil, errors.New("atomicfile: empty path")
	}
	tmp := path + PartSuffix
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, Mode)
	if err != nil {
		return nil, fmt.Errorf("atomicfile: create %s: %w", tmp, err)
	}
	return &File{f: f, path: path, tmp: tmp}, nil
}

// Adopt wraps f, an already open path+PartSuffix (for example one reopened
// to resume an interrupted run), so that Commit moves it onto path. The
// caller must not use f directly afterwards except through File.
func Adopt(f *os.File, path string) *File {
	return &File{f: f, path: path, tmp: path + PartSuffix}
}

// Write appends p to the temporary file.
func (a *File) Write(p []byte) (int, error) {
	if a.done {
		return 0, fmt.Errorf("atomicfile: write %s: %w", a.tmp, ErrFinished)
	}
	return a.f.Write(p)
}

// File returns the open temporary file, for positioned writes (WriteAt) and
// Seek. The caller must not close it.
func (a *File) File() *os.File { return a.f }

// Path returns the destination path.
func (a *File) Path() string { return a.path }

// TempPath returns the path of the temporary file, path+PartSuffix.
func (a *File) TempPath() string { return a.tmp }

// Commit makes the written content durable and visible under the
// destination path: chmod to Mode, fsync, close, rename, fsync of the
// directory. If Commit fails the temporary file is left in place (call Abort
// to remove it).
func (a *File) Commit() error {
	if a.done {
		return fmt.Errorf("atomicfile: commit %s: %w", a.path, ErrFinished)
	}
	if err := a.f.Chmod(Mode); err != nil {
		return fmt.Errorf("atomicfile: chmod %s: %w", a.tmp, err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: fsync %s: %w", a.tmp, err)
	}
	err := a.f.Close()
	a.f = nil
	if err != nil {
		return fmt.Errorf("atomicfile: close %s: %w", a.tmp, err)
	}
	if err := os.Rename(a.tmp, a.path); err != nil {
		return fmt.Errorf("atomicfile: rename %s to %s: %w", a.tmp, a.path, err)
	}
	a.done = true
	return syncDir(filepath.Dir(a.path))
}

// Abort closes and removes the temporary file. The destination path is not
// touched. Abort after a successful Commit does nothing and returns nil, so
// it can be deferred.
func (a *File) Abort() error {
	if a.done {
		return nil
	}
	a.done = true
	var cerr error
	if a.f != nil {
		cerr = a.f.Close()
		a.f = nil
	}
	if err := os.Remove(a.tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("atomicfile: remove %s: %w", a.tmp, err)
	}
	if cerr != nil && !errors.Is(cerr, os.ErrClosed) {
		return fmt.Errorf("atomicfile: close %s: %w", a.tmp, cerr)
	}
	return nil
}

// syncDir fsyncs a directory so that a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: open directory %s for fsync: %w", dir, err)
	}
	err = d.Sync()
	cerr := d.Close()
	if err != nil {
		return fmt.Errorf("atomicfile: fsync directory %s: %w", dir, err)
	}
	if cerr != nil {
		return fmt.Errorf("atomicfile: close directory %s: %w", dir, cerr)
	}
	return nil
}

// Write writes a whole file atomically: write receives a buffered writer
// onto path+PartSuffix; if it returns nil the buffer is flushed and the file
// committed to path, otherwise the temporary file is removed and write's
// error returned unchanged.
func Write(path string, write func(w io.Writer) error) (err error) {
	if write == nil {
		return fmt.Errorf("atomicfile: writing %s: nil write function", path)
	}
	a, err := Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = a.Abort()
		}
	}()
	bw := bufio.NewWriterSize(a, 1<<16)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", a.tmp, err)
	}
	return a.Commit()
}
