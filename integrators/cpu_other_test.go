//go:build !linux

package integrators_test

import "time"

// threadCPU is unavailable off Linux; benchmarks then report wall time only.
func threadCPU() time.Duration { return 0 }
