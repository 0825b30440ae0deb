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

// The records below are from Slurm 22.05 (Debian 12, .ci/slurm-up), cut to the fields that
// matter plus neighbours, with a Command path holding a space added.
const scontrolArray = `JobId=1 ArrayJobId=1 ArrayTaskId=2 JobName=sbatch UserId=root(0) JobState=COMPLETED Reason=None Dependency=(null) ExitCode=0:0 RunTime=00:00:00 Command=(null) WorkDir=/tmp/tmp.gOlu702wal StdOut=/tmp/tmp.gOlu702wal/o_%1_%2 Power=
JobId=4 ArrayJobId=1 ArrayTaskId=1 JobName=sbatch UserId=root(0) JobState=RUNNING Reason=None Dependency=(null) ExitCode=0:0 Command=/tmp/my jobs/run.sh WorkDir=/tmp/my jobs Power=
JobId=3 ArrayJobId=1 ArrayTaskId=0 JobName=sbatch UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 Power=
JobId=5 ArrayJobId=1 ArrayTaskId=3-9%2 JobName=sbatch UserId=root(0) JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0 Power=
`

func TestParseScontrol(t *testing.T) {
	tasks, err := parseScontrol(scontrolArray)
	require.NoError(t, err)
	require.Len(t, tasks, 4)
	// Ordered by array index, the range of unstarted tasks last.
	assert.Equal(t, Task{JobID: 3, ArrayJobID: 1, ArrayTaskID: "0", State: "FAILED", Reason: "NonZeroExitCode", ExitCode: 3}, tasks[0])
	assert.Equal(t, Task{JobID: 4, ArrayJobID: 1, ArrayTaskID: "1", State: "RUNNING", Reason: "None"}, tasks[1])
	assert.Equal(t, Task{JobID: 1, ArrayJobID: 1, ArrayTaskID: "2", State: "COMPLETED", Reason: "None"}, tasks[2])
	assert.Equal(t, "3-9%2", tasks[3].ArrayTaskID)

	assert.Equal(t, []bool{true, false, true, false}, []bool{tasks[0].Done(), tasks[1].Done(), tasks[2].Done(), tasks[3].Done()})
	assert.Equal(t, []bool{false, false, true, false}, []bool{tasks[0].OK(), tasks[1].OK(), tasks[2].OK(), tasks[3].OK()})
	assert.Equal(t, "job 1_0 FAILED (NonZeroExitCode), exit code 3", tasks[0].String())
	assert.Equal(t, "job 1_1 RUNNING", tasks[1].String())
	assert.False(t, Result{ID: 1, Tasks: tasks}.Done())
}

func TestParseScontrolPlainJobs(t *testing.T) {
	tasks, err := parseScontrol("JobId=7 JobName=x JobState=FAILED Reason=JobLaunchFailure ExitCode=0:9\n\n" +
		"JobId=6 JobName=y JobState=PENDING Reason=DependencyNeverSatisfied Dependency=afterok:5_*(failed) ExitCode=0:0\n")
	require.NoError(t, err)
	require.Len(t, tasks, 2)
	assert.Equal(t, "job 6 PENDING (DependencyNeverSatisfied)", tasks[0].String())
	assert.True(t, tasks[0].Done(), "a job that can never start counts as done")
	assert.False(t, tasks[0].OK())
	assert.Equal(t, "job 7 FAILED (JobLaunchFailure), killed by signal 9", tasks[1].String())

	for _, bad := range []string{
		"JobName=x JobState=FAILED ExitCode=0:0",           // no JobId
		"JobId=x7 JobState=FAILED ExitCode=0:0",            // bad JobId
		"JobId=7 ExitCode=0:0",                             // no state
		"JobId=7 JobState=FAILED ExitCode=3",               // exit code without signal
		"JobId=7 ArrayJobId= JobState=FAILED ExitCode=0:0", // empty array ID
	} {
		_, err := parseScontrol(bad)
		assert.Error(t, err, bad)
	}
}

func TestFieldsKeepsSpacesInValues(t *testing.T) {
	f := fields("JobId=4 Command=/tmp/my jobs/run.sh --flag WorkDir=/tmp/x y TRES=cpu=1,node=1\n")
	assert.Equal(t, "/tmp/my jobs/run.sh --flag", f["Command"])
	assert.Equal(t, "/tmp/x y", f["WorkDir"])
	assert.Equal(t, "cpu=1,node=1", f["TRES"])
}

