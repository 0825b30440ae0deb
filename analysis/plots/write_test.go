package plots

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/vg/draw"

	"github.com/dspib/dspib/internal/testdata"
)

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.md")
	if err := WriteAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "first\n"); return err }); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "first\n" {
		t.Fatalf("read back %q, %v; want %q", got, err, "first\n")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}

	// A failing writer leaves the old content and no temporary file.
	boom := errors.New("boom")
	err = WriteAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want it to wrap %v", err, boom)
	}
	if got, _ := os.ReadFile(path); string(got) != "first\n" {
		t.Errorf("after failed write the file holds %q, want the old %q", got, "first\n")
	}
	checkDir(t, dir, "report.md")

	// Renaming onto a directory fails after the temporary file was written:
	// it must be removed too.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	testdata.WantErr(t, WriteAtomic(sub, func(w io.Writer) error { return nil }), "sub")
	checkDir(t, dir, "report.md", "sub")

	// A missing directory is reported with the path.
	testdata.WantErr(t, WriteAtomic(filepath.Join(dir, "nope", "f.png"), func(io.Writer) error { return nil }), "nope")
	testdata.WantErr(t, WriteAtomic("", func(io.Writer) error { return nil }), "empty path")
	testdata.WantErr(t, WriteAtomic(path, nil), "nil write")
	checkDir(t, dir, "report.md", "sub")
}

func TestRenderPNGRecoversPanics(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.png")
	err := renderPNG(path, "Test", PanelWidth, PanelHeight, func(draw.Canvas) error { panic("bad range") })
	testdata.WantErr(t, err, "Test", "bad range")
	checkDir(t, dir)
}
