package plots

import (
	"fmt"
	"io"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/dspib/dspib/internal/atomicfile"
)

// WriteAtomic creates or replaces the file at path with the bytes produced by
// write. The bytes first go to path+".part" in the same directory, which is
// given mode 0644, synced and renamed onto path, so that readers see either
// the old file or the complete new one. On any error, including one returned
// by write, the temporary file is removed and path is left untouched. It is
// internal/atomicfile.Write, the implementation md/traj uses too.
func WriteAtomic(path string, write func(w io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
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
