package dspib

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/dspib/dspib/learn/ad"
	"github.com/stretchr/testify/require"
)

// FuzzLoadCheckpoint feeds loadCheckpoint, the resume reader of Fit, an
// arbitrary file for fixed small data and settings; the seeds are the
// phase-2 checkpoint Fit writes and edits of it. With fixCRC the input is
// a file body whose CRC-64/ECMA is appended, so that mutated tensors reach
// the checks. Properties: no panic; loading allocates at most 32 bytes per
// input byte plus 8 MiB (the data set is rebuilt from the trajectories), so
// nothing is sized by a claimed state count K that the file does not back;
// and a phase-2 state that loads saves and
// loads back with the same history.
func FuzzLoadCheckpoint(f *testing.F) {
	trajs := tinyThreeHole(f, 3, 300, 5)
	cfg := tinyConfig()
	cfg.SPIB.Workers, cfg.MaxEpochs = 1, 1
	cfg.Prior.Hidden = []int{4, 4}
	cfg.Checkpoint = filepath.Join(f.TempDir(), "fit.ckpt")
	_, err := Fit(context.Background(), trajs, cfg, rand.NewPCG(7, 7))
	require.NoError(f, err)
	raw, err := os.ReadFile(cfg.Checkpoint)
	require.NoError(f, err)
	cfg, err = cfg.Validate()
	require.NoError(f, err)
	var fp prints
	fp.cfg, err = cfg.fingerprint()
	require.NoError(f, err)
	fp.in, err = inputFingerprint(trajs, rand.NewPCG(7, 7))
	require.NoError(f, err)
	load := func(path string) (*fitState, *phase1State, error) {
		src := rand.NewPCG(7, 7)
		return loadCheckpoint(path, trajs, cfg, fp, src, rand.New(src))
	}
	st, _, err := load(cfg.Checkpoint)
	require.NoError(f, err, "the phase-2 seed must load")
	require.NotNil(f, st)
	f.Add(raw, false)
	f.Add(raw[:len(raw)-8], true)
	// dspib.meta claims 2³¹ or 2⁶³ states; the tensors stay as they are.
	ts, err := ad.ReadTensors(bytes.NewReader(raw))
	require.NoError(f, err)
	for _, k := range []float64{1 << 31, math.Ldexp(1, 63)} {
		edited := slices.Clone(ts)
		for i := range edited {
			if edited[i].Name == "dspib.meta" {
				edited[i].Data = slices.Clone(edited[i].Data)
				edited[i].Data[5] = k
			}
		}
		var b bytes.Buffer
		require.NoError(f, ad.WriteTensors(&b, edited))
		f.Add(b.Bytes()[:b.Len()-8], true)
	}

	f.Fuzz(func(t *testing.T, in []byte, fixCRC bool) {
		raw := testutil.TensorFileInput(in, fixCRC)
		path := testutil.WriteTemp(t, "in.ckpt", raw)
		var st *fitState
		var p1 *phase1State
		var err error
		n := testutil.Allocated(func() { st, p1, err = load(path) })
		require.LessOrEqual(t, n, uint64(32*len(raw)+8<<20), "allocated for a %d-byte file", len(raw))
		if err != nil || st == nil {
			return
		}
		require.Nil(t, p1)
		require.LessOrEqual(t, 8*len(st.tr.m.RepInputs), len(raw), "more representatives than the file holds")
		out := filepath.Join(filepath.Dir(path), "out.ckpt")
		require.NoError(t, st.save(out, fp, rand.NewPCG(7, 7)))
		back, _, err := load(out)
		require.NoError(t, err)
		require.Equal(t, len(st.hist), len(back.hist))
		require.Equal(t, st.data.Labels, back.data.Labels)
	})
}
