package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/dspib/dspib"
)

// The dispatcher: version, help, per-command help, unknown commands and a
// missing command, with their exit statuses.
func TestDispatch(t *testing.T) {
	ctx := context.Background()
	if r := runCLI(ctx, "version"); r.code != 0 || r.stdout != "dspib "+dspib.Version+"\n" {
		t.Errorf("version: exit %d, stdout %q", r.code, r.stdout)
	}
	r := runCLI(ctx, "help")
	if r.code != 0 || !strings.Contains(r.stdout, "simulate") || !strings.Contains(r.stdout, "version") {
		t.Errorf("help: exit %d, stdout %q", r.code, r.stdout)
	}
	r = runCLI(ctx, "help", "simulate")
	for _, f := range []string{"-system", "-temps", "-frames", "-steps", "-stride", "-dt", "-gamma", "-integrator", "-seed", "-out", "-xyz", "-quiet", "-force", "threehole", "lj7"} {
		if !strings.Contains(r.stdout, f) {
			t.Errorf("help simulate lacks %s:\n%s", f, r.stdout)
		}
	}
	if r.code != 0 {
		t.Errorf("help simulate: exit %d", r.code)
	}
	if r := runCLI(ctx, "simulate", "-h"); r.code != 0 || !strings.Contains(r.stderr, "-temps") {
		t.Errorf("simulate -h: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, args := range [][]string{{}, {"simulat"}, {"help", "nope"}, {"version", "x"}} {
		if r := runCLI(ctx, args...); r.code != 2 || r.stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 with a message", args, r.code, r.stderr)
		}
	}
	if r := runCLI(ctx, "simulat"); !strings.Contains(r.stderr, `"simulat"`) || !strings.Contains(r.stderr, "simulate") {
		t.Errorf("unknown command message %q should name it and list the commands", r.stderr)
	}
}

// register refuses a duplicate name, so two files cannot silently claim the
// same subcommand.
func TestRegisterDuplicate(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("duplicate registration did not panic")
		}
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
	if _, err := parseFlags(newFS(), []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
	for name, args := range map[string][]string{"bogus": {"-bogus"}, "stray": {"-n", "1", "stray"}} {
		_, err := parseFlags(newFS(), args)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: %v, want a usage error naming %q", args, err, name)
		}
	}
	set, err := parseFlags(newFS(), []string{"-dt", "0"})
	if err != nil || !set["dt"] || set["n"] {
		t.Errorf("-dt 0: set %v, err %v; want only dt", set, err)
	}
}
