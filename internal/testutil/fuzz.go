package testutil

// The helpers in this file serve the fuzz targets of several packages.

import (
	"encoding/binary"
	"hash/crc64"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

var crc64Table = crc64.MakeTable(crc64.ECMA)

// TensorFileInput returns the file that a fuzz target of a learn/ad tensor
// file reader reads for the fuzz input in: in itself or, with fixCRC, in
// followed by its CRC-64/ECMA-182 checksum (the trailer of those files), so
// that mutations of a file body reach the parser instead of failing the
// checksum.
func TensorFileInput(in []byte, fixCRC bool) []byte {
	if !fixCRC {
		return in
	}
	out := make([]byte, len(in), len(in)+8)
	copy(out, in)
	return binary.LittleEndian.AppendUint64(out, crc64.Checksum(in, crc64Table))
}

// WriteTemp writes data to a file named name in a fresh temporary
// directory of t and returns its path, for readers that take paths.
func WriteTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Allocated returns the bytes the heap allocated while fn ran
// (runtime.MemStats.TotalAlloc), so that a fuzz target can bound what a
// reader allocates by the size of its input rather than by what the input
// claims.
func Allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
