package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dspib/dspib/md/traj"
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
	if r.code != 0 {
		t.Fatalf("dspib %s: exit %d\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// readNPY reads a 2-D .npy file and checks its shape.
func readNPY(t *testing.T, path string, rows, cols int) []float64 {
	t.Helper()
	data, r, c, err := traj.ReadNPY(path)
	if err != nil {
		t.Fatal(err)
	}
	if r != rows || c != cols {
		t.Fatalf("%s: shape (%d, %d), want (%d, %d)", filepath.Base(path), r, c, rows, cols)
	}
	return data
}

// readFile returns a file's bytes.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
