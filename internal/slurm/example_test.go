package slurm_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/dspib/dspib/internal/slurm"
)

// A job array of three tasks, then a job that runs only if all three succeeded, then a bounded
// wait for both. (Not run as a test: it needs a cluster; see TestSlurmArrayThenDependentJob.)
func ExampleCluster_Submit() {
	ctx := context.Background()
	c, err := slurm.Find(ctx) // or slurm.Find(ctx, "SLURM_CONF=/tmp/dspib-slurm/slurm.conf")
	if err != nil {
		log.Fatal(err) // wraps slurm.ErrUnavailable
	}
	shards, err := c.Submit(ctx, slurm.Job{
		Name:   "md",
		Script: "#!/bin/sh\nexec ./md-shard.sh \"$SLURM_ARRAY_TASK_ID\"\n",
		Dir:    "/scratch/experiment",
		Array:  "0-2",
	})
	if err != nil {
		log.Fatal(err)
	}
	train, err := c.Submit(ctx, slurm.Job{
		Name:        "train",
		Script:      "#!/bin/sh\nexec ./train.sh\n",
		Dir:         "/scratch/experiment",
		AfterOK:     []slurm.ID{shards},
		CPUsPerTask: 8,
	})
	if err != nil {
		log.Fatal(err)
	}
	results, err := c.Wait(ctx, 2*time.Hour, shards, train)
	for _, r := range results {
		for _, t := range r.Tasks {
			fmt.Println(t) // e.g. "job 41_2 COMPLETED, exit code 0"
		}
	}
	if err != nil {
		log.Fatal(err) // names each task that failed, cannot start, or is still running
	}
}
