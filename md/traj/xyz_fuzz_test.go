package traj

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/require"
)

// FuzzReadXYZ feeds ReadXYZ arbitrary files. Properties: no panic; it
// allocates at most 64 bytes per file byte plus 1 MiB, whatever the
// particle counts claim; every frame has 3 coordinates per species and the
// particles of all frames were backed by lines of the file; and a file whose frames XYZWriter can express (one
// particle count, one species, finite positions) round-trips: writing the
// frames read and reading them again gives the same species and positions,
// bit for bit.
func FuzzReadXYZ(f *testing.F) {
	x := []float64{0, 1.5, -0.0, 5e-324, -2.25e10, math.Pi}
	plain := written(f, func(p string) error {
		w, err := CreateXYZ(p, 3, 2)
		if err != nil {
			return err
		}
		if err := w.WriteFrame(x); err != nil {
			return err
		}
		w.Species = "C"
		if err := w.WriteFrameInfo(x, FrameInfo{Step: 7, Time: 0.5, Energy: -1, HasStep: true, HasTime: true, HasEnergy: true}); err != nil {
			return err
		}
		return w.Close()
	})
	f.Add(plain)
	f.Add(plain[:len(plain)/2])
	f.Add([]byte("2\nplain xyz\nAr 0 0 0\nAr 1 2 3\n\n1\n\nNe 1e300 -1e-300 0\n"))
	f.Add([]byte("2\nProperties=species:S:1:vel:R:3:pos:R:3 pbc=\"T T T\" flag\nH 9 9 9 1 2 3\nO 9 9 9 4 5 6\n"))
	f.Add([]byte("1\nkey=\"unterminated\nAr 0 0 0\n"))
	f.Add([]byte("1\nProperties=species:S:1:pos:R:2\nAr 0 0\n"))
	f.Add([]byte("1\n\nAr NaN Inf -Inf\n"))
	// Particle counts far beyond the file, up to the largest int.
	f.Add([]byte("1000000000000\n\nAr 0 0 0\n"))
	f.Add([]byte("9223372036854775807\n\nAr 0 0 0\n"))
	f.Add([]byte("9223372036854775806\n\nAr 0 0 0\n"))

	f.Fuzz(func(t *testing.T, in []byte) {
		path := testutil.WriteTemp(t, "in.xyz", in)
		var frames []XYZFrame
		var err error
		alloc := testutil.Allocated(func() { frames, err = ReadXYZ(path) })
		require.LessOrEqual(t, alloc, uint64(64*len(in)+1<<20), "allocated for a %d-byte file", len(in))
		if err != nil {
			require.Nil(t, frames)
			return
		}
		particles := 0
		for _, fr := range frames {
			require.Len(t, fr.Pos, 3*len(fr.Species))
			particles += len(fr.Species)
		}
		require.LessOrEqual(t, particles, strings.Count(string(in), "\n")+1, "more particles than lines")
		if len(frames) == 0 || len(frames[0].Species) == 0 {
			return
		}
		n, sp := len(frames[0].Species), frames[0].Species[0]
		for _, fr := range frames {
			if len(fr.Species) != n || slices.ContainsFunc(fr.Species, func(s string) bool { return s != sp }) ||
				slices.ContainsFunc(fr.Pos, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }) {
				return // not expressible by XYZWriter
			}
		}
		out := filepath.Join(filepath.Dir(path), "out.xyz")
		w, err := CreateXYZ(out, n, 3)
		require.NoError(t, err)
		w.Species = sp
		for _, fr := range frames {
			require.NoError(t, w.WriteFrame(fr.Pos))
		}
		require.NoError(t, w.Close())
		back, err := ReadXYZ(out)
		require.NoError(t, err)
		require.Len(t, back, len(frames))
		for i, fr := range back {
			require.Equal(t, frames[i].Species, fr.Species, "frame %d", i)
			sameBits(t, fr.Pos, frames[i].Pos)
		}
	})
}
