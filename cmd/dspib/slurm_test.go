package main

import (
	"context"
	"github.com/dspib/dspib/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dspib/dspib/internal/slurm"
	"github.com/dspib/dspib/md/runstore"
)

// The experiment of the Slurm tests: LJ7 at two training temperatures and
// three reference temperatures, a few hundred frames each, tiny training
// settings (those of TestPipelineLJ7), so that the whole chain of jobs takes
// well under a minute on the 2-CPU one-node cluster of .ci/slurm-up.
var slurmExperiment = []string{
	"-system", "lj7", "-temps", "0.2,0.5", "-ref-temps", "0.2,0.3,0.5", "-seed", "2", "-ref-seed", "3",
	"-simulate-args", "-frames 600 -stride 20",
	"-train-args", "-k 5 -lag 2 -epochs1 4 -epochs2 3 -tol2 1e-2 -patience2 1 -refinements 1 -batch 64 -lr 5e-3 -replicas 4 -quiet -seed 3",
	"-evaluate-args", "-n 200 -seed 7 -quiet",
	"-cpus-md", "1", "-cpus-train", "1", "-cpus-eval", "1", "-time-md", "5m", "-time-train", "5m", "-time-eval", "5m",
}

// The same MD in one process each (without -shard).
var slurmOneProcess = [][]string{
	{"-system", "lj7", "-temps", "0.2,0.5", "-seed", "2", "-frames", "600", "-stride", "20"},
	{"-system", "lj7", "-temps", "0.2,0.3,0.5", "-seed", "3", "-frames", "600", "-stride", "20"},
}

// slurmWaitTimeout bounds the wait for the whole experiment: it runs in
// ~20-40 s on the one-node CI cluster (2 CPUs); a hang fails the test.
const slurmWaitTimeout = 3 * time.Minute

// TestSlurmExperiment submits the tiny LJ7 experiment with dspib slurm
// -submit to a real cluster: two job arrays of temperature shards, training
// after the training MD, evaluation after training and the reference MD.
// Every trajectory file assembled from the shards is byte-identical to the
// same run in one dspib simulate process, and the report exists. It skips
// when no cluster is reachable, unless DSPIB_SLURM_REQUIRED is set (CI, after
// .ci/slurm-up). On a multi-node cluster, DSPIB_SLURM_DIR must be a folder
// the compute nodes share.
func TestSlurmExperiment(t *testing.T) {
	ctx := context.Background()
	cluster, err := slurm.Find(ctx)
	if err != nil {
		if os.Getenv("DSPIB_SLURM_REQUIRED") != "" {
			t.Fatalf("DSPIB_SLURM_REQUIRED is set but %v", err)
		}
		t.Skipf("skipping, %v (as root on Debian: bash .ci/slurm-up && . /tmp/dspib-slurm/env)", err)
	}
	cluster.Poll = 200 * time.Millisecond
	dir := t.TempDir()
	if base := os.Getenv("DSPIB_SLURM_DIR"); base != "" {
		dir, err = os.MkdirTemp(base, "dspib-slurm-test-")
		require.NoError(t, err)
		t.Cleanup(func() { os.RemoveAll(dir) })
	}

	// The jobs run a real dspib binary, built from this package.
	bin := filepath.Join(dir, "dspib")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build:\n%s", out)

	exp := filepath.Join(dir, "exp")
	r := mustRun(t, append([]string{"slurm", "-dspib", bin, "-out", exp, "-submit"}, slurmExperiment...)...)
	ids := map[string]slurm.ID{}
	var all []slurm.ID
	for _, m := range regexp.MustCompile(`(?m)^(md|md-ref|train|evaluate) ([0-9]+)$`).FindAllStringSubmatch(r.stdout, -1) {
		id, err := strconv.ParseInt(m[2], 10, 64)
		require.NoError(t, err)
		ids[m[1]] = slurm.ID(id)
		all = append(all, slurm.ID(id))
	}
	require.Len(t, ids, 4, "dspib slurm -submit printed:\n%s", r.stdout)
	results, err := cluster.Wait(ctx, slurmWaitTimeout, all...)
	if err != nil {
		_ = cluster.Cancel(ctx, all...)
		logs, _ := filepath.Glob(filepath.Join(exp, "slurm", "*.out"))
		var b strings.Builder
		for _, l := range logs {
			text, _ := os.ReadFile(l)
			b.WriteString("== " + filepath.Base(l) + "\n" + string(text))
		}
		t.Fatalf("%v\njob logs:\n%s", err, b.String())
	}
	// One array task per temperature, each its own Slurm job, all OK.
	for k, want := range map[string]int{"md": 2, "md-ref": 3, "train": 1, "evaluate": 1} {
		for _, res := range results {
			if res.ID == ids[k] {
				assert.Len(t, res.Tasks, want, k)
				for _, task := range res.Tasks {
					assert.True(t, task.OK(), "%s: %v", k, task)
					t.Log(k, task)
				}
			}
		}
	}

	// Byte identity with one process per run, file by file.
	for k, folder := range []string{"md", "md-ref"} {
		// Assembled from shard markers: no process wrote metadata.json.
		assert.NoFileExists(t, filepath.Join(exp, folder, runstore.MetadataName))
		one := filepath.Join(dir, "one-"+folder)
		mustRun(t, append([]string{"simulate", "-quiet", "-shard", "all", "-out", one}, slurmOneProcess[k]...)...)
		// traj, energy, features, moments per temperature, and metadata.json
		// (ListDir leaves out the folder locks).
		names := testutil.ListDir(t, one)
		require.Len(t, names, 4*len(strings.Split(slurmOneProcess[k][3], ","))+1, folder)
		for _, name := range names {
			if name == runstore.MetadataName {
				continue
			}
			assert.Equal(t, readFile(t, filepath.Join(one, name)), readFile(t, filepath.Join(exp, folder, name)),
				"%s/%s from the job array differs from the one-process run", folder, name)
		}
		sharded, err := runstore.Open(filepath.Join(exp, folder))
		require.NoError(t, err)
		whole, err := runstore.Open(one)
		require.NoError(t, err)
		assert.Equal(t, whole.Meta.Files, sharded.Meta.Files)
		assert.Equal(t, whole.Meta.Seeds, sharded.Meta.Seeds)
	}
	assert.FileExists(t, filepath.Join(exp, "model", "summary.json"))
	report := string(readFile(t, filepath.Join(exp, "eval", "report.md")))
	assert.Contains(t, report, "D-SPIB")
}

