//go:build !unix

package folderlock

import "os"

// Without flock(2) the locks are no-ops: every lock succeeds.
func tryLock(*os.File, bool) (bool, error) { return false, nil }

func unlock(*os.File) error { return nil }
