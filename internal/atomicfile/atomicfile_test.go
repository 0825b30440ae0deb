package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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

func wantErr(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

// TestWrite: a good write replaces the file with mode 0644; a failing write,
// a rename onto a directory and a missing directory leave the old state and
// no .part file behind.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.txt")
	if err := Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "one"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "one" {
		t.Fatalf("read back %q, %v; want %q", b, err, "one")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != Mode {
		t.Errorf("mode %v, want %v", st.Mode().Perm(), Mode)
	}
	boom := errors.New("boom")
	if err := Write(path, func(w io.Writer) error { io.WriteString(w, "two"); return boom }); !errors.Is(err, boom) {
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
	wantErr(t, Write(sub, func(io.Writer) error { return nil }), "sub")
	wantErr(t, Write(filepath.Join(dir, "nope", "f"), func(io.Writer) error { return nil }), "nope")
	wantErr(t, Write("", func(io.Writer) error { return nil }), "empty path")
	wantErr(t, Write(path, nil), "nil write")
	if got, want := names(t, dir), []string{"a.txt", "sub"}; !slices.Equal(got, want) {
		t.Errorf("directory holds %v, want %v", got, want)
	}
}

// TestCommitAbort: before Commit only the .part file exists; Commit moves it;
// use after Commit reports ErrFinished; Abort removes an uncommitted file.
func TestCommitAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	a, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("x"))
	if got, want := names(t, dir), []string{"f" + PartSuffix}; !slices.Equal(got, want) {
		t.Fatalf("before Commit directory holds %v, want %v", got, want)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, want := names(t, dir), []string{"f"}; !slices.Equal(got, want) {
		t.Fatalf("after Commit directory holds %v, want %v", got, want)
	}
	if _, err := a.Write([]byte("y")); !errors.Is(err, ErrFinished) {
		t.Errorf("Write after Commit: %v, want ErrFinished", err)
	}
	if err := a.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v, want nil", err)
	}
	b, err := Create(path)
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
	err := Write(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "hello\n")
		return err
	})
	b, _ := os.ReadFile(path)
	_, perr := os.Stat(path + PartSuffix)
	fmt.Print(string(b))
	fmt.Println("error:", err, "| .part left:", !errors.Is(perr, os.ErrNotExist))
	// Output:
	// hello
	// error: <nil> | .part left: false
}
