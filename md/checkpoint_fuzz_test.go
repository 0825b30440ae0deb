package md

import (
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dspib/dspib/internal/testutil"
	"github.com/stretchr/testify/require"
)

// fuzzWell is U = ½|x|² [ε], F = −x.
type fuzzWell struct{}

func (fuzzWell) Force(dst, x []float64) float64 {
	u := 0.0
	for j, v := range x {
		dst[j] = -v
		u += 0.5 * v * v
	}
	return u
}

// blobInteg is an integrator whose saved state is a fixed blob, so that a
// decoded checkpoint can be re-encoded with the integrator state it held.
type blobInteg []byte

func (blobInteg) Bind(*System) error               { return nil }
func (blobInteg) Advance(*State, int) error        { return nil }
func (b blobInteg) MarshalBinary() ([]byte, error) { return b, nil }

// fuzzSystem is 3 particles in 2-D in fuzzWell.
func fuzzSystem() *System { return &System{Potential: fuzzWell{}, Masses: []float64{1, 2, 3}, Dim: 2} }

// checkpointCRC returns body followed by its CRC-32, as the format ends.
func checkpointCRC(body []byte) []byte {
	return binary.LittleEndian.AppendUint32(slices.Clone(body), crc32.ChecksumIEEE(body))
}

// checkpointBytes returns the file WriteCheckpoint writes for st and in.
func checkpointBytes(t testing.TB, st *State, in Integrator) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ckpt")
	require.NoError(t, WriteCheckpoint(path, fuzzSystem(), st, in))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// FuzzLoadCheckpoint feeds the MD checkpoint decoder (the body of
// LoadCheckpoint) arbitrary bytes for a 3-particle 2-D system. With fixCRC
// the input is a body whose CRC-32 is appended, so that mutations reach the
// field checks instead of stopping at the checksum.
//
// Properties: no panic; vectors are allocated only at the System's size,
// never at a size the file claims (at most 4 bytes per input byte plus
// 1 MiB in all); and what loads is canonical: encoding
// the loaded state (with its integrator state) reproduces the input byte
// for byte.
func FuzzLoadCheckpoint(f *testing.F) {
	sys := fuzzSystem()
	x := []float64{0.5, -1, 2, 0, -0.0, 3.25}
	v := []float64{1, 2, 3, 4, 5, 6}
	var seeds [][]byte
	st, err := NewState(sys, x, v, nil)
	require.NoError(f, err)
	seeds = append(seeds, checkpointBytes(f, st, nil))
	st.SetSource(rand.NewPCG(1, 2))
	st.Step, st.Time = 12345, 61.725
	seeds = append(seeds, checkpointBytes(f, st, blobInteg{'o', 'k'}))
	st.SetSource(rand.NewChaCha8([32]byte{7}))
	st.Rand.Uint64()
	seeds = append(seeds, checkpointBytes(f, st, nil))
	for _, s := range seeds {
		_, err := decodeCheckpoint(s, sys)
		require.NoError(f, err, "the valid seed must load")
		body := s[:len(s)-4]
		f.Add(s, false)
		f.Add(s[:len(s)/2], false)
		f.Add(body, true)
		f.Add(body[:len(body)-3], true)
		// Header claims: N·Dim of 2⁶⁴−1 and 2⁶¹, a blob of 4 GiB.
		for _, e := range []struct {
			off int
			v   uint64
		}{{16, 1<<64 - 1}, {16, 1 << 61}} {
			b := slices.Clone(body)
			binary.LittleEndian.PutUint64(b[e.off:], e.v)
			f.Add(b, true)
		}
		b := slices.Clone(body)
		binary.LittleEndian.PutUint32(b[checkpointHeader+24*sys.Len():], 1<<32-1)
		f.Add(b, true)
	}

	f.Fuzz(func(t *testing.T, in []byte, fixCRC bool) {
		raw := in
		if fixCRC {
			raw = checkpointCRC(in)
		}
		var st *State
		var err error
		n := testutil.Allocated(func() { st, err = decodeCheckpoint(raw, sys) })
		require.LessOrEqual(t, n, uint64(4*len(raw)+1<<20), "allocated for a %d-byte file", len(raw))
		if err != nil {
			require.Nil(t, st)
			return
		}
		for _, s := range [][]float64{st.X, st.V, st.F} {
			require.Len(t, s, sys.Len())
		}
		var integ Integrator
		if st.integState != nil {
			integ = blobInteg(st.integState)
		}
		out, err := appendCheckpoint(nil, sys.Dim, st, integ)
		require.NoError(t, err)
		require.Equal(t, raw, out, "encode(decode(x)) != x")
	})
}