func TestParseSacct(t *testing.T) {
	tasks, err := parseSacct("5_1|COMPLETED|0:0\n5_0|FAILED|3:0\n5_[2-4]|PENDING|0:0\n\n")
	require.NoError(t, err)
	require.Len(t, tasks, 3)
	assert.Equal(t, Task{JobID: 5, ArrayJobID: 5, ArrayTaskID: "0", State: "FAILED", ExitCode: 3}, tasks[0])
	assert.Equal(t, "1", tasks[1].ArrayTaskID)
	assert.Equal(t, "2-4", tasks[2].ArrayTaskID)

	tasks, err = parseSacct("6|CANCELLED by 0|0:15\n")
	require.NoError(t, err)
	assert.Equal(t, []Task{{JobID: 6, State: "CANCELLED", Signal: 15}}, tasks)

	for _, bad := range []string{"6|COMPLETED", "x|COMPLETED|0:0", "6|COMPLETED|zero"} {
		_, err := parseSacct(bad)
		assert.Error(t, err, bad)
	}
}

func TestParseSbatch(t *testing.T) {
	for out, want := range map[string]ID{"12\n": 12, "345;cluster1\n": 345} {
		id, err := parseSbatch(out)
		require.NoError(t, err, out)
		assert.Equal(t, want, id)
	}
	for _, bad := range []string{"", "Submitted batch job 12\n", "0\n", "-3"} {
		_, err := parseSbatch(bad)
		assert.ErrorContains(t, err, "not a job ID", bad)
	}
}

func TestSbatchArgs(t *testing.T) {
	j := Job{Script: "#!/bin/sh\n", Name: "md", Dir: "/scratch/run", Output: "slurm-%A_%a.out", Array: "0-9%4",
		AfterOK: []ID{12, 13}, CPUsPerTask: 4, TimeLimit: 90 * time.Second, Args: []string{"--partition=short"}}
	args, err := j.sbatchArgs()
	require.NoError(t, err)
	assert.Equal(t, []string{"--parsable", "--job-name=md", "--chdir=/scratch/run", "--output=slurm-%A_%a.out",
		"--array=0-9%4", "--dependency=afterok:12:13", "--cpus-per-task=4", "--time=2", "--partition=short"}, args)

	wd, err := os.Getwd()
	require.NoError(t, err)
	args, err = Job{Script: "#!/bin/sh\n", Dir: "run"}.sbatchArgs()
	require.NoError(t, err)
	assert.Equal(t, []string{"--parsable", "--chdir=" + filepath.Join(wd, "run")}, args, "Dir made absolute")

	args, err = Job{Script: "#!/bin/sh\n"}.sbatchArgs()
	require.NoError(t, err)
	assert.Equal(t, []string{"--parsable"}, args, "zero fields leave Slurm's defaults")

	for _, a := range []string{"0-2", "1,4,9", "0-99:3%10", "7"} {
		_, err := Job{Script: "#!/bin/sh\n", Array: a}.sbatchArgs()
		assert.NoError(t, err, a)
	}
	for field, j := range map[string]Job{
		"Script":      {Script: "echo hi\n"},
		"Array":       {Script: "#!/bin/sh\n", Array: "0-2; rm -rf /"},
		"AfterOK[1]":  {Script: "#!/bin/sh\n", AfterOK: []ID{3, 0}},
		"CPUsPerTask": {Script: "#!/bin/sh\n", CPUsPerTask: -1},
		"TimeLimit":   {Script: "#!/bin/sh\n", TimeLimit: -time.Second},
	} {
		_, err := j.sbatchArgs()
		assert.ErrorContains(t, err, field)
	}
}

func TestWaitError(t *testing.T) {
	ok := Task{JobID: 2, State: "COMPLETED"}
	require.NoError(t, waitError([]Result{{ID: 2, Tasks: []Task{ok}}}, "late"))
	err := waitError([]Result{
		{ID: 1, Tasks: []Task{{JobID: 1, ArrayJobID: 1, ArrayTaskID: "0", State: "RUNNING"}, ok}},
		{ID: 3, Tasks: []Task{{JobID: 3, State: "PENDING", Reason: "DependencyNeverSatisfied"}}},
		{ID: 4},
		{ID: 5, Tasks: []Task{{JobID: 5, State: "TIMEOUT"}}},
	}, "not ended after 1m0s")
	assert.EqualError(t, err, "slurm: job 1_0 RUNNING: not ended after 1m0s; "+
		"job 3 PENDING (DependencyNeverSatisfied): a job it depends on failed, it will never start (scancel 3); "+
		"job 4 state unknown; job 5 TIMEOUT, exit code 0")
}

func TestAnyNodeUsable(t *testing.T) {
	assert.True(t, anyNodeUsable("down*\nidle\n"))
	assert.True(t, anyNodeUsable("idle~\n"), "a powered-down cloud node starts on demand")
	assert.False(t, anyNodeUsable("idle*\ndrained\ndown\n"), "not responding, drained, down")
	assert.False(t, anyNodeUsable(""))
}

func TestWaitAndSubmitRefuseBadArguments(t *testing.T) {
	var c Cluster // never reaches a command
	_, err := c.Wait(context.Background(), 0, 1)
	assert.ErrorContains(t, err, "timeout")
	_, err = c.Submit(context.Background(), Job{Name: "x", Script: "no shebang"})
	assert.ErrorContains(t, err, `job "x": Script`)
}
