package testutil

import (
	"os"
	"strings"
	"testing"
)

// ListDir returns the sorted names in dir but the folder locks (.lock,
// .lock_*: see internal/folderlock, which every writer leaves), failing t
// on error.
func ListDir(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".lock") {
			names = append(names, e.Name())
		}
	}
	return names
}

// WithSuffix returns the names in names ending in suffix.
func WithSuffix(names []string, suffix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, suffix) {
			out = append(out, n)
		}
	}
	return out
}
