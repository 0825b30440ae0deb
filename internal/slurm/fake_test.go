package slurm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the package against stand-ins for Slurm's commands, so that polling, timeouts,
// the sacct fallback and the checks of Find are tested on any machine, with or without Slurm.

// fakeSlurm makes PATH hold only shell scripts named after Slurm commands. The script for name
// prints replies[name][i] on its i-th call (the last reply repeats); a reply starting with "!"
// goes to standard error with exit status 1. Each call's arguments, and its standard input if
// any, are appended to the returned log file.
func fakeSlurm(t *testing.T, replies map[string][]string) (log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "calls.log")
	for name, rs := range replies {
		for i, r := range rs {
			file := filepath.Join(dir, fmt.Sprintf("%s.%d", name, i))
			if msg, ok := strings.CutPrefix(r, "!"); ok {
				file, r = file+".err", msg
			}
			require.NoError(t, os.WriteFile(file, []byte(r), 0o644))
		}
		script := fmt.Sprintf(`#!/bin/sh
PATH=/usr/bin:/bin d='%s' name='%s'
echo "$name $*" >> "$d/calls.log"
[ -t 0 ] || cat >> "$d/calls.log"
n=$(cat "$d/$name.n" 2>/dev/null || echo 0)
if [ -e "$d/$name.$((n+1))" ] || [ -e "$d/$name.$((n+1)).err" ]; then echo $((n+1)) > "$d/$name.n"; fi
if [ -e "$d/$name.$n.err" ]; then cat "$d/$name.$n.err" >&2; exit 1; fi
cat "$d/$name.$n"
`, dir, name)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755))
	}
	t.Setenv("PATH", dir)
	return log
}

func calls(t *testing.T, log string) string {
	b, err := os.ReadFile(log)
	require.NoError(t, err)
	return string(b)
}

var fast = &Cluster{Poll: 10 * time.Millisecond}

func TestFakeWaitPollsUntilDone(t *testing.T) {
	log := fakeSlurm(t, map[string][]string{"scontrol": {
		"JobId=7 JobState=PENDING Reason=Priority ExitCode=0:0\n",
		"JobId=7 JobState=RUNNING Reason=None ExitCode=0:0\n",
		"JobId=7 JobState=COMPLETED Reason=None ExitCode=0:0\n",
	}})
	results, err := fast.Wait(context.Background(), 10*time.Second, 7)
	require.NoError(t, err)
	assert.Equal(t, []Result{{ID: 7, Tasks: []Task{{JobID: 7, State: "COMPLETED", Reason: "None"}}}}, results)
	assert.Equal(t, strings.Repeat("scontrol -o show job 7\n", 3), calls(t, log), "one query per poll until done")
}

func TestFakeWaitTimesOut(t *testing.T) {
	fakeSlurm(t, map[string][]string{"scontrol": {"JobId=7 ArrayJobId=7 ArrayTaskId=0-3 JobState=PENDING Reason=Resources ExitCode=0:0\n"}})
	start := time.Now()
	results, err := fast.Wait(context.Background(), 300*time.Millisecond, 7)
	assert.EqualError(t, err, "slurm: job 7_0-3 PENDING (Resources): not ended after 300ms")
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Equal(t, "PENDING", results[0].Tasks[0].State, "the last known state comes with the error")
}

func TestFakeWaitAsksSacctForForgottenJobs(t *testing.T) {
	log := fakeSlurm(t, map[string][]string{
		"scontrol": {"!slurm_load_jobs error: Invalid job id specified\n"},
		"sacct":    {"7_1|FAILED|2:0\n7_0|COMPLETED|0:0\n"},
	})
	results, err := fast.Wait(context.Background(), 10*time.Second, 7)
	assert.EqualError(t, err, "slurm: job 7_1 FAILED, exit code 2")
	require.Len(t, results[0].Tasks, 2)
	assert.Equal(t, "0", results[0].Tasks[0].ArrayTaskID)
	assert.Contains(t, calls(t, log), "sacct -n -P -X -j 7 -o JobID,State,ExitCode\n")

	fakeSlurm(t, map[string][]string{
		"scontrol": {"!slurm_load_jobs error: Invalid job id specified\n"},
		"sacct":    {"!Slurm accounting storage is disabled\n"},
	})
	_, err = fast.Wait(context.Background(), 10*time.Second, 8)
	assert.ErrorContains(t, err, "job 8: unknown to the controller")
	assert.ErrorContains(t, err, "accounting storage is disabled")

	fakeSlurm(t, map[string][]string{"scontrol": {"!slurm_load_jobs error: Unable to contact slurm controller\n"}})
	_, err = fast.Wait(context.Background(), 10*time.Second, 9)
	assert.ErrorContains(t, err, "Unable to contact slurm controller", "other errors end the wait at once")
}

func TestFakeSubmit(t *testing.T) {
	log := fakeSlurm(t, map[string][]string{"sbatch": {"42;cluster\n"}})
	id, err := fast.Submit(context.Background(), Job{Script: "#!/bin/sh\necho hi\n", Array: "0-2", AfterOK: []ID{41}})
	require.NoError(t, err)
	assert.Equal(t, ID(42), id)
	assert.Equal(t, "sbatch --parsable --array=0-2 --dependency=afterok:41\n#!/bin/sh\necho hi\n", calls(t, log),
		"the script goes on standard input")

	fakeSlurm(t, map[string][]string{"sbatch": {"!sbatch: error: Batch job submission failed: Invalid partition name specified\n"}})
	_, err = fast.Submit(context.Background(), Job{Script: "#!/bin/sh\n"})
	assert.ErrorContains(t, err, "Invalid partition name specified")
}

func TestFakeFind(t *testing.T) {
	up := "Slurmctld(primary) at head is UP\n"
	for _, tc := range []struct {
		scontrol, sinfo, want string
		noSbatch              bool
	}{
		{scontrol: up, sinfo: "down*\nidle\n"},
		{scontrol: "!Slurmctld(primary) at head is DOWN\n", sinfo: "idle\n", want: "controller does not answer"},
		{scontrol: up, sinfo: "drained\ndown*\n", want: "no node is idle"},
		{scontrol: up, sinfo: "idle\n", want: "sbatch is not in PATH", noSbatch: true},
	} {
		replies := map[string][]string{"scontrol": {tc.scontrol}, "sinfo": {tc.sinfo}, "sbatch": {""}, "squeue": {""}}
		if tc.noSbatch {
			delete(replies, "sbatch")
		}
		fakeSlurm(t, replies)
		c, err := Find(context.Background(), "SLURM_CONF=/x")
		if tc.want == "" {
			require.NoError(t, err)
			assert.Equal(t, []string{"SLURM_CONF=/x"}, c.Env)
			continue
		}
		assert.ErrorIs(t, err, ErrUnavailable)
		assert.ErrorContains(t, err, tc.want)
	}
}
