package syncio

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// byteWriter appends one byte at a time, so an unserialised concurrent
// Write would interleave bytes of different lines.
type byteWriter struct{ b []byte }

func (w *byteWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		w.b = append(w.b, c)
	}
	return len(p), nil
}

// TestLinesStayWhole: 8 goroutines × 200 lines each arrive whole and all
// present (run with -race to check the locking itself).
func TestLinesStayWhole(t *testing.T) {
	var dst byteWriter
	w := NewWriter(&dst)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				fmt.Fprintf(w, "goroutine %d line %03d %s\n", g, i, strings.Repeat("x", 40))
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(string(dst.b), "\n"), "\n")
	require.Len(t, lines, 1600, "lines")
	seen := map[string]bool{}
	for _, l := range lines {
		var g, i int
		var tail string
		n, err := fmt.Sscanf(l, "goroutine %d line %d %s", &g, &i, &tail)
		require.True(t, n == 3 && err == nil && tail == strings.Repeat("x", 40), "mangled line %q", l)
		seen[l] = true
	}
	assert.Len(t, seen, 1600, "distinct lines")
}
