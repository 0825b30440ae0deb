// Package slurm submits batch jobs to a Slurm cluster and waits for them, through Slurm's own
// client commands (sinfo, scontrol, sbatch, squeue, sacct, scancel), so it works with any Slurm
// version and site setup the commands work with, and needs no library.
//
// Find checks that a cluster is reachable; Cluster.Submit runs `sbatch --parsable` with the
// script on standard input (job arrays with Job.Array, dependencies with Job.AfterOK);
// Cluster.Wait polls `scontrol show job` (falling back to `sacct` for jobs the controller has
// already forgotten) until every job has ended or a bounded timeout passes, and returns each
// task's state and exit code.
//
// For tests, .ci/slurm-up in the repository starts a one-node cluster on a Debian machine and
// writes the environment (SLURM_CONF) that Find needs to reach it.
package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// ErrUnavailable is wrapped by the errors of Find when no usable cluster is reachable: the
// client commands are not installed, the controller does not answer, or no node can run jobs.
var ErrUnavailable = errors.New("slurm: no reachable cluster")

// commandTimeout bounds one client command, so that a hung controller is an error, not a hang.
const commandTimeout = 30 * time.Second

// defaultPoll is the interval between two state queries of Wait when Cluster.Poll is zero:
// short against jobs of seconds, long against the cost of one scontrol call (~10 ms).
const defaultPoll = 500 * time.Millisecond

// Cluster is a reachable Slurm cluster, as seen by the client commands in PATH. The zero value
// uses the process environment (SLURM_CONF or the site's /etc/slurm/slurm.conf).
type Cluster struct {
	// Env is added to the environment of every client command, e.g. "SLURM_CONF=/path/slurm.conf".
	Env []string
	// Poll is the interval between two state queries while waiting; zero means 500 ms.
	Poll time.Duration
}

// Find returns the cluster that the client commands reach with env added to the process
// environment, after checking that the commands are in PATH, that the controller answers
// `scontrol ping`, and that sinfo shows at least one node able to run jobs. Its errors wrap
// ErrUnavailable and say which check failed.
func Find(ctx context.Context, env ...string) (*Cluster, error) {
	c := &Cluster{Env: env}
	for _, name := range []string{"sinfo", "scontrol", "sbatch", "squeue"} {
		if _, err := exec.LookPath(name); err != nil {
			return nil, fmt.Errorf("%w: %s is not in PATH", ErrUnavailable, name)
		}
	}
	out, err := c.run(ctx, "", "scontrol", "ping")
	if err != nil {
		return nil, fmt.Errorf("%w: controller does not answer: %v", ErrUnavailable, err)
	}
	if !strings.Contains(out, "UP") {
		return nil, fmt.Errorf("%w: controller is not up: scontrol ping says %q", ErrUnavailable, strings.TrimSpace(out))
	}
	out, err = c.run(ctx, "", "sinfo", "-h", "-o", "%T")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if !anyNodeUsable(out) {
		return nil, fmt.Errorf("%w: no node is idle, mixed or allocated; sinfo node states: %q",
			ErrUnavailable, strings.Join(strings.Fields(out), " "))
	}
	return c, nil
}

// anyNodeUsable reports whether one of the node states printed by `sinfo -h -o %T` can run jobs
// now or after powering up ("~", "#" suffixes of cloud nodes); "*" marks a node not responding.
func anyNodeUsable(states string) bool {
	for _, s := range strings.Fields(states) {
		s = strings.TrimRight(s, "~#")
		switch s {
		case "idle", "mixed", "allocated", "completing", "planned":
			return true
		}
	}
	return false
}

// run runs a client command with stdin as its standard input and returns its standard output.
// The error names the command and carries its exit status and standard error.
func (c *Cluster) run(ctx context.Context, stdin string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		msg = strings.ReplaceAll(msg, "\n", " | ") // one line, as errors are
		return stdout.String(), fmt.Errorf("slurm: %s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return stdout.String(), nil
}

func (c *Cluster) poll() time.Duration {
	if c.Poll > 0 {
		return c.Poll
	}
	return defaultPoll
}
