package atomicfile_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/dspib/dspib/internal/atomicfile"
	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var n []string
	for _, e := range es {
		n = append(n, e.Name())
	}
	return n
}

// TestWrite: a good write replaces the file with mode 0644; a failing write,
// a rename onto a directory and a missing directory leave the old state and
// no .part file behind.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.txt")
	require.NoError(t, atomicfile.Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "one"); return err }))
	b, err := os.ReadFile(path)
	require.NoError(t, err, "read back")
	require.Equal(t, "one", string(b), "read back")
	st, _ := os.Stat(path)
	assert.Equal(t, atomicfile.Mode, st.Mode().Perm(), "mode")
	boom := errors.New("boom")
	require.ErrorIs(t, atomicfile.Write(path, func(w io.Writer) error { io.WriteString(w, "two"); return boom }), boom)
	b, _ = os.ReadFile(path)
	assert.Equal(t, "one", string(b), "after a failed write the file holds")
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(sub, "x"), nil, 0o644))
	testutil.WantErr(t, atomicfile.Write(sub, func(io.Writer) error { return nil }), "sub")
	testutil.WantErr(t, atomicfile.Write(filepath.Join(dir, "nope", "f"), func(io.Writer) error { return nil }), "nope")
	testutil.WantErr(t, atomicfile.Write("", func(io.Writer) error { return nil }), "empty path")
	testutil.WantErr(t, atomicfile.Write(path, nil), "nil write")
	assert.Equal(t, []string{"a.txt", "sub"}, names(t, dir), "directory holds")
}

// TestCommitAbort: before Commit only the .part file exists; Commit moves it;
// use after Commit reports atomicfile.ErrFinished; Abort removes an uncommitted file.
func TestCommitAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	a, err := atomicfile.Create(path)
	require.NoError(t, err)
	a.Write([]byte("x"))
	require.Equal(t, []string{"f" + atomicfile.PartSuffix}, names(t, dir), "before Commit directory holds")
	require.NoError(t, a.Commit())
	require.Equal(t, []string{"f"}, names(t, dir), "after Commit directory holds")
	_, err = a.Write([]byte("y"))
	assert.ErrorIs(t, err, atomicfile.ErrFinished, "atomicfile.Write after Commit")
	assert.NoError(t, a.Abort(), "Abort after Commit")
	b, err := atomicfile.Create(path)
	require.NoError(t, err)
	require.NoError(t, b.Abort())
	assert.Equal(t, []string{"f"}, names(t, dir), "after Abort directory holds")
}

func Example() {
	dir, _ := os.MkdirTemp("", "atomicfile")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "hello.txt")
	err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "hello\n")
		return err
	})
	b, _ := os.ReadFile(path)
	_, perr := os.Stat(path + atomicfile.PartSuffix)
	fmt.Print(string(b))
	fmt.Println("error:", err, "| .part left:", !errors.Is(perr, os.ErrNotExist))
	// Output:
	// hello
	// error: <nil> | .part left: false
}
