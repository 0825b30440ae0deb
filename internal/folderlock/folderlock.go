// Package folderlock takes advisory locks (flock(2)) on output folders, so
// that two processes never write one folder at once.
//
// A command that writes a folder takes Exclusive on it: a lock on the file
// .lock in the folder, which then holds the PID of the holder. A second
// writer gets an error naming that PID at once (the lock never waits).
// Processes that write disjoint files of one folder at the same time (the
// shards of one simulate run) take Shared on the folder plus an exclusive
// Named lock for their own part (.lock_kT0.200), so that they run together
// while a whole-folder writer is refused as long as any of them runs.
//
// The locks are advisory: they bind dspib processes (and anyone else using
// flock on .lock), not other programs. The kernel releases them when the
// process exits, however it exits (kill -9 included), so no stale lock
// survives a crash; the .lock files themselves stay, harmlessly. On
// network file systems flock may be local to one machine (NFS before Linux
// 2.6.12, some Lustre mounts): there the lock protects only against
// processes on the same node.
package folderlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Name is the lock file of a folder.
const Name = ".lock"

// ErrLocked is wrapped by the error of a lock that another process holds.
var ErrLocked = errors.New("locked by another process")

// Lock is a held lock; Release gives it back.
type Lock struct {
	f    *os.File
	path string
}

// Exclusive locks folder dir (created if missing) for one writer.
func Exclusive(dir string) (*Lock, error) { return lock(dir, Name, true) }

// Shared locks dir for one of several cooperating writers (each also
// holding its own Named lock); it excludes Exclusive holders only.
func Shared(dir string) (*Lock, error) { return lock(dir, Name, false) }

// Named takes the exclusive lock file name (e.g. ".lock_kT0.200") in dir:
// the lock of one part of a folder written by several processes.
func Named(dir, name string) (*Lock, error) { return lock(dir, name, true) }

// Release unlocks (clearing the recorded PID first) and closes the file.
// It is safe on a nil Lock and idempotent.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	_ = f.Truncate(0) // only an exclusive holder wrote a PID; a shared one cannot race it
	err := unlock(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func lock(dir, name string, exclusive bool) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	busy, err := tryLock(f, exclusive)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if busy {
		msg := holder(f, exclusive)
		f.Close()
		return nil, fmt.Errorf("%s is being written by %s (lock %s): %w; wait for it to finish or stop it",
			dir, msg, path, ErrLocked)
	}
	if exclusive {
		if err := writePID(f); err != nil {
			unlock(f)
			f.Close()
			return nil, err
		}
	}
	return &Lock{f: f, path: path}, nil
}

// holder describes who holds the lock f failed to get.
func holder(f *os.File, exclusive bool) string {
	if exclusive {
		// A shared lock succeeds only if the holders are shared ones.
		if busy, err := tryLock(f, false); err == nil && !busy {
			unlock(f)
			return "other processes writing their own parts of it (e.g. simulate -shard)"
		}
	}
	b, err := os.ReadFile(f.Name())
	if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && pid > 0 {
		return "process " + strconv.Itoa(pid)
	}
	return "another process"
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}
