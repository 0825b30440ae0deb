package plots

import (
	"fmt"
	"io"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/dspib/dspib/internal/atomicfile"
)

// renderPNG draws a w × h figure at DPI with fn and writes it atomically to
// path as a PNG. Drawing happens in memory before any file is created; a panic
// inside gonum/plot (which signals invalid drawing state by panicking) is
// turned into an error naming the figure. The file is written with
// internal/atomicfile.Write (a temporary file in the same directory, fsync,
// rename, fsync of the directory).
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
	if err := atomicfile.Write(path, func(wr io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(wr)
		return err
	}); err != nil {
		return fmt.Errorf("plots: %s: writing %s: %w", what, path, err)
	}
	return nil
}

// PixelSize returns the size in pixels of a PNG of w × h written at DPI, as
// the image canvas rounds it.
func PixelSize(w, h vg.Length) (wpx, hpx int) {
	return int(w/vg.Inch*DPI + 0.5), int(h/vg.Inch*DPI + 0.5)
}
