// Command dspib runs the D-SPIB pipeline from the command line.
//
// Usage:
//
//	dspib <command> [flags]
//	dspib help [command]
//
// Commands:
//
//	simulate   run Langevin dynamics of a model system at several temperatures
//	           and write trajectories, LJ7 features and metadata.json to a folder
//	train      learn SPIB or D-SPIB from a simulate folder or your own .npy
//	           features (one temperature each) and write the model and latents
//	generate   sample a trained D-SPIB model's latent space at any temperatures
//	evaluate   judge a model's generated latents against MD (report.md,
//	           metrics.json, figures), as the benchmarks do
//	encode     map feature .npy files or a simulate folder to latents and states
//	slurm      write (or submit) the Slurm batch scripts of a whole experiment:
//	           a job array of MD shards, then training, then evaluation
//	help       print this help or a command's flags
//	version    print the package version
//
// Every command stops cleanly on Ctrl-C (SIGINT) or SIGTERM: files being
// written keep their ".part" name, so no interrupted output looks complete.
//
// Exit status: 0 on success, 2 for a usage error (unknown command, bad flag),
// 1 for any other failure, 130 after an interrupt.
//
// Each command lives in its own file and adds itself with one line,
//
//	func init() { register(command{name: "simulate", summary: "...", run: runSimulate}) }
//
// where run has the signature of runFunc and is testable in-process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/dspib/dspib"
	"github.com/dspib/dspib/internal/folderlock"
)

// runFunc runs a command with its arguments (without the command name).
// Normal output goes to stdout, progress and notes to stderr. It returns
// flag.ErrHelp after printing the help for -h, a *usageError for bad flags.
type runFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// command is one subcommand of dspib.
type command struct {
	name    string
	summary string // one line for "dspib help"
	run     runFunc
}

// commands holds the registered subcommands by name.
var commands = map[string]command{}

// register adds a subcommand; it is called from the init function of the
// file that implements the command.
func register(c command) {
	if _, dup := commands[c.name]; dup || c.name == "" || c.run == nil {
		panic("dspib: bad or duplicate command registration: " + c.name)
	}
	commands[c.name] = c
}

func init() {
	register(command{name: "help", summary: "print this help, or a command's flags (dspib help simulate)", run: runHelp})
	register(command{name: "version", summary: "print the package version", run: runVersion})
}

// usageError is a mistake on the command line: an unknown command, a bad
// flag value or a missing flag. It makes dspib exit with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a *usageError. By convention the message starts with the
// flag it is about, e.g. "-dt: must be > 0, got -1".
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// parseFlags parses args with fs, the one place the subcommands turn flag
// parsing failures into errors: -h gives flag.ErrHelp (fs has printed the
// help), a bad flag a *usageError with the flag package's message, and a
// positional argument a *usageError naming it. set holds the names of the
// flags given on the command line, so that callers can tell an explicit
// zero from a default.
func parseFlags(fs *flag.FlagSet, args []string) (set map[string]bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q (flags go before it; every flag needs a leading -)", fs.Arg(0))
	}
	set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	return set, nil
}

// explicitZero reports whether flag name was given on the command line with
// the value 0 (set as returned by parseFlags). Commands use it so that an
// explicit zero is never silently replaced by a default: it is either
// honoured (β = 0) or refused with a message.
func explicitZero(fs *flag.FlagSet, set map[string]bool, name string) bool {
	if !set[name] {
		return false
	}
	v, err := strconv.ParseFloat(fs.Lookup(name).Value.String(), 64)
	return err == nil && v == 0
}

// refuseZeros returns a *usageError for the first flag in why given
// explicitly as 0, saying why 0 means nothing for it (names are tried in
// sorted order, so the message does not depend on map order).
func refuseZeros(fs *flag.FlagSet, set map[string]bool, why map[string]string) error {
	names := make([]string, 0, len(why))
	for n := range why {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if explicitZero(fs, set, n) {
			return usagef("-%s 0: %s (omit the flag for the default)", n, why[n])
		}
	}
	return nil
}

// lockOut takes the exclusive lock of output folder dir (created if
// missing; see internal/folderlock): a second dspib writing the same folder
// fails at once with an error naming the holder's PID. The returned
// function releases the lock.
func lockOut(flagName, dir string) (release func(), err error) {
	l, err := folderlock.Exclusive(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flagName, err)
	}
	return func() { l.Release() }, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling so that a
		// second Ctrl-C kills a command that is slow to clean up.
		<-ctx.Done()
		stop()
	}()
	code := dspibMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dspibMain dispatches args to a command and returns the exit status.
func dspibMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	name := args[0]
	if name == "-h" || name == "-help" || name == "--help" {
		name = "help"
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "dspib: unknown command %q (commands: %s); run 'dspib help'\n", name, strings.Join(commandNames(), ", "))
		return 2
	}
	err := c.run(ctx, args[1:], stdout, stderr)
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "dspib %s: %v\n(run 'dspib help %s' for the flags)\n", name, err, name)
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "dspib %s: %v\n", name, err)
		return 130
	default:
		fmt.Fprintf(stderr, "dspib %s: %v\n", name, err)
		return 1
	}
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "dspib %s: molecular dynamics and D-SPIB in pure Go\n\nUsage:\n  dspib <command> [flags]\n\nCommands:\n", dspib.Version)
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'dspib help <command>' for a command's flags.")
}

// runHelp prints the command list, or with one argument that command's
// flags (by running it with -h).
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	switch len(args) {
	case 0:
		printUsage(stdout)
		return nil
	case 1:
		c, ok := commands[args[0]]
		if !ok {
			return usagef("unknown command %q (commands: %s)", args[0], strings.Join(commandNames(), ", "))
		}
		if c.name == "help" || c.name == "version" {
			fmt.Fprintf(stdout, "dspib %s: %s\n", c.name, c.summary)
			return nil
		}
		return c.run(ctx, []string{"-h"}, stdout, stdout)
	default:
		return usagef("help takes at most one command, got %d arguments", len(args))
	}
}

func runVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return usagef("version takes no arguments, got %q", args)
	}
	fmt.Fprintf(stdout, "dspib %s\n", dspib.Version)
	return nil
}
