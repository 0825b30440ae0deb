package slurm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Task is the state of one job, or of one task of a job array, as the controller (scontrol) or
// the accounting database (sacct) reports it.
type Task struct {
	// JobID is the task's own job ID; for an array task it differs from ArrayJobID.
	JobID ID
	// ArrayJobID is the ID of the array the task belongs to; 0 when the job is not an array.
	ArrayJobID ID
	// ArrayTaskID is the task's index in the array, "" when the job is not an array; for the
	// tasks that have not started yet, Slurm keeps one record whose ArrayTaskID is a range such
	// as "3-9" or "3-9%2".
	ArrayTaskID string
	// State is Slurm's job state: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
	State string
	// Reason is why the job is pending or why it ended, e.g. Dependency, NonZeroExitCode;
	// "" when unknown (sacct).
	Reason string
	// ExitCode is the exit status of the batch script, Signal the signal that ended it (0: none).
	ExitCode, Signal int
}

// terminal lists the states in which a job has ended for good (Slurm's JOB_STATE_BASE values
// after JOB_RUNNING, and REVOKED of federations). Any other state may still change.
var terminal = map[string]bool{
	"COMPLETED": true, "FAILED": true, "CANCELLED": true, "TIMEOUT": true, "NODE_FAIL": true,
	"PREEMPTED": true, "BOOT_FAIL": true, "DEADLINE": true, "OUT_OF_MEMORY": true, "REVOKED": true,
}

// neverRuns reports a pending task that cannot start because a job it depends on failed: Slurm
// keeps it PENDING with this reason until it is cancelled.
func (t Task) neverRuns() bool {
	return t.State == "PENDING" && t.Reason == "DependencyNeverSatisfied"
}

// Done reports whether the task has ended, or can never start.
func (t Task) Done() bool { return terminal[t.State] || t.neverRuns() }

// OK reports whether the task completed with exit code 0.
func (t Task) OK() bool { return t.State == "COMPLETED" && t.ExitCode == 0 && t.Signal == 0 }

// Name is the task in Slurm's notation: "12" for a job, "12_3" for task 3 of array 12.
func (t Task) Name() string {
	if t.ArrayJobID == 0 {
		return t.JobID.String()
	}
	return t.ArrayJobID.String() + "_" + t.ArrayTaskID
}

// String is the task's name, state, reason and exit code, e.g. "job 12_3 FAILED (NonZeroExitCode),
// exit code 3".
func (t Task) String() string {
	s := "job " + t.Name() + " " + t.State
	if t.Reason != "" && t.Reason != "None" {
		s += " (" + t.Reason + ")"
	}
	if t.Signal != 0 {
		s += ", killed by signal " + strconv.Itoa(t.Signal)
	} else if terminal[t.State] {
		s += ", exit code " + strconv.Itoa(t.ExitCode)
	}
	return s
}

// Result is the state of one submitted job: one Task for a plain job, one per array task
// (ordered by index) for an array.
type Result struct {
	ID    ID
	Tasks []Task
}

// Done reports whether every task of the job has ended or can never start.
func (r Result) Done() bool {
	return !slices.ContainsFunc(r.Tasks, func(t Task) bool { return !t.Done() })
}

