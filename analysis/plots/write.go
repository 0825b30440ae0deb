package plots

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// WriteAtomic creates or replaces the file at path with the bytes produced by
// write. The bytes first go to a temporary file in the same directory
// (".<name>.tmp-*"), which is synced, given mode 0644 and renamed onto path,
// so that readers see either the old file or the complete new one. On any
// error, including one returned by write, the temporary file is removed and
// path is left untouched.
func WriteAtomic(path string, write func(w io.Writer) error) (err error) {
	if path == "" {
		return errors.New("plots: WriteAtomic: empty path")
	}
	if write == nil {
		return errors.New("plots: WriteAtomic: nil write function")
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return fmt.Errorf("plots: WriteAtomic: path %q names a directory", path)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	closed = true
	if err = f.Close(); err != nil {
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	return nil
}

// renderPNG draws a w × h figure at DPI with fn and writes it atomically to
// path as a PNG. Drawing happens in memory before any file is created; a panic
// inside gonum/plot (which signals invalid drawing state by panicking) is
// turned into an error naming the figure.
func renderPNG(path, what string, w, h vg.Length, fn func(dc draw.Canvas) error) (err error) {
	if path == "" {
		return fmt.Errorf("plots: %s: empty path", what)
	}
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
	err = func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("plots: %s: drawing %s: %v", what, path, r)
			}
		}()
		return fn(draw.New(c))
	}()
	if err != nil {
		return err
	}
	return WriteAtomic(path, func(wr io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(wr)
		return err
	})
}

// PixelSize returns the size in pixels of a PNG of w × h written at DPI, as
// the image canvas rounds it.
func PixelSize(w, h vg.Length) (wpx, hpx int) {
	return int(w/vg.Inch*DPI + 0.5), int(h/vg.Inch*DPI + 0.5)
}
