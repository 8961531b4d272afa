// Command usersearch measures the user list and its search at scale: it seeds
// an organization with --users generated users (once; reruns reuse them) and runs
// --queries queries per case through directory.Service.ListUsers, the path the API and
// console use, printing p50, p99 and max latency per case.
//
//	go run ./bench/usersearch --database-url /tmp/atrium-bench.db --users 1000000
//	go run ./bench/usersearch --database-url 'postgres://postgres@127.0.0.1:5432/atrium_bench?sslmode=disable' --users 1000000
//	go run ./bench/usersearch --database-url /tmp/quick.db --users 10000 --queries 200   # quick check
//
// --small N also seeds a second organization (--small-org) with N users in the same
// database and runs the cases against it too: a search there should cost what it costs
// in a database of its own (compare with --org "Small Org" --users N on an empty one),
// whatever the size of the first.
//
//	go run ./bench/usersearch --database-url /tmp/atrium-bench-300k.db --users 300000 --small 1000 --queries 300
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/directory"
)

func main() {
	dbURL := flag.String("database-url", "atrium-bench.db", "SQLite file or postgres:// URL (use a database of its own)")
	org := flag.String("org", "Bench Org", "organization to seed and query")
	users := flag.Int("users", 1_000_000, "seeded users the organization should have")
	queries := flag.Int("queries", 1000, "measured queries per case")
	limit := flag.Int("limit", 50, "page size")
	only := flag.String("only", "", "run only the cases whose name contains this")
	small := flag.Int("small", 0, "also seed --small-org with this many users in the same database and run the cases against it")
	smallOrg := flag.String("small-org", "Small Org", "the small organization of --small")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured queries to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	orgs := []orgSpec{{*org, *users}}
	if *small > 0 {
		orgs = append(orgs, orgSpec{*smallOrg, *small})
	}
	if err := run(ctx, *dbURL, orgs, *queries, *limit, *only, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "usersearch:", err)
		os.Exit(1)
	}
}

// benchCase is one kind of query, with the fragments it cycles through.
type benchCase struct {
	name  string
	query func(i int) directory.UserQuery
}

// orgSpec is an organization to seed and measure.
type orgSpec struct {
	name  string
	users int
}

