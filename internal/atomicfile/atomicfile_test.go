package atomicfile_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dspib/dspib/internal/atomicfile"
	"github.com/dspib/dspib/internal/testutil"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
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
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "one"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "one" {
		t.Fatalf("read back %q, %v; want %q", b, err, "one")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != atomicfile.Mode {
		t.Errorf("mode %v, want %v", st.Mode().Perm(), atomicfile.Mode)
	}
	boom := errors.New("boom")
	if err := atomicfile.Write(path, func(w io.Writer) error { io.WriteString(w, "two"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	if b, _ := os.ReadFile(path); string(b) != "one" {
		t.Errorf("after a failed write the file holds %q, want %q", b, "one")
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.WantErr(t, atomicfile.Write(sub, func(io.Writer) error { return nil }), "sub")
	testutil.WantErr(t, atomicfile.Write(filepath.Join(dir, "nope", "f"), func(io.Writer) error { return nil }), "nope")
	testutil.WantErr(t, atomicfile.Write("", func(io.Writer) error { return nil }), "empty path")
	testutil.WantErr(t, atomicfile.Write(path, nil), "nil write")
	if got, want := names(t, dir), []string{"a.txt", "sub"}; !slices.Equal(got, want) {
		t.Errorf("directory holds %v, want %v", got, want)
	}
}

// TestCommitAbort: before Commit only the .part file exists; Commit moves it;
// use after Commit reports atomicfile.ErrFinished; Abort removes an uncommitted file.
func TestCommitAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	a, err := atomicfile.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("x"))
	if got, want := names(t, dir), []string{"f" + atomicfile.PartSuffix}; !slices.Equal(got, want) {
		t.Fatalf("before Commit directory holds %v, want %v", got, want)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, want := names(t, dir), []string{"f"}; !slices.Equal(got, want) {
		t.Fatalf("after Commit directory holds %v, want %v", got, want)
	}
	if _, err := a.Write([]byte("y")); !errors.Is(err, atomicfile.ErrFinished) {
		t.Errorf("atomicfile.Write after Commit: %v, want atomicfile.ErrFinished", err)
	}
	if err := a.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v, want nil", err)
	}
	b, err := atomicfile.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Abort(); err != nil {
		t.Fatal(err)
	}
	if got, want := names(t, dir), []string{"f"}; !slices.Equal(got, want) {
		t.Errorf("after Abort directory holds %v, want %v", got, want)
	}
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
