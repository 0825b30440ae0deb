package traj

import (
	"io"

	"github.com/dspib/dspib/internal/atomicfile"
)

// PartSuffix is appended to a destination path to name the file while it is
// being written. Only a successful Commit (or Close of a writer) renames
// path+PartSuffix to path.
const PartSuffix = atomicfile.PartSuffix

// errFinished is returned by writers used after Close, Commit or Abort.
var errFinished = atomicfile.ErrFinished

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
// AtomicFile is the one implementation behind every writer of this package;
// it is internal/atomicfile.File, shared with analysis/plots. It is not safe
// for concurrent use.
type AtomicFile = atomicfile.File

// CreateAtomic creates (or truncates) path+PartSuffix for writing. Nothing
// appears under path until Commit succeeds.
func CreateAtomic(path string) (*AtomicFile, error) { return atomicfile.Create(path) }

// WriteAtomic writes a whole file atomically: write receives a buffered
// writer onto path+PartSuffix; if it returns nil the buffer is flushed and
// the file committed to path, otherwise the temporary file is removed and
// the error returned.
func WriteAtomic(path string, write func(w io.Writer) error) error {
	return atomicfile.Write(path, write)
}