func run(ctx context.Context, dbURL string, orgs []orgSpec, queries, limit int, only, cpuProfile string) error {
	cfg := app.Defaults()
	cfg.DatabaseURL = dbURL
	cfg.LogLevel = "warn"
	m, err := app.New(ctx, cfg, app.Options{Out: io.Discard})
	if err != nil {
		return err
	}
	defer m.Close()
	seeded := make([]*app.SeedResult, len(orgs))
	for i, o := range orgs {
		if seeded[i], err = app.Seed(ctx, m, app.SeedOptions{Org: o.name, Users: o.users, Out: os.Stdout}); err != nil {
			return err
		}
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var instance int
	if len(orgs) > 1 {
		if err := m.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM users WHERE deleted_at IS NULL`).Scan(&instance); err != nil {
			return err
		}
	}
	for i, o := range orgs {
		if err := runCases(ctx, m, seeded[i], o.users, instance, queries, limit, only); err != nil {
			return err
		}
	}
	return nil
}

// runCases runs every case against the organization seeded with users users; instance,
// when not 0, is the active users of every organization in the database.
func runCases(ctx context.Context, m *app.Main, seeded *app.SeedResult, users, instance, queries, limit int, only string) error {
	total, err := m.Directory.CountUsers(ctx, seeded.Org.ID)
	if err != nil {
		return err
	}
	fmt.Printf("\n%s, organization %q with %d active users", m.DB.Dialect, seeded.Org.Name, total)
	if instance > 0 {
		fmt.Printf(" (%d in the database)", instance)
	}
	fmt.Printf(", %d queries per case, limit %d\n\n", queries, limit)

	rng := rand.New(rand.NewPCG(1, 2))
	var rare []string // syllable surnames: one or a few users each
	for n := 1; n <= users && len(rare) < 200; n++ {
		if directory.SeedHasRareSurname(n) {
			rare = append(rare, strings.ToLower(directory.SeedRareSurname(n)))
		}
	}
	numbers := make([]string, 200) // "000123": one user's number
	for i := range numbers {
		numbers[i] = fmt.Sprintf("%06d", 1+rng.IntN(max(users, 1)))
	}
	pick := func(list []string) func(i int) directory.UserQuery {
		return func(i int) directory.UserQuery { return directory.UserQuery{Q: list[i%len(list)], Limit: limit} }
	}
	cases := []benchCase{
		{"list, first page by display name", func(int) directory.UserQuery { return directory.UserQuery{Limit: limit} }},
		{"list, first page by display name desc", func(int) directory.UserQuery { return directory.UserQuery{Limit: limit, Desc: true} }},
		{"list, first page by username", func(int) directory.UserQuery { return directory.UserQuery{Limit: limit, Sort: directory.SortUsername} }},
		// One or two letters match word starts.
		{"search 1 char (a, m, j, s, w)", pick([]string{"a", "m", "j", "s", "w"})},
		{"search 2 chars, common (an, er, ma, ri, on)", pick([]string{"an", "er", "ma", "ri", "on"})},
		// Word starts of 0.09-0.2 % of users, up to the candidate bound at a million
		// users, and of a few users or none.
		{"search 2 chars, near the bound (fe, sn, dy, se, in)", pick([]string{"fe", "sn", "dy", "se", "in"})},
		{"search 2 chars, rare (wy, ov, ze, vr, gw, xa, sk, qz)", pick([]string{"wy", "ov", "ze", "vr", "gw", "xa", "sk", "qz"})},
		{"search common (son, ell, mar, and, ber)", pick([]string{"son", "ell", "mar", "and", "ber"})},
		{"search common surname (johnson, smith, williams)", pick([]string{"johnson", "smith", "williams"})},
		// Surnames of middle rank match 0.3–0.6 % of users, around the candidate bound:
		// the hybrid plan's worst case.
		{"search mid-frequency surname (walker, young, … rivera)", pick([]string{"walker", "young", "allen", "king", "wright", "scott",
			"torres", "nguyen", "hill", "flores", "green", "adams", "nelson", "baker", "hall", "rivera"})},
		{"search rare surname (syllable names)", pick(rare)},
		{"search user number (000123)", pick(numbers)},
		{"search no match (qzxj)", pick([]string{"qzxj", "xqzv", "zzqx"})},
		{"search common, sorted by username (son, ell, mar)", func(i int) directory.UserQuery {
			return directory.UserQuery{Q: []string{"son", "ell", "mar"}[i%3], Sort: directory.SortUsername, Limit: limit}
		}},
	}
	fmt.Printf("%-58s %9s %9s %9s %8s\n", "case", "p50", "p99", "max", "rows")
	for _, c := range cases {
		if len(rare) == 0 && strings.Contains(c.name, "rare") || !strings.Contains(c.name, only) {
			continue
		}
		n := queries
		lat := make([]time.Duration, 0, n)
		rows := 0
		for i := range n + n/20 {
			if err := ctx.Err(); err != nil {
				return err
			}
			q := c.query(i)
			start := time.Now()
			page, err := m.Directory.ListUsers(ctx, seeded.Admin, q)
			d := time.Since(start)
			if err != nil {
				return fmt.Errorf("%s (q=%q): %w", c.name, q.Q, err)
			}
			if i < n/20 {
				continue // warm-up
			}
			lat = append(lat, d)
			rows += len(page.Items)
		}
		slices.Sort(lat)
		fmt.Printf("%-58s %9s %9s %9s %8.1f\n", c.name, ms(pct(lat, 0.50)), ms(pct(lat, 0.99)), ms(lat[len(lat)-1]), float64(rows)/float64(len(lat)))
	}
	return nil
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
