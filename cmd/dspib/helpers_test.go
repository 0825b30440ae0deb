package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dspib/dspib/md/traj"
	"github.com/stretchr/testify/require"
)

// TestMain runs the tests without SLURM_ARRAY_TASK_ID, so that run inside a
// Slurm job array task they still simulate whole runs, not one shard
// (TestSimulateShardFlag sets it where it tests it).
func TestMain(m *testing.M) {
	os.Unsetenv(arrayTaskEnv)
	os.Exit(m.Run())
}

// result is what one in-process dspib invocation produced.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs "dspib args..." in-process with ctx.
func runCLI(ctx context.Context, args ...string) result {
	var out, errb bytes.Buffer
	code := dspibMain(ctx, args, &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// mustRun runs dspib and fails the test unless it exits with status 0.
func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := runCLI(context.Background(), args...)
	require.Zero(t, r.code, "dspib %s: exit status\nstderr:\n%s", strings.Join(args, " "), r.stderr)
	return r
}

// readNPY reads a 2-D .npy file and checks its shape.
func readNPY(t *testing.T, path string, rows, cols int) []float64 {
	t.Helper()
	data, r, c, err := traj.ReadNPY(path)
	require.NoError(t, err)
	require.Equal(t, [2]int{rows, cols}, [2]int{r, c}, "%s: shape", filepath.Base(path))
	return data
}

// readFile returns a file's bytes.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