// dspib slurm without -submit writes the scripts: the array covers every
// temperature, each task runs its shard, GOMAXPROCS equals --cpus-per-task,
// and submit.sh chains the jobs with afterok. Bad flags are refused before
// anything is written.
func TestSlurmScripts(t *testing.T) {
	exp := filepath.Join(t.TempDir(), "exp")
	mustRun(t, append([]string{"slurm", "-dspib", "/opt/dspib", "-out", exp, "-partition", "short"}, slurmExperiment...)...)
	script := func(name string) string { return string(readFile(t, filepath.Join(exp, "slurm", name))) }
	md, ref := script("md.sbatch"), script("md-ref.sbatch")
	assert.Contains(t, md, "#SBATCH --array=0-1\n")
	assert.Contains(t, ref, "#SBATCH --array=0-2\n")
	assert.Contains(t, md, `-shard "$SLURM_ARRAY_TASK_ID"`)
	assert.Contains(t, md, "/opt/dspib simulate -system lj7 -seed 2 -out "+exp+"/md -temps 0.2,0.5 -frames 600")
	assert.Contains(t, script("train.sbatch"), "/opt/dspib train -in "+exp+"/md -out "+exp+"/model -k 5")
	assert.Contains(t, script("evaluate.sbatch"), "-md "+exp+"/md-ref -out "+exp+"/eval")
	for _, name := range []string{"md.sbatch", "md-ref.sbatch", "train.sbatch", "evaluate.sbatch"} {
		s := script(name)
		cpus := regexp.MustCompile(`#SBATCH --cpus-per-task=(\d+)\n`).FindStringSubmatch(s)
		require.NotNil(t, cpus, name)
		assert.Contains(t, s, "export GOMAXPROCS="+cpus[1]+"\n", name)
		assert.Contains(t, s, "#SBATCH --partition=short\n", name)
		assert.Contains(t, s, "#SBATCH --time=5\n", name)
	}
	sub := script("submit.sh")
	assert.Contains(t, sub, "job2=$(sbatch --parsable --dependency=afterok:$job0 train.sbatch")
	assert.Contains(t, sub, "job3=$(sbatch --parsable --dependency=afterok:$job1:$job2 evaluate.sbatch")

	for _, tc := range []struct{ args []string }{
		{[]string{"-system", "lj7", "-simulate-args", "-frames 0"}},
		{[]string{"-system", "lj7", "-simulate-args", "-shard 1"}},
		{[]string{"-system", "lj7", "-simulate-args", "-force"}},
		{[]string{"-system", "nope"}},
		{[]string{"-system", "lj7", "-cpus-md", "0"}},
		{[]string{"-system", "lj7", "-ref-temps", "0.3", "-ref-seed", "1"}},
		{[]string{"-system", "lj7", "-dspib", "/my bin/dspib"}},
		{[]string{"-system", "lj7", "-train-args", "-epochs x"}},
		{[]string{"-system", "lj7", "-train-args", "-nosuchflag 1"}},
		{[]string{"-system", "lj7", "-evaluate-args", "-n 5 extra"}},
	} {
		out := filepath.Join(t.TempDir(), "bad")
		r := runCLI(context.Background(), append([]string{"slurm", "-out", out}, tc.args...)...)
		assert.Equal(t, 2, r.code, "%v: %s", tc.args, r.stderr)
		assert.NoDirExists(t, out, tc.args)
	}
}

