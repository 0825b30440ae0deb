package folderlock

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flock(2) locks belong to an open file, so two locks taken in one process
// through separate files conflict exactly as two processes would.

func TestExclusiveNamesHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	l, err := Exclusive(dir)
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, Name))
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(os.Getpid())+"\n", string(b))

	_, err = Exclusive(dir)
	require.ErrorIs(t, err, ErrLocked)
	assert.Contains(t, err.Error(), "process "+strconv.Itoa(os.Getpid()))
	_, err = Shared(dir)
	require.ErrorIs(t, err, ErrLocked)

	require.NoError(t, l.Release())
	require.NoError(t, l.Release()) // idempotent
	l2, err := Exclusive(dir)
	require.NoError(t, err)
	require.NoError(t, l2.Release())
}

func TestSharedAndNamed(t *testing.T) {
	dir := t.TempDir()
	s1, err := Shared(dir)
	require.NoError(t, err)
	s2, err := Shared(dir)
	require.NoError(t, err, "shared holders coexist")
	n1, err := Named(dir, ".lock_kT0.200")
	require.NoError(t, err)
	n2, err := Named(dir, ".lock_kT0.300")
	require.NoError(t, err, "different parts")
	_, err = Named(dir, ".lock_kT0.200")
	require.ErrorIs(t, err, ErrLocked, "same part twice")

	_, err = Exclusive(dir)
	require.ErrorIs(t, err, ErrLocked, "a whole-folder writer over live parts")
	assert.Contains(t, err.Error(), "their own parts")

	for _, l := range []*Lock{s1, s2, n1, n2} {
		require.NoError(t, l.Release())
	}
	l, err := Exclusive(dir)
	require.NoError(t, err)
	require.NoError(t, l.Release())
	var nilLock *Lock
	assert.NoError(t, nilLock.Release())
}
