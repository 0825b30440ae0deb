package slurm

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests named TestSlurm* submit real jobs. They skip when no cluster is reachable, unless
// DSPIB_SLURM_REQUIRED is set (CI sets it after .ci/slurm-up, so that a broken cluster fails).
// On a multi-node cluster, set DSPIB_SLURM_DIR to a folder the compute nodes share with this
// machine; the default is a local temporary folder.

// waitTimeout bounds each wait: the jobs take milliseconds, and the one-node cluster of
// .ci/slurm-up runs a job array and its dependent job within ~3-10 s on 2 CPUs.
const waitTimeout = 60 * time.Second

// testCluster returns the reachable cluster, or skips (fails under DSPIB_SLURM_REQUIRED).
func testCluster(t *testing.T) *Cluster {
	t.Helper()
	c, err := Find(context.Background())
	if err != nil {
		if os.Getenv("DSPIB_SLURM_REQUIRED") != "" {
			t.Fatalf("DSPIB_SLURM_REQUIRED is set but %v", err)
		}
		t.Skipf("skipping, %v (as root on Debian: bash .ci/slurm-up && . /tmp/dspib-slurm/env)", err)
	}
	c.Poll = 200 * time.Millisecond
	return c
}

// jobDir is a fresh folder for a test's job files, removed at the end.
func jobDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("DSPIB_SLURM_DIR")
	if base == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp(base, "slurm-test-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestSlurmArrayThenDependentJob runs a 3-task job array whose tasks each write their index to a
// file, and a job that depends on the array (afterok) and concatenates the files: the result
// shows that every task ran with its own SLURM_ARRAY_TASK_ID and that the dependent job started
// only after all of them.
func TestSlurmArrayThenDependentJob(t *testing.T) {
	c := testCluster(t)
	ctx := context.Background()
	dir := jobDir(t)

	array, err := c.Submit(ctx, Job{
		Name:      "dspib-test-array",
		Script:    "#!/bin/sh\nset -e\necho \"$SLURM_ARRAY_TASK_ID\" > \"task_$SLURM_ARRAY_TASK_ID.txt\"\n",
		Dir:       dir,
		Output:    "slurm-%A_%a.out",
		Array:     "0-2",
		TimeLimit: time.Minute,
	})
	require.NoError(t, err)
	concat, err := c.Submit(ctx, Job{
		Name:      "dspib-test-concat",
		Script:    "#!/bin/sh\nset -e\ncat task_0.txt task_1.txt task_2.txt > all.txt\n",
		Dir:       dir,
		Output:    "slurm-%j.out",
		AfterOK:   []ID{array},
		TimeLimit: time.Minute,
	})
	require.NoError(t, err)
	t.Cleanup(func() { c.Cancel(context.Background(), array, concat) }) // no-op when done

	start := time.Now()
	results, err := c.Wait(ctx, waitTimeout, array, concat)
	require.NoError(t, err)
	t.Logf("array %v and dependent job %v done in %v", array, concat, time.Since(start).Round(time.Millisecond))

	require.Len(t, results, 2)
	var indices []string
	for _, task := range results[0].Tasks {
		assert.Equal(t, array, task.ArrayJobID)
		assert.True(t, task.OK(), task.String())
		indices = append(indices, task.ArrayTaskID)
	}
	assert.Equal(t, []string{"0", "1", "2"}, indices)
	require.Len(t, results[1].Tasks, 1)
	assert.Equal(t, Task{JobID: concat, State: "COMPLETED", Reason: "None"}, results[1].Tasks[0])

	all, err := os.ReadFile(filepath.Join(dir, "all.txt"))
	require.NoError(t, err)
	assert.Equal(t, "0\n1\n2\n", string(all))
}

// TestSlurmFailures checks what Wait reports for a job that fails (its exit code), for a job that
// depends on it (never starts: an error, not a wait until the timeout) and for a job that
// outlives the timeout.
func TestSlurmFailures(t *testing.T) {
	c := testCluster(t)
	ctx := context.Background()
	dir := jobDir(t)
	submit := func(j Job) ID {
		j.Dir, j.Output, j.TimeLimit = dir, "slurm-%j.out", time.Minute
		id, err := c.Submit(ctx, j)
		require.NoError(t, err)
		t.Cleanup(func() { c.Cancel(context.Background(), id) })
		return id
	}
	failing := submit(Job{Name: "dspib-test-exit3", Script: "#!/bin/sh\nexit 3\n"})
	orphan := submit(Job{Name: "dspib-test-orphan", Script: "#!/bin/sh\ntrue\n", AfterOK: []ID{failing}})

	results, err := c.Wait(ctx, waitTimeout, failing, orphan)
	require.Error(t, err)
	t.Log(err)
	assert.Equal(t, Task{JobID: failing, State: "FAILED", Reason: "NonZeroExitCode", ExitCode: 3}, results[0].Tasks[0])
	assert.Equal(t, Task{JobID: orphan, State: "PENDING", Reason: "DependencyNeverSatisfied"}, results[1].Tasks[0])
	assert.ErrorContains(t, err, "exit code 3")
	assert.ErrorContains(t, err, "will never start")
	require.NoError(t, c.Cancel(ctx, orphan))

	sleeper := submit(Job{Name: "dspib-test-sleep", Script: "#!/bin/sh\nsleep 120\n"})
	start := time.Now()
	_, err = c.Wait(ctx, 2*time.Second, sleeper)
	assert.ErrorContains(t, err, "not ended after 2s")
	assert.Less(t, time.Since(start), 5*time.Second, "Wait must return soon after its timeout")
	require.NoError(t, c.Cancel(ctx, sleeper))
	results, err = c.Wait(ctx, waitTimeout, sleeper)
	assert.ErrorContains(t, err, "CANCELLED")
	assert.Equal(t, "CANCELLED", results[0].Tasks[0].State)
}
