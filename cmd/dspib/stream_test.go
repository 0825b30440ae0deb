package main

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A run does not keep its frames in memory: the bytes allocated while
// simulating 4·10⁴ LJ7 frames (stride 1) stay far below the 4.5 MB the
// trajectory alone would take, and do not grow with the number of frames
// beyond the per-chunk feature bookkeeping.
func TestSimulateStreams(t *testing.T) {
	alloc := func(frames int) uint64 {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		mustRun(t, "simulate", "-system", "lj7", "-temps", "0.5", "-frames", strconv.Itoa(frames), "-stride", "1", "-quiet", "-out", t.TempDir())
		runtime.ReadMemStats(&m1)
		return m1.TotalAlloc - m0.TotalAlloc
	}
	small, large := alloc(1000), alloc(40_000)
	t.Logf("allocated %d B for 10³ frames, %d B for 4·10⁴ frames", small, large)
	trajBytes := uint64(40_000 * 14 * 8)
	assert.LessOrEqual(t, large, trajBytes/4, "bytes allocated for a %d B trajectory: frames are being held in memory", trajBytes)
	// 39 extra feature chunks may allocate a little each (errors slice,
	// goroutines): allow 4 KiB per chunk.
	assert.LessOrEqual(t, large, small+39*4096, "allocation grows with the run: %d B for 10³ frames, %d B for 4·10⁴", small, large)
}