// Wait polls the controller until every job in ids has ended (every task of an array), at most
// for timeout, and returns their results in the order of ids. Its error is non-nil when a job
// did not complete with exit code 0, can never start (a job it depends on failed: cancel it),
// or has not ended after timeout; the error names each such task with its state, reason and
// exit code. The results are returned with the error, as far as known.
func (c *Cluster) Wait(ctx context.Context, timeout time.Duration, ids ...ID) ([]Result, error) {
	if timeout <= 0 {
		return nil, fmt.Errorf("slurm: Wait timeout %v is not positive", timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	results := make([]Result, len(ids))
	for i, id := range ids {
		results[i].ID = id
	}
	tick := time.NewTicker(c.poll())
	defer tick.Stop()
	for {
		done := true
		for i := range results {
			if results[i].Done() && len(results[i].Tasks) > 0 {
				continue
			}
			tasks, err := c.Query(ctx, results[i].ID)
			if err != nil {
				if ctx.Err() == nil {
					return results, err
				}
				break // timed out while querying: report the last known states
			}
			results[i].Tasks = tasks
			done = done && results[i].Done()
		}
		if ctx.Err() != nil {
			return results, waitError(results, fmt.Sprintf("not ended after %v", timeout))
		}
		if done {
			return results, waitError(results, "")
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
}

// waitError lists the tasks that are not OK, or returns nil if every task is. why qualifies the
// unfinished ones.
func waitError(results []Result, why string) error {
	var bad []string
	for _, r := range results {
		if len(r.Tasks) == 0 {
			bad = append(bad, "job "+r.ID.String()+" state unknown")
		}
		for _, t := range r.Tasks {
			switch {
			case t.OK():
			case t.neverRuns():
				bad = append(bad, t.String()+": a job it depends on failed, it will never start (scancel "+t.Name()+")")
			case !t.Done():
				bad = append(bad, t.String()+": "+why)
			default:
				bad = append(bad, t.String())
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return errors.New("slurm: " + strings.Join(bad, "; "))
}

// Query returns the current state of job id: one Task, or one per array task. It asks the
// controller (`scontrol show job`), and the accounting database (`sacct`) for a job the
// controller no longer keeps (finished more than MinJobAge ago).
func (c *Cluster) Query(ctx context.Context, id ID) ([]Task, error) {
	out, err := c.run(ctx, "", "scontrol", "-o", "show", "job", id.String())
	if err == nil {
		return parseScontrol(out)
	}
	if !strings.Contains(err.Error(), "Invalid job id") {
		return nil, err
	}
	out, err2 := c.run(ctx, "", "sacct", "-n", "-P", "-X", "-j", id.String(), "-o", "JobID,State,ExitCode")
	if err2 != nil {
		return nil, fmt.Errorf("slurm: job %v: unknown to the controller (%v) and to accounting (%v)", id, err, err2)
	}
	tasks, err := parseSacct(out)
	if err == nil && len(tasks) == 0 {
		err = fmt.Errorf("slurm: job %v: unknown to the controller and to accounting", id)
	}
	return tasks, err
}

// parseScontrol reads the records of `scontrol -o show job`: one line per job or array task, of
// Key=Value fields separated by spaces (a value may itself contain spaces, e.g. a Command path).
func parseScontrol(out string) ([]Task, error) {
	var tasks []Task
	for line := range strings.Lines(out) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := fields(line)
		var t Task
		var err error
		if t.JobID, err = parseID(f["JobId"]); err != nil {
			return nil, fmt.Errorf("slurm: scontrol record %.60q...: JobId: %w", line, err)
		}
		if a, ok := f["ArrayJobId"]; ok {
			if t.ArrayJobID, err = parseID(a); err != nil {
				return nil, fmt.Errorf("slurm: scontrol record of job %v: ArrayJobId: %w", t.JobID, err)
			}
			t.ArrayTaskID = f["ArrayTaskId"]
		}
		t.State, t.Reason = f["JobState"], f["Reason"]
		if t.State == "" {
			return nil, fmt.Errorf("slurm: scontrol record of job %v has no JobState", t.JobID)
		}
		if t.ExitCode, t.Signal, err = parseExit(f["ExitCode"]); err != nil {
			return nil, fmt.Errorf("slurm: scontrol record of job %v: %w", t.JobID, err)
		}
		tasks = append(tasks, t)
	}
	sortTasks(tasks)
	return tasks, nil
}

// fields splits an `scontrol -o` record into its Key=Value fields. A space-separated word that
// is not Key=Value, with Key a plain identifier, continues the previous value.
func fields(line string) map[string]string {
	f := map[string]string{}
	last := ""
	for _, w := range strings.Fields(line) {
		k, v, ok := strings.Cut(w, "=")
		if ok && k != "" && strings.IndexFunc(k, notKeyRune) < 0 {
			f[k], last = v, k
		} else if last != "" {
			f[last] += " " + w
		}
	}
	return f
}

func notKeyRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '/' || r == ':')
}

// parseSacct reads `sacct -n -P -X -o JobID,State,ExitCode`: lines "12|COMPLETED|0:0", array
// tasks "12_3|...", tasks not yet started "12_[4-9]|PENDING|0:0", and states with a qualifier
// such as "CANCELLED by 0".
func parseSacct(out string) ([]Task, error) {
	var tasks []Task
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) != 3 {
			return nil, fmt.Errorf("slurm: sacct line %q: want JobID|State|ExitCode", line)
		}
		var t Task
		var err error
		job, task, isArray := strings.Cut(parts[0], "_")
		if t.JobID, err = parseID(job); err != nil {
			return nil, fmt.Errorf("slurm: sacct line %q: %w", line, err)
		}
		if isArray {
			t.ArrayJobID, t.ArrayTaskID = t.JobID, strings.Trim(task, "[]")
		}
		t.State, _, _ = strings.Cut(parts[1], " ")
		if t.ExitCode, t.Signal, err = parseExit(parts[2]); err != nil {
			return nil, fmt.Errorf("slurm: sacct line %q: %w", line, err)
		}
		tasks = append(tasks, t)
	}
	sortTasks(tasks)
	return tasks, nil
}

func parseID(s string) (ID, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not a job ID", s)
	}
	return ID(id), nil
}

// parseExit reads Slurm's "exit:signal" exit code, e.g. "3:0" or "0:9".
func parseExit(s string) (code, signal int, err error) {
	a, b, ok := strings.Cut(s, ":")
	if ok {
		code, err = strconv.Atoi(a)
	}
	if ok && err == nil {
		signal, err = strconv.Atoi(b)
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("exit code %q is not exit:signal", s)
	}
	return code, signal, nil
}

// sortTasks orders array tasks by index (ranges of unstarted tasks last), plain jobs by ID.
func sortTasks(tasks []Task) {
	index := func(t Task) int {
		i, err := strconv.Atoi(t.ArrayTaskID)
		if err != nil {
			return int(^uint(0) >> 1)
		}
		return i
	}
	slices.SortFunc(tasks, func(a, b Task) int {
		return cmp.Or(cmp.Compare(a.ArrayJobID, b.ArrayJobID), cmp.Compare(index(a), index(b)), cmp.Compare(a.JobID, b.JobID))
	})
}
