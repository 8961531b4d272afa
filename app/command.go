package app

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/store"
)

const usage = `atrium: a self-hosted admin center.

Usage:
  atrium serve [flags]      run the server (migrates and bootstraps on start)
  atrium migrate [flags]    apply database migrations and exit
  atrium bootstrap [flags]  create the operator organization and exit
  atrium admin reset-password --username NAME [flags]
                            give a user (a lost operator password) a new one-time password
  atrium seed [flags]       generate users for benchmarks: --org NAME --users N
  atrium secrets rotate [flags]
                            encrypt stored secrets under a new key (old keys still decrypt)
  atrium docs [permissions|settings]  print docs/permissions.md or the settings table
  atrium docs i18n [source dir]       report missing and (with the source) unused message IDs
  atrium help               this text

Run "atrium serve -h" for the flags; each has an ATRIUM_* environment variable.
`

// helpIsNoError makes -h and --help, which print the flags, succeed.
func helpIsNoError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// bootstrapCommand creates the operator organization, or says why it did nothing.
func bootstrapCommand(ctx context.Context, cfg Config, stdout io.Writer) error {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	var name string
	if err := db.Migrate(ctx, Migrations()); err != nil {
		db.Close()
		return err
	}
	err = db.Read().QueryRowContext(ctx, `SELECT name FROM organizations WHERE operator = TRUE ORDER BY created_at LIMIT 1`).Scan(&name)
	db.Close()
	if err == nil {
		fmt.Fprintf(stdout, "Nothing to do: this database already has its operator organization, %q; bootstrap runs only on an empty database.\n"+
			"To recover a lost operator password: atrium admin reset-password --username <username>\n", name)
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	m, err := New(ctx, cfg, Options{Out: stdout})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Bootstrapped: the operator organization is created.")
	return m.Close()
}

// adminCommand runs the machine-side administration commands: whoever can run them has
// the database already, so they need no sign-in; each is audited.
func adminCommand(ctx context.Context, fs *flag.FlagSet, cfg *Config, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "reset-password" {
		return errors.New("admin: the command is reset-password --username NAME")
	}
	username := fs.String("username", "", "the full username (local@domain) to give a new one-time password")
	if err := fs.Parse(args[1:]); err != nil {
		return helpIsNoError(err)
	}
	if *username == "" {
		return errors.New("admin reset-password: --username is required")
	}
	m, err := New(ctx, *cfg, Options{Out: io.Discard})
	if err != nil {
		return err
	}
	defer m.Close()
	pw, u, err := m.Directory.ResetPasswordFromMachine(ctx, *username)
	if err != nil {
		return fmt.Errorf("admin reset-password: %w", err)
	}
	fmt.Fprintf(stdout, "New one-time password for %s:\n  %s\nIt must be changed at the next sign-in; their sessions have ended.\n", u.Username, pw)
	return nil
}

// secretsCommand is "atrium secrets rotate": a new key goes first in the key file, then
// every module that stores sealed values re-seals them under it.
func secretsCommand(ctx context.Context, fs *flag.FlagSet, cfg *Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New("secrets: the command is rotate")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return helpIsNoError(err)
	}
	if cfg.SecretKeyFile == "" {
		cfg.SecretKeyFile = DefaultSecretKeyFile(cfg.DatabaseURL)
	}
	// Rotating a key file the servers do not use would strand their values.
	if _, err := os.Stat(cfg.SecretKeyFile); err != nil {
		return fmt.Errorf("secrets rotate: %w (pass --secret-key-file the file atrium serve uses)", err)
	}
	log := NewLogger(stderr, cfg.LogLevel)
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, Migrations()); err != nil {
		return err
	}
	// The modules' wiring registers their resealers.
	k, err := NewModules(ctx, db, *cfg, nil, log)
	if err != nil {
		return err
	}
	id, err := k.Secrets.Rotate()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "New key %s encrypts from now on; %s keeps %d keys (the old ones still decrypt).\n", id, cfg.SecretKeyFile, len(k.Secrets.IDs()))
	done, err := k.Secrets.ResealAll(ctx, db)
	for _, r := range done {
		fmt.Fprintf(stdout, "  %s: %d values re-sealed\n", r.Name, r.N)
	}
	if err != nil {
		return fmt.Errorf("secrets rotate: %w (values not yet re-sealed still open under their old keys; run it again)", err)
	}
	fmt.Fprintf(stdout, "Every stored secret is under key %s. Back up %s, and give it to every node (running servers reread it within a minute).\n", id, cfg.SecretKeyFile)
	return nil
}

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
			return helpIsNoError(err)
		}
		m, err := New(ctx, cfg, Options{Out: stdout, BootstrapWhenListening: true})
		if err != nil {
			return err
		}
		defer m.Close()
		return m.Run(ctx)
	case "migrate":
		if err := fs.Parse(args); err != nil {
			return helpIsNoError(err)
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
			return helpIsNoError(err)
		}
		return bootstrapCommand(ctx, cfg, stdout)
	case "admin":
		return adminCommand(ctx, fs, &cfg, args, stdout)
	case "seed":
		return seedCommand(ctx, fs, &cfg, args, stdout)
	case "secrets":
		return secretsCommand(ctx, fs, &cfg, args, stdout, stderr)
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
		case "i18n":
			dir := ""
			if len(args) > 1 {
				dir = args[1]
			}
			return i18nReport(stdout, dir)
		default:
			return fmt.Errorf("docs: unknown topic %q (permissions, settings or i18n)", topic)
		}
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
