package manifest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteVerify(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	ok, err := Verify(dir)
	require.NoError(t, err)
	assert.False(t, ok, "no manifest: nothing checked")

	write("spib.ckpt", "model A")
	write("phase1/spib.ckpt", "phase 1 of A")
	write(".lock", "123\n")
	write("x.npy.part", "temporary")
	require.NoError(t, Write(dir))
	ok, err = Verify(dir)
	require.NoError(t, err)
	assert.True(t, ok)

	// Locks, temporaries and unlisted files do not matter.
	write(".lock", "")
	write("new.txt", "later")
	ok, err = Verify(dir)
	require.NoError(t, err)
	assert.True(t, ok)

	// A file of the same size from another model is detected.
	write("phase1/spib.ckpt", "phase 1 of B")
	_, err = Verify(dir)
	require.ErrorIs(t, err, ErrMismatch)
	assert.Contains(t, err.Error(), filepath.Join(dir, "phase1", "spib.ckpt"))

	// So is a missing one.
	require.NoError(t, os.Remove(filepath.Join(dir, "phase1", "spib.ckpt")))
	_, err = Verify(dir)
	require.Error(t, err)

	// A manifest naming a file outside the folder is refused.
	write(Name, `{"format":"dspib-manifest/1","sha256":{"../x":"00"}}`)
	_, err = Verify(dir)
	require.ErrorContains(t, err, "outside the folder")
}
