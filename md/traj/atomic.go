package traj

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// PartSuffix is appended to a destination path to name the file while it is
// being written. Only a successful Commit (or Close of a writer) renames
// path+PartSuffix to path.
const PartSuffix = ".part"

// errFinished is returned by writers used after Close, Commit or Abort.
var errFinished = errors.New("already closed or aborted")

// AtomicFile is a file written under a temporary name, path+PartSuffix, in
// the same directory as its destination path, and moved into place by
// Commit: fsync the data, close, rename onto path, fsync the directory. On
// POSIX file systems rename is atomic, so path either does not exist (or
// keeps its old content) or holds the complete new content.
//
// The temporary name is deterministic, not random, so that an interrupted
// streamed run can be found and resumed (see OpenAppend). Consequently two
// writers must not target the same path at the same time.
//
// AtomicFile is the one implementation behind every writer of this package.
// It is not safe for concurrent use.
type AtomicFile struct {
	f    *os.File
	path string // destination
	tmp  string // path + PartSuffix
	done bool   // Commit or Abort has run
}

// CreateAtomic creates (or truncates) path+PartSuffix for writing. Nothing
// appears under path until Commit succeeds.
func CreateAtomic(path string) (*AtomicFile, error) {
	if path == "" {
		return nil, errors.New("traj: empty path")
	}
	tmp := path + PartSuffix
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("traj: create %s: %w", tmp, err)
	}
	return &AtomicFile{f: f, path: path, tmp: tmp}, nil
}

// Write appends p to the temporary file.
func (a *AtomicFile) Write(p []byte) (int, error) {
	if a.done {
		return 0, fmt.Errorf("traj: write %s: %w", a.tmp, errFinished)
	}
	return a.f.Write(p)
}

// File returns the open temporary file, for positioned writes (WriteAt) and
// Seek. The caller must not close it.
func (a *AtomicFile) File() *os.File { return a.f }

// Path returns the destination path.
func (a *AtomicFile) Path() string { return a.path }

// TempPath returns the path of the temporary file, path+PartSuffix.
func (a *AtomicFile) TempPath() string { return a.tmp }

// Commit makes the written content durable and visible under the
// destination path: fsync, close, rename, fsync of the directory. If Commit
// fails the temporary file is left in place (call Abort to remove it).
func (a *AtomicFile) Commit() error {
	if a.done {
		return fmt.Errorf("traj: commit %s: %w", a.path, errFinished)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("traj: fsync %s: %w", a.tmp, err)
	}
	err := a.f.Close()
	a.f = nil
	if err != nil {
		return fmt.Errorf("traj: close %s: %w", a.tmp, err)
	}
	if err := os.Rename(a.tmp, a.path); err != nil {
		return fmt.Errorf("traj: rename %s to %s: %w", a.tmp, a.path, err)
	}
	a.done = true
	return syncDir(filepath.Dir(a.path))
}

// Abort closes and removes the temporary file. The destination path is not
// touched. Abort after a successful Commit does nothing and returns nil, so
// it can be deferred.
func (a *AtomicFile) Abort() error {
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
		return fmt.Errorf("traj: remove %s: %w", a.tmp, err)
	}
	if cerr != nil && !errors.Is(cerr, os.ErrClosed) {
		return fmt.Errorf("traj: close %s: %w", a.tmp, cerr)
	}
	return nil
}

// syncDir fsyncs a directory so that a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("traj: open directory %s for fsync: %w", dir, err)
	}
	err = d.Sync()
	cerr := d.Close()
	if err != nil {
		return fmt.Errorf("traj: fsync directory %s: %w", dir, err)
	}
	if cerr != nil {
		return fmt.Errorf("traj: close directory %s: %w", dir, cerr)
	}
	return nil
}

// WriteAtomic writes a whole file atomically: write receives a buffered
// writer onto path+PartSuffix; if it returns nil the buffer is flushed and
// the file committed to path, otherwise the temporary file is removed and
// the error returned.
func WriteAtomic(path string, write func(w io.Writer) error) (err error) {
	a, err := CreateAtomic(path)
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
		return fmt.Errorf("traj: write %s: %w", a.tmp, err)
	}
	return a.Commit()
}
