package plots

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"gonum.org/v1/plot/vg/draw"
)

func TestRenderPNGRecoversPanics(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.png")
	err := renderPNG(path, "Test", PanelWidth, PanelHeight, func(draw.Canvas) error { panic("bad range") })
	assert.ErrorContains(t, err, "Test", "bad range")
	checkDir(t, dir)
}