// dspib simulate -shard and SLURM_ARRAY_TASK_ID: the shard is taken from
// the flag, else from the variable; -shard all overrides the variable; bad
// values are usage errors naming their source; the files equal those of a
// one-process run.
func TestSimulateShardFlag(t *testing.T) {
	dir := t.TempDir()
	one, sharded := filepath.Join(dir, "one"), filepath.Join(dir, "sharded")
	base := []string{"simulate", "-system", "threehole", "-temps", "0.6,1.0", "-frames", "200", "-seed", "4", "-quiet"}
	mustRun(t, append(base, "-out", one)...)
	mustRun(t, append(base, "-out", sharded, "-shard", "1")...)
	_, err := runstore.Open(sharded)
	require.ErrorContains(t, err, "shard 0 (kT 0.6, shard_kT0.600.json): not started")
	// train (and evaluate, encode: the same runstore.Open) refuse it.
	r := runCLI(context.Background(), "train", "-in", sharded, "-out", filepath.Join(dir, "model"), "-quiet")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "the sharded run is incomplete, 1 of 2 shards missing")
	assert.Contains(t, r.stderr, "shard 0 (kT 0.6, shard_kT0.600.json): not started")
	_, md := loadMDFeatures(sharded, "", "")
	assert.ErrorContains(t, md, "shard 0 (kT 0.6")

	t.Setenv("SLURM_ARRAY_TASK_ID", "0")
	mustRun(t, append(base, "-out", sharded)...)
	_, err = runstore.Open(sharded)
	require.NoError(t, err)
	for _, name := range []string{"traj_kT0.600.npy", "traj_kT1.000.npy", "energy_kT1.000.npy"} {
		assert.Equal(t, readFile(t, filepath.Join(one, name)), readFile(t, filepath.Join(sharded, name)), name)
	}
	assert.NoFileExists(t, filepath.Join(sharded, runstore.MetadataName))
	// -shard all with the variable set: the whole run, which here only
	// merges (writes metadata.json).
	mustRun(t, append(base, "-out", sharded, "-shard", "all")...)
	assert.FileExists(t, filepath.Join(sharded, runstore.MetadataName))

	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{"0", []string{"-shard", "2"}, "-shard 2: the run has 2 temperatures"},
		{"0", []string{"-shard", "x"}, `-shard: "x" is not a shard index`},
		{"-1", nil, `SLURM_ARRAY_TASK_ID: "-1" is not a shard index`},
		{"all", nil, `SLURM_ARRAY_TASK_ID: "all" is not a shard index`},
		{"0", []string{"-force"}, "-force cannot be used with a shard"},
	} {
		t.Setenv("SLURM_ARRAY_TASK_ID", tc.env)
		r := runCLI(context.Background(), append(append(base, "-out", filepath.Join(dir, "bad")), tc.args...)...)
		assert.Equal(t, 2, r.code, "%v", tc.args)
		assert.Contains(t, r.stderr, tc.want)
	}
}
