package plots

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg/draw"
)

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.md")
	require.NoError(t, WriteAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "first\n"); return err }))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "first\n", string(got), "content read back")
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm(), "file mode")

	// A failing writer leaves the old content and no temporary file.
	boom := errors.New("boom")
	err = WriteAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "first\n", string(got), "content after a failed write: want the old one")
	checkDir(t, dir, "report.md")

	// Renaming onto a directory fails after the temporary file was written:
	// it must be removed too.
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(sub, "x"), nil, 0o644))
	assert.ErrorContains(t, WriteAtomic(sub, func(w io.Writer) error { return nil }), "sub")
	checkDir(t, dir, "report.md", "sub")

	// A missing directory is reported with the path.
	assert.ErrorContains(t, WriteAtomic(filepath.Join(dir, "nope", "f.png"), func(io.Writer) error { return nil }), "nope")
	assert.ErrorContains(t, WriteAtomic("", func(io.Writer) error { return nil }), "empty path")
	assert.ErrorContains(t, WriteAtomic(path, nil), "nil write")
	checkDir(t, dir, "report.md", "sub")
}

func TestRenderPNGRecoversPanics(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.png")
	err := renderPNG(path, "Test", PanelWidth, PanelHeight, func(draw.Canvas) error { panic("bad range") })
	assert.ErrorContains(t, err, "Test", "bad range")
	checkDir(t, dir)
}
