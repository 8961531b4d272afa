package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/store"
)

const usage = `atrium: a self-hosted admin center.

Usage:
  atrium serve [flags]      run the server (migrates and bootstraps on start)
  atrium migrate [flags]    apply database migrations and exit
  atrium bootstrap [flags]  create the operator organization and exit
  atrium seed [flags]       generate users for benchmarks: --org NAME --users N
  atrium docs [permissions|settings]  print docs/permissions.md or the settings table
  atrium help               this text

Run "atrium serve -h" for the flags; each has an ATRIUM_* environment variable.
`

// Command runs the atrium command line with args (without the program name).
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, args := args[0], args[1:]
	var cfg Config
	fs := flag.NewFlagSet("atrium "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.Flags(fs)
	switch cmd {
	case "serve":
		if err := fs.Parse(args); err != nil {
			return err
		}
		m, err := New(ctx, cfg, Options{Out: stdout})
		if err != nil {
			return err
		}
		defer m.Close()
		return m.Run(ctx)
	case "migrate":
		if err := fs.Parse(args); err != nil {
			return err
		}
		db, err := store.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.Migrate(ctx, Migrations()); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "migrations applied (%d known)\n", len(Migrations()))
		return nil
	case "bootstrap":
		if err := fs.Parse(args); err != nil {
			return err
		}
		m, err := New(ctx, cfg, Options{Out: stdout})
		if err != nil {
			return err
		}
		return m.Close()
	case "seed":
		return seedCommand(ctx, fs, &cfg, args, stdout)
	case "docs":
		topic := "permissions"
		if len(args) > 0 {
			topic = args[0]
		}
		switch topic {
		case "permissions":
			fmt.Fprint(stdout, access.Markdown())
		case "settings":
			fmt.Fprint(stdout, Markdown())
		default:
			return fmt.Errorf("docs: unknown topic %q (permissions or settings)", topic)
		}
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
