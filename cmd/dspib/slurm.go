package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/dspib/dspib/internal/atomicfile"
	"github.com/dspib/dspib/internal/slurm"
	"github.com/dspib/dspib/systems"
)

func init() {
	register(command{name: "slurm", summary: "write (and with -submit, submit) the Slurm batch scripts of a whole experiment: MD job array, then train, then evaluate", run: runSlurm})
}

// slurmFlags are the flags of dspib slurm.
type slurmFlags struct {
	system, temps, refTemps, out, dspib, partition, account string
	simArgs, trainArgs, evalArgs                            string
	seed, refSeed                                           uint64
	cpusMD, cpusTrain, cpusEval                             int
	timeMD, timeTrain, timeEval                             time.Duration
	submit                                                  bool
}

// slurmStage is one batch job of the experiment: its script file, the job
// it becomes and the folder it writes.
type slurmStage struct {
	file string
	job  slurm.Job
	// after are the stages (indices) whose jobs must succeed first.
	after []int
}

func newSlurmFlagSet(f *slurmFlags, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("slurm", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.system, "system", "", "model system: "+strings.Join(systems.Names(), ", ")+" (required)")
	fs.StringVar(&f.temps, "temps", "", "training temperatures kT [ε], comma-separated: one array task each (default: the system's list)")
	fs.StringVar(&f.refTemps, "ref-temps", "", "optional reference MD temperatures for the evaluation (a second job array into OUT/md-ref); default: evaluate against OUT/md")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed of the training MD (-seed of simulate)")
	fs.Uint64Var(&f.refSeed, "ref-seed", 2, "random seed of the reference MD (must differ from -seed)")
	fs.StringVar(&f.out, "out", "", "experiment folder (required): scripts in OUT/slurm, MD in OUT/md, model in OUT/model, evaluation in OUT/eval")
	fs.StringVar(&f.dspib, "dspib", "", "path of the dspib binary the jobs run, as seen from the compute nodes (default: this executable)")
	fs.StringVar(&f.partition, "partition", "", "Slurm partition of every job (default: the cluster's)")
	fs.StringVar(&f.account, "account", "", "Slurm account of every job (default: yours)")
	fs.IntVar(&f.cpusMD, "cpus-md", 1, "CPUs per MD array task (--cpus-per-task and GOMAXPROCS; one temperature per task needs 1)")
	fs.IntVar(&f.cpusTrain, "cpus-train", 4, "CPUs of the training job (--cpus-per-task and GOMAXPROCS)")
	fs.IntVar(&f.cpusEval, "cpus-eval", 2, "CPUs of the evaluation job (--cpus-per-task and GOMAXPROCS)")
	fs.DurationVar(&f.timeMD, "time-md", 4*time.Hour, "wall-time limit of each MD task (--time, whole minutes)")
	fs.DurationVar(&f.timeTrain, "time-train", 4*time.Hour, "wall-time limit of training")
	fs.DurationVar(&f.timeEval, "time-eval", time.Hour, "wall-time limit of evaluation")
	fs.StringVar(&f.simArgs, "simulate-args", "", "further flags of dspib simulate, space-separated, e.g. \"-frames 100000 -stride 100\"")
	fs.StringVar(&f.trainArgs, "train-args", "", "further flags of dspib train, space-separated, e.g. \"-epochs 200 -seed 3\"")
	fs.StringVar(&f.evalArgs, "evaluate-args", "", "further flags of dspib evaluate, space-separated, e.g. \"-n 20000\"")
	fs.BoolVar(&f.submit, "submit", false, "submit the jobs with sbatch (in order, with their dependencies) and print their IDs; default: only write the scripts")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, `Usage: dspib slurm -system NAME -out DIR [flags]

Writes the Slurm batch scripts of a whole experiment into DIR/slurm:

  md.sbatch        a job array, one task per training temperature: each runs
                   dspib simulate -shard $SLURM_ARRAY_TASK_ID into DIR/md
  md-ref.sbatch    with -ref-temps: the same for the reference MD, DIR/md-ref
  train.sbatch     dspib train -in DIR/md -out DIR/model, after every MD task
                   succeeded (--dependency=afterok:<md array>)
  evaluate.sbatch  dspib evaluate -model DIR/model -md DIR/md-ref (or DIR/md)
                   -out DIR/eval (report.md), after training (and md-ref)
  submit.sh        the sbatch commands that queue them with these dependencies

Every script sets GOMAXPROCS to the CPUs it asks for (--cpus-per-task), so Go
uses exactly its allocation. Paths in the scripts are absolute; the folder and
the dspib binary must be visible from the compute nodes (a shared file system).
The simulate flags are checked now, so a typo fails here, not in the queue.

Without -submit nothing is queued: inspect the scripts, then run
'sh DIR/slurm/submit.sh'. With -submit the jobs are queued through sbatch
(SLURM_CONF and PATH as for your own sbatch) and their IDs printed.

A failed MD task leaves the later jobs pending forever (DependencyNeverSatisfied):
cancel them, fix the cause, and resubmit; finished shards are reused, an
interrupted one resumes from its checkpoint (see 'dspib help simulate').

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(w, `
Example:
  dspib slurm -system lj7 -temps 0.2,0.3,0.4 -ref-temps 0.2,0.25,0.3,0.35,0.4,0.5 \
      -simulate-args "-frames 100000" -train-args "-epochs 200" -partition short -out exp1
  sh exp1/slurm/submit.sh      # or add -submit above
`)
	}
	return fs
}

// runSlurm implements "dspib slurm".
func runSlurm(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f slurmFlags
	fs := newSlurmFlagSet(&f, stderr)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	stages, err := f.stages()
	if err != nil {
		return err
	}
	dir := filepath.Join(f.out, "slurm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	for _, st := range stages {
		if err := writeText(filepath.Join(dir, st.file), st.job.Script); err != nil {
			return err
		}
	}
	if err := writeText(filepath.Join(dir, "submit.sh"), submitScript(stages)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d batch scripts and submit.sh to %s\n", len(stages), dir)
	if !f.submit {
		fmt.Fprintf(stdout, "submit them with: sh %s\n", filepath.Join(dir, "submit.sh"))
		return nil
	}
	cluster, err := slurm.Find(ctx)
	if err != nil {
		return err
	}
	ids := make([]slurm.ID, len(stages))
	for i, st := range stages {
		job := st.job
		for _, a := range st.after {
			job.AfterOK = append(job.AfterOK, ids[a])
		}
		if ids[i], err = cluster.Submit(ctx, job); err != nil {
			if i > 0 {
				err = fmt.Errorf("%w (jobs %v were already submitted; cancel them with scancel)", err, ids[:i])
			}
			return err
		}
		fmt.Fprintf(stdout, "%s %s\n", strings.TrimSuffix(st.file, ".sbatch"), ids[i])
	}
	return nil
}

// writeText writes a text file atomically.
func writeText(path, text string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	})
}

// stages checks the flags and returns the jobs of the experiment, in
// submission order.
func (f *slurmFlags) stages() ([]slurmStage, error) {
	if f.out == "" {
		return nil, usagef("-out: required (the experiment folder)")
	}
	out, err := filepath.Abs(f.out)
	if err != nil {
		return nil, usagef("-out: %v", err)
	}
	bin := f.dspib
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return nil, usagef("-dspib: cannot find this executable (%v); give the path", err)
		}
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return nil, usagef("-dspib: %v", err)
	}
	for _, c := range []struct{ flag, path string }{{"-out", out}, {"-dspib", bin}} {
		if strings.ContainsFunc(c.path, unicode.IsSpace) {
			return nil, usagef("%s: %q contains white space, which the #SBATCH lines of the scripts cannot carry; choose a path without", c.flag, c.path)
		}
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"-cpus-md", f.cpusMD}, {"-cpus-train", f.cpusTrain}, {"-cpus-eval", f.cpusEval}} {
		if c.n < 1 {
			return nil, usagef("%s: must be ≥ 1, got %d", c.name, c.n)
		}
	}
	for _, c := range []struct {
		name string
		d    time.Duration
	}{{"-time-md", f.timeMD}, {"-time-train", f.timeTrain}, {"-time-eval", f.timeEval}} {
		if c.d <= 0 {
			return nil, usagef("%s: must be > 0, got %v", c.name, c.d)
		}
	}
	var common []string
	if f.partition != "" {
		common = append(common, "--partition="+f.partition)
	}
	if f.account != "" {
		common = append(common, "--account="+f.account)
	}
	logs := filepath.Join(out, "slurm")
	job := func(name, output string, cpus int, limit time.Duration, array string, command []string) slurm.Job {
		j := slurm.Job{Name: "dspib-" + name, Dir: out, Output: filepath.Join(logs, output), Array: array,
			CPUsPerTask: cpus, TimeLimit: limit, Args: common}
		j.Script = batchScript(j, command)
		return j
	}

	var stages []slurmStage
	mdStage := func(name, folder, temps string, seed uint64) (int, error) {
		args := []string{"simulate", "-system", f.system, "-seed", strconv.FormatUint(seed, 10), "-out", filepath.Join(out, folder)}
		if temps != "" {
			args = append(args, "-temps", temps)
		}
		args = append(args, strings.Fields(f.simArgs)...)
		for _, a := range args[1:] {
			if a == "-shard" || strings.HasPrefix(a, "-shard=") || a == "-force" || strings.HasPrefix(a, "-force=") {
				return 0, usagef("-simulate-args: %s is set by the scripts (one shard per array task) and cannot be given", a)
			}
		}
		cfg, _, err := parseSimulate(args[1:], io.Discard, func(string) string { return "" })
		if err != nil {
			return 0, usagef("-simulate-args: dspib %s: %v", strings.Join(args, " "), err)
		}
		if err := cfg.Validate(); err != nil {
			return 0, usagef("-simulate-args: %v", err)
		}
		n := len(cfg.Temperatures)
		if n == 0 {
			n = len(cfg.System.Temperatures)
		}
		args = append(args, "-shard", "$SLURM_ARRAY_TASK_ID")
		stages = append(stages, slurmStage{file: name + ".sbatch",
			job: job(name, name+"-%A_%a.out", f.cpusMD, f.timeMD, fmt.Sprintf("0-%d", n-1), append([]string{bin}, args...))})
		return len(stages) - 1, nil
	}
	if f.system == "" {
		return nil, usagef("-system: required (%s)", strings.Join(systems.Names(), ", "))
	}
	md, err := mdStage("md", "md", f.temps, f.seed)
	if err != nil {
		return nil, err
	}
	evalMD, evalAfter := filepath.Join(out, "md"), []int{}
	if f.refTemps != "" {
		if f.refSeed == f.seed {
			return nil, usagef("-ref-seed: %d equals -seed; the reference MD must be independent of the training MD", f.refSeed)
		}
		ref, err := mdStage("md-ref", "md-ref", f.refTemps, f.refSeed)
		if err != nil {
			return nil, err
		}
		evalMD, evalAfter = filepath.Join(out, "md-ref"), []int{ref}
	}
	for _, c := range []struct{ flag, command, args string }{{"-train-args", "train", f.trainArgs}, {"-evaluate-args", "evaluate", f.evalArgs}} {
		if err := checkFlags(c.command, strings.Fields(c.args)); err != nil {
			return nil, usagef("%s: dspib %s: %v", c.flag, c.command, err)
		}
	}
	model := filepath.Join(out, "model")
	train := append([]string{bin, "train", "-in", filepath.Join(out, "md"), "-out", model}, strings.Fields(f.trainArgs)...)
	stages = append(stages, slurmStage{file: "train.sbatch", after: []int{md},
		job: job("train", "train-%j.out", f.cpusTrain, f.timeTrain, "", train)})
	eval := append([]string{bin, "evaluate", "-model", model, "-md", evalMD, "-out", filepath.Join(out, "eval")}, strings.Fields(f.evalArgs)...)
	stages = append(stages, slurmStage{file: "evaluate.sbatch", after: append(evalAfter, len(stages)-1),
		job: job("evaluate", "evaluate-%j.out", f.cpusEval, f.timeEval, "", eval)})
	return stages, nil
}

// checkFlags checks the flag names and values in args of the registered
// command name without running it: it runs the command with args and a
// final -h, which the flag package reaches (returning flag.ErrHelp) only if
// every flag before it parsed. Checks that need other flags or files
// (required flags, folders) happen when the job runs.
func checkFlags(name string, args []string) error {
	err := commands[name].run(context.Background(), append(slices.Clone(args), "-h"), io.Discard, io.Discard)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err == nil {
		err = fmt.Errorf("flags %q not understood", args)
	}
	return err
}

// batchScript returns the sbatch script of j running command: #SBATCH lines
// for j's settings (the same as sbatch's command-line options from
// slurm.Job, so the script alone is enough), GOMAXPROCS = CPUs per task,
// then the command with every argument shell-quoted, except
// $SLURM_ARRAY_TASK_ID, which the shell expands.
func batchScript(j slurm.Job, command []string) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", j.Name)
	fmt.Fprintf(&b, "#SBATCH --chdir=%s\n", j.Dir)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", j.Output)
	if j.Array != "" {
		fmt.Fprintf(&b, "#SBATCH --array=%s\n", j.Array)
	}
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", j.CPUsPerTask)
	fmt.Fprintf(&b, "#SBATCH --time=%d\n", int64((j.TimeLimit+time.Minute-1)/time.Minute))
	for _, a := range j.Args {
		fmt.Fprintf(&b, "#SBATCH %s\n", a)
	}
	b.WriteString("set -eu\n")
	fmt.Fprintf(&b, "# Go uses exactly the CPUs Slurm gives the task.\nexport GOMAXPROCS=%d\n", j.CPUsPerTask)
	quoted := make([]string, len(command))
	for i, a := range command {
		if a == "$SLURM_ARRAY_TASK_ID" {
			quoted[i] = `"$SLURM_ARRAY_TASK_ID"`
		} else {
			quoted[i] = shellQuote(a)
		}
	}
	fmt.Fprintf(&b, "exec %s\n", strings.Join(quoted, " "))
	return b.String()
}

// shellQuote quotes s for a POSIX shell: as is if it holds only safe
// characters, otherwise in single quotes.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./,:=+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// submitScript returns a shell script that submits the stages in order, each
// with --dependency=afterok on the jobs it needs, and prints their IDs.
func submitScript(stages []slurmStage) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n# Written by dspib slurm: queue the experiment's jobs with their dependencies.\nset -eu\ncd \"$(dirname \"$0\")\"\n")
	vars := make([]string, len(stages))
	for i, st := range stages {
		vars[i] = "job" + strconv.Itoa(i)
		dep := ""
		if len(st.after) > 0 {
			ids := make([]string, len(st.after))
			for k, a := range st.after {
				ids[k] = "$" + vars[a]
			}
			dep = " --dependency=afterok:" + strings.Join(ids, ":")
		}
		fmt.Fprintf(&b, "%s=$(sbatch --parsable%s %s | cut -d';' -f1)\n", vars[i], dep, st.file)
		fmt.Fprintf(&b, "echo \"%s $%s\"\n", strings.TrimSuffix(st.file, ".sbatch"), vars[i])
	}
	return b.String()
}
