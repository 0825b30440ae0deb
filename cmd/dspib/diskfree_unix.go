//go:build unix

package main

import "syscall"

// freeBytes returns the bytes available to this user on the file system of
// dir, and whether it could tell.
func freeBytes(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true
}
