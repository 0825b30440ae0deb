package testdata

import (
	"encoding/binary"
	"hash/crc64"
	"os"
	"path/filepath"
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
