// Command usersearch measures the user list and its substring search at scale: it seeds
// an organization with --users generated users (once; reruns reuse them) and runs
// --queries queries per case through directory.Service.ListUsers, the path the API and
// console use, printing p50, p99 and max latency per case.
//
//	go run ./bench/usersearch --database-url /tmp/atrium-bench.db --users 1000000
//	go run ./bench/usersearch --database-url 'postgres://postgres@127.0.0.1:5432/atrium_bench?sslmode=disable' --users 1000000
//	go run ./bench/usersearch --database-url /tmp/quick.db --users 10000 --queries 200   # quick check
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
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured queries to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *dbURL, *org, *users, *queries, *limit, *only, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "usersearch:", err)
		os.Exit(1)
	}
}

// benchCase is one kind of query, with the fragments it cycles through.
type benchCase struct {
	name  string
	query func(i int) directory.UserQuery
}

// slowCase walks the whole organization per query; its queries are capped at
// slowCaseQueries so a run stays bounded.
const (
	slowCase        = "search 2 chars, rare (qz, xq): walks everything"
	slowCaseQueries = 50
)

func run(ctx context.Context, dbURL, orgName string, users, queries, limit int, only, cpuProfile string) error {
	cfg := app.Defaults()
	cfg.DatabaseURL = dbURL
	cfg.LogLevel = "warn"
	m, err := app.New(ctx, cfg, app.Options{Out: io.Discard})
	if err != nil {
		return err
	}
	defer m.Close()
	seeded, err := app.Seed(ctx, m, app.SeedOptions{Org: orgName, Users: users, Out: os.Stdout})
	if err != nil {
		return err
	}
	total, err := m.Directory.CountUsers(ctx, seeded.Org.ID)
	if err != nil {
		return err
	}
	fmt.Printf("\n%s, organization %q with %d active users, %d queries per case, limit %d\n\n",
		m.DB.Dialect, seeded.Org.Name, total, queries, limit)

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
		{"search 2 chars, common (an, er, ma, ri, on)", pick([]string{"an", "er", "ma", "ri", "on"})},
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
		// Too short for a trigram and rare: the walk reads the whole organization.
		{slowCase, pick([]string{"qz", "xq"})},
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
	fmt.Printf("%-58s %9s %9s %9s %8s\n", "case", "p50", "p99", "max", "rows")
	for _, c := range cases {
		if len(rare) == 0 && strings.Contains(c.name, "rare") || !strings.Contains(c.name, only) {
			continue
		}
		n := queries
		if c.name == slowCase {
			n = min(n, slowCaseQueries)
		}
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
		fmt.Printf("%-58s %9s %9s %9s %8.1f", c.name, ms(pct(lat, 0.50)), ms(pct(lat, 0.99)), ms(lat[len(lat)-1]), float64(rows)/float64(len(lat)))
		if n < queries {
			fmt.Printf("  (%d queries)", n)
		}
		fmt.Println()
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
