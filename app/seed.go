package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/password"
)

// seedCommand is "atrium seed --org NAME --users N": it creates the organization if it
// is missing and fills it with N generated users for benchmarks.
func seedCommand(ctx context.Context, fs *flag.FlagSet, cfg *Config, args []string, out io.Writer) error {
	org := fs.String("org", "", "name of the organization to fill (created if missing)")
	users := fs.Int("users", 0, "number of seeded users the organization should have")
	pw := fs.String("password", "", "password of the seeded users and of a new organization's administrator; empty generates one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*org) == "" || *users < 0 {
		return errors.New("seed: --org NAME and --users N (N >= 0) are required")
	}
	m, err := New(ctx, *cfg, Options{Out: out})
	if err != nil {
		return err
	}
	defer m.Close()
	_, err = Seed(ctx, m, SeedOptions{Org: *org, Users: *users, Password: *pw, Out: out})
	return err
}

// SeedOptions says what Seed creates.
type SeedOptions struct {
	Org      string // organization name; created through sign-up if missing
	Users    int    // seeded users the organization should end up with
	Password string // shared password; empty generates one
	Out      io.Writer
}

// SeedResult is the seeded organization and its first Global administrator.
type SeedResult struct {
	Org      directory.Organization
	Admin    *access.Principal // acts as the organization's Global administrator
	Password string            // of the seeded users, and of the admin if Seed created the org
	Created  int               // users written by this call
}

// Seed makes sure organization opt.Org exists and is active, then bulk-inserts seeded
// users until it has opt.Users of them (users user000001@<domain> onwards). Every
// seeded user shares one argon2id password hash. Progress and timing go to opt.Out.
func Seed(ctx context.Context, m *Main, opt SeedOptions) (*SeedResult, error) {
	out := opt.Out
	if out == nil {
		out = io.Discard
	}
	pw := opt.Password
	if pw == "" {
		pw = password.Generate()
	} else if err := password.Check("password", pw); err != nil {
		return nil, err
	}
	org, err := m.Directory.OrgByName(ctx, opt.Org)
	if atrium.ErrorCode(err) == atrium.CodeNotFound {
		res, serr := m.Directory.Signup(ctx, directory.SignupInput{
			OrganizationName: opt.Org, DomainPrefix: domainPrefix(opt.Org), AdminDisplayName: opt.Org + " Administrator",
			AdminUsername: "admin", AdminPassword: pw, ContactEmail: "admin@" + domainPrefix(opt.Org) + ".example",
			Seats: min(max(opt.Users, 1), 1_000_000),
		})
		if serr != nil {
			return nil, fmt.Errorf("seed: create organization: %w", serr)
		}
		fmt.Fprintf(out, "organization %q created; administrator %s\n", res.Organization.Name, res.Admin.Username)
		org, err = &res.Organization, nil
	}
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	// Sign-up leaves the organization provisioning until its job runs.
	if _, err := m.Queue.RunDue(ctx); err != nil {
		return nil, fmt.Errorf("seed: activate organization: %w", err)
	}
	if org, err = m.Directory.Org(ctx, org.ID); err != nil {
		return nil, err
	}
	admin := &access.Principal{Org: org.ID, Name: "seed",
		Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(org.ID)}}}
	have, err := directory.CountSeededUsers(ctx, m.DB, org.ID)
	if err != nil {
		return nil, err
	}
	res := &SeedResult{Org: *org, Admin: admin, Password: pw}
	if have >= opt.Users {
		fmt.Fprintf(out, "organization %q has %d seeded users already\n", org.Name, have)
		return res, nil
	}
	hash, err := m.Directory.Passwords().Hash(ctx, pw)
	if err != nil {
		return nil, err
	}
	total := opt.Users - have
	fmt.Fprintf(out, "seeding %d users (%s to %s) into %q on %s\n", total, directory.SeedUsername(have+1, org.InitialDomain),
		directory.SeedUsername(opt.Users, org.InitialDomain), org.Name, m.DB.Dialect)
	start := time.Now()
	last := start
	err = directory.SeedUsers(ctx, m.DB, directory.SeedInput{
		Org: org.ID, Domain: org.InitialDomain, PasswordHash: hash, From: have + 1, To: opt.Users,
		Progress: func(written int) {
			if now := time.Now(); now.Sub(last) >= 2*time.Second || written == total {
				last = now
				el := now.Sub(start)
				fmt.Fprintf(out, "  %d/%d users, %s, %.0f users/s\n", written, total, el.Round(100*time.Millisecond), float64(written)/el.Seconds())
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	res.Created = total
	fmt.Fprintf(out, "seeded %d users in %s; they share the password %s\n", total, time.Since(start).Round(time.Millisecond), pw)
	return res, nil
}

// domainPrefix derives a domain prefix from an organization name: lower-case letters and
// digits, other runs of characters as one dash, at most 40 characters.
func domainPrefix(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	p := strings.Trim(b.String(), "-")
	if len(p) > 40 {
		p = strings.TrimRight(p[:40], "-")
	}
	if p == "" {
		p = "seed"
	}
	return p
}
