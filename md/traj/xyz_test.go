package traj

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestXYZRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n, dim, nFrames = 7, 2, 5
	dir := t.TempDir()
	path := filepath.Join(dir, "lj7.xyz")
	w, err := CreateXYZ(path, n, dim)
	if err != nil {
		t.Fatal(err)
	}
	frames := make([][]float64, nFrames)
	for f := range frames {
		frames[f] = randomRows(rng, n, dim)
		info := FrameInfo{Step: 100 * f, Time: 0.5 * float64(f), Energy: -12.535 + rng.Float64(),
			HasStep: true, HasTime: f%2 == 0, HasEnergy: true}
		if err := w.WriteFrameInfo(frames[f], info); err != nil {
			t.Fatal(err)
		}
	}
	if exists(t, path) || !exists(t, path+PartSuffix) {
		t.Fatal("before Close want only the .part file")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if snap, err := ReadXYZ(path + PartSuffix); err != nil || len(snap) != nFrames {
		t.Fatalf("after Flush the .part file holds %d frames (%v), want %d", len(snap), err, nFrames)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "lj7.xyz" {
		t.Fatalf("directory holds %v", names)
	}
	got, err := ReadXYZ(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != nFrames {
		t.Fatalf("%d frames, want %d", len(got), nFrames)
	}
	for f, fr := range got {
		if len(fr.Species) != n || fr.Species[0] != "Ar" {
			t.Fatalf("frame %d species %v", f, fr.Species)
		}
		for i := range n {
			sameBits(t, fr.Pos[3*i:3*i+2], frames[f][dim*i:dim*i+2])
			if fr.Pos[3*i+2] != 0 {
				t.Fatalf("frame %d particle %d: z = %v, want 0", f, i, fr.Pos[3*i+2])
			}
		}
		if fr.Info["Properties"] != "species:S:1:pos:R:3" || fr.Info["pbc"] != "F F F" {
			t.Fatalf("frame %d info %v", f, fr.Info)
		}
		if _, ok := fr.Info["Lattice"]; ok {
			t.Fatalf("frame %d has a Lattice", f)
		}
		if fr.Info["step"] != []string{"0", "100", "200", "300", "400"}[f] {
			t.Fatalf("frame %d step %q", f, fr.Info["step"])
		}
		if _, ok := fr.Info["time"]; ok != (f%2 == 0) {
			t.Fatalf("frame %d: time present = %v", f, ok)
		}
	}
}

func TestXYZErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "e.xyz")
	_, err := CreateXYZ(path, 7, 4)
	wantErr(t, err, "dim = 4")
	_, err = CreateXYZ(path, 0, 2)
	wantErr(t, err, "nParticles = 0")
	w, err := CreateXYZ(path, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	w.Species = "X"
	wantErr(t, w.WriteFrame([]float64{1, 2, 3}), "frame 0", "3 coordinates", "2 particles × 3 = 6")
	wantErr(t, w.WriteFrame([]float64{1, 2, 3, 4, math.NaN(), 6}), "frame 0", "particle 1 coordinate 1")
	if err := w.WriteFrame([]float64{1, 2, 3, 4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Fatalf("after Abort directory holds %v", names)
	}

	for _, tc := range []struct{ name, text, want string }{
		{"truncated", "2\nProperties=species:S:1:pos:R:3\nAr 0 0 0\n", "truncated"},
		{"bad count", "two\n\nAr 0 0 0\n", "line 1"},
		{"bad number", "1\n\nAr 0 x 0\n", "line 3"},
		{"bad columns", "1\n\nAr 0 0\n", "3 columns, want 4"},
		{"no pos", "1\nProperties=species:S:1:vel:R:3\nAr 0 0 0\n", "lacks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.xyz")
			if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadXYZ(p)
			wantErr(t, err, p, tc.want)
		})
	}
	// Extra columns and plain XYZ are read.
	p := filepath.Join(dir, "x.xyz")
	text := "1\nProperties=id:I:1:species:S:1:pos:R:3:forces:R:3 energy=-1\n7 He 1 2 3 0 0 0\n1\nplain\nNe 4 5 6\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	fr, err := ReadXYZ(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(fr) != 2 || fr[0].Species[0] != "He" || fr[0].Pos[2] != 3 || fr[1].Species[0] != "Ne" || fr[1].Pos[0] != 4 ||
		!strings.Contains(fr[0].Info["energy"], "-1") || fr[1].Info["plain"] != "T" {
		t.Fatalf("read %+v", fr)
	}
}

func TestXYZWriteFrameAllocs(t *testing.T) {
	w, err := CreateXYZ(tempPath(t, "a.xyz"), 7, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	x := randomRows(rand.New(rand.NewPCG(1, 1)), 7, 2)
	info := FrameInfo{Step: 1, Energy: -1, HasStep: true, HasEnergy: true}
	_ = w.WriteFrameInfo(x, info) // grows the line buffer
	if n := testing.AllocsPerRun(200, func() {
		if err := w.WriteFrameInfo(x, info); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("WriteFrameInfo allocates %v times per frame, want 0", n)
	}
}
