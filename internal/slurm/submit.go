package slurm

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ID is a Slurm job ID. For a job array it is the array's ID, shared by all its tasks.
type ID int64

func (id ID) String() string { return strconv.FormatInt(int64(id), 10) }

// Job describes one sbatch submission. Zero fields leave the choice to Slurm's defaults.
type Job struct {
	// Script is the batch script, starting with an interpreter line ("#!/bin/sh"); it is given
	// to sbatch on standard input, so no file is written. Array tasks find their index in
	// $SLURM_ARRAY_TASK_ID.
	Script string
	// Name is the job name (--job-name).
	Name string
	// Dir is the working directory of the job (--chdir, made absolute); it must be visible
	// from the compute nodes. Empty: the current directory.
	Dir string
	// Output is the file pattern of the job's standard output and error (--output), e.g.
	// "slurm-%A_%a.out"; relative to Dir. Empty: Slurm's default, slurm-%j.out.
	Output string
	// Array is the job array's task indices (--array), e.g. "0-2", "1,4,9" or "0-99%10" (at
	// most 10 running at once). Empty: not an array.
	Array string
	// AfterOK are jobs that must all end with exit code 0 before this one starts
	// (--dependency=afterok:ID:ID...); for an array, every task must. If one of them fails,
	// this job never starts (Wait reports it).
	AfterOK []ID
	// CPUsPerTask is the number of CPUs given to the script (--cpus-per-task); 0: Slurm's 1.
	CPUsPerTask int
	// TimeLimit is the wall-time limit (--time), rounded up to whole minutes; 0: the
	// partition's default.
	TimeLimit time.Duration
	// Args are further sbatch options, passed after the ones above, e.g. "--partition=short".
	Args []string
}

// arrayRe is the syntax of --array: indices, ranges with an optional step, an optional %limit.
var arrayRe = regexp.MustCompile(`^[0-9]+(-[0-9]+(:[0-9]+)?)?(,[0-9]+(-[0-9]+(:[0-9]+)?)?)*(%[0-9]+)?$`)

// sbatchArgs validates j and returns its sbatch command-line options.
func (j Job) sbatchArgs() ([]string, error) {
	if !strings.HasPrefix(j.Script, "#!") {
		return nil, fmt.Errorf("slurm: job %q: Script must start with an interpreter line such as #!/bin/sh", j.Name)
	}
	args := []string{"--parsable"}
	if j.Name != "" {
		args = append(args, "--job-name="+j.Name)
	}
	if j.Dir != "" {
		dir, err := filepath.Abs(j.Dir)
		if err != nil {
			return nil, fmt.Errorf("slurm: job %q: Dir: %w", j.Name, err)
		}
		args = append(args, "--chdir="+dir)
	}
	if j.Output != "" {
		args = append(args, "--output="+j.Output)
	}
	if j.Array != "" {
		if !arrayRe.MatchString(j.Array) {
			return nil, fmt.Errorf("slurm: job %q: Array %q is not an index list such as 0-2, 1,4,9 or 0-99%%10", j.Name, j.Array)
		}
		args = append(args, "--array="+j.Array)
	}
	if len(j.AfterOK) > 0 {
		dep := make([]string, len(j.AfterOK))
		for i, id := range j.AfterOK {
			if id <= 0 {
				return nil, fmt.Errorf("slurm: job %q: AfterOK[%d] = %d is not a job ID", j.Name, i, id)
			}
			dep[i] = id.String()
		}
		args = append(args, "--dependency=afterok:"+strings.Join(dep, ":"))
	}
	if j.CPUsPerTask < 0 {
		return nil, fmt.Errorf("slurm: job %q: CPUsPerTask = %d is negative", j.Name, j.CPUsPerTask)
	} else if j.CPUsPerTask > 0 {
		args = append(args, "--cpus-per-task="+strconv.Itoa(j.CPUsPerTask))
	}
	if j.TimeLimit < 0 {
		return nil, fmt.Errorf("slurm: job %q: TimeLimit = %v is negative", j.Name, j.TimeLimit)
	} else if j.TimeLimit > 0 {
		minutes := (j.TimeLimit + time.Minute - 1) / time.Minute
		args = append(args, "--time="+strconv.FormatInt(int64(minutes), 10))
	}
	return append(args, j.Args...), nil
}

// Submit submits j with `sbatch --parsable` and returns its job ID. The job is queued, not
// finished: use Wait. A bad Job is refused before anything is submitted.
func (c *Cluster) Submit(ctx context.Context, j Job) (ID, error) {
	args, err := j.sbatchArgs()
	if err != nil {
		return 0, err
	}
	out, err := c.run(ctx, j.Script, "sbatch", args...)
	if err != nil {
		return 0, err
	}
	id, err := parseSbatch(out)
	if err != nil {
		return 0, fmt.Errorf("slurm: job %q: %w", j.Name, err)
	}
	return id, nil
}

// parseSbatch reads the output of `sbatch --parsable`: "ID" or "ID;cluster".
func parseSbatch(out string) (ID, error) {
	s, _, _ := strings.Cut(strings.TrimSpace(out), ";")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("sbatch --parsable printed %q, not a job ID", strings.TrimSpace(out))
	}
	return ID(id), nil
}

// Cancel cancels jobs (all tasks of an array) with scancel. Cancelling a job that has already
// ended is not an error.
func (c *Cluster) Cancel(ctx context.Context, ids ...ID) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]string, len(ids))
	for i, id := range ids {
		args[i] = id.String()
	}
	_, err := c.run(ctx, "", "scancel", args...)
	return err
}
