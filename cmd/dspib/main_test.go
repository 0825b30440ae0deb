package main

import (
	"context"
	"flag"
	"io"
	"testing"

	"github.com/dspib/dspib"
	"github.com/stretchr/testify/assert"
)

// The dispatcher: version, help, per-command help, unknown commands and a
// missing command, with their exit statuses.
func TestDispatch(t *testing.T) {
	ctx := context.Background()
	r := runCLI(ctx, "version")
	assert.Zero(t, r.code, "version: exit status")
	assert.Equal(t, "dspib "+dspib.Version+"\n", r.stdout, "version: stdout")
	r = runCLI(ctx, "help")
	assert.Zero(t, r.code, "help: exit status")
	assert.Contains(t, r.stdout, "simulate", "help: stdout")
	assert.Contains(t, r.stdout, "version", "help: stdout")
	r = runCLI(ctx, "help", "simulate")
	for _, f := range []string{"-system", "-temps", "-frames", "-steps", "-stride", "-dt", "-gamma", "-integrator", "-seed", "-out", "-xyz", "-quiet", "-force", "threehole", "lj7"} {
		assert.Contains(t, r.stdout, f, "help simulate lacks %s", f)
	}
	assert.Zero(t, r.code, "help simulate: exit status")
	r = runCLI(ctx, "simulate", "-h")
	assert.Zero(t, r.code, "simulate -h: exit status")
	assert.Contains(t, r.stderr, "-temps", "simulate -h: stderr")
	for _, args := range [][]string{{}, {"simulat"}, {"help", "nope"}, {"version", "x"}} {
		r := runCLI(ctx, args...)
		assert.Equal(t, 2, r.code, "%q: exit status", args)
		assert.NotEmpty(t, r.stderr, "%q: want a message", args)
	}
	r = runCLI(ctx, "simulat")
	assert.Contains(t, r.stderr, `"simulat"`, "unknown command message should name it")
	assert.Contains(t, r.stderr, "simulate", "unknown command message should list the commands")
}

// register refuses a duplicate name, so two files cannot silently claim the
// same subcommand.
func TestRegisterDuplicate(t *testing.T) {
	defer func() {
		assert.NotNil(t, recover(), "duplicate registration did not panic")
	}()
	register(commands["simulate"])
}

// TestParseFlags: the shared parser reports -h as flag.ErrHelp, a bad flag
// and a positional argument as *usageError naming them, and which flags were
// given (an explicit zero is visible).
func TestParseFlags(t *testing.T) {
	newFS := func() *flag.FlagSet {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Float64Var(new(float64), "dt", 0.5, "")
		fs.IntVar(new(int), "n", 1, "")
		return fs
	}
	_, err := parseFlags(newFS(), []string{"-h"})
	assert.ErrorIs(t, err, flag.ErrHelp, "-h")
	for name, args := range map[string][]string{"bogus": {"-bogus"}, "stray": {"-n", "1", "stray"}} {
		_, err := parseFlags(newFS(), args)
		var ue *usageError
		if assert.ErrorAs(t, err, &ue, "%v: want a usage error", args) {
			assert.ErrorContains(t, err, name, "%v: usage error", args)
		}
	}
	set, err := parseFlags(newFS(), []string{"-dt", "0"})
	assert.NoError(t, err, "-dt 0")
	assert.True(t, set["dt"] && !set["n"], "-dt 0: set %v, want only dt", set)
}
