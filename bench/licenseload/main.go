// Command licenseload measures license assignment through the JSON API: it starts the
// real Atrium (app.New, Listen, Run) on 127.0.0.1, signs a fresh organization up, seeds
// its users, buys seats, and has --clients concurrent clients send
// PUT /api/v1/users/{id}/licenses with an API token, each request licensing a user who
// has none. Three scenarios run one after another:
//
//   - hot: every request takes a seat of one product (one pool, split over its stripes);
//   - spread: requests go round-robin over --products products;
//   - exhaust: one product with half as many seats as requests, so the pool runs out
//     and the rest are refused with 409 no_seats_available.
//
// An unmeasured warm-up (--warmup) on a product of its own comes first. Each scenario
// stops after --duration or --requests requests, whichever comes first.
// It prints requests/s, successful assignments/s, p50/p99/max latency, and at the end
// checks every pool of the organization: assigned == assignment rows <= purchased.
//
//	go run ./bench/licenseload --database-url /tmp/atrium-licbench.db
//	createdb -h 127.0.0.1 -U postgres atrium_licbench
//	go run ./bench/licenseload --database-url 'postgres://postgres@127.0.0.1:5432/atrium_licbench?sslmode=disable'
//
// Every run signs a new organization up, so runs can share a database.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/licensing"
)

type options struct {
	dbURL          string
	clients        int
	duration       time.Duration
	requests       int
	exhaustRequest int
	products       int
	warmup         time.Duration
	cpuProfile     string
}

// warmupUsers bounds the users the unmeasured warm-up licenses.
const warmupUsers = 2000

func main() {
	var o options
	flag.StringVar(&o.dbURL, "database-url", "atrium-licbench.db", "SQLite file or postgres:// URL (use a database of its own)")
	flag.IntVar(&o.clients, "clients", 32, "concurrent API clients")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "longest time a scenario runs")
	flag.IntVar(&o.requests, "requests", 20000, "most requests of the hot and spread scenarios (one seeded user each)")
	flag.IntVar(&o.exhaustRequest, "exhaust-requests", 4000, "requests of the exhaust scenario, which has half as many seats")
	flag.IntVar(&o.products, "products", 100, "products of the spread scenario")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up on a product of its own before the scenarios")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the load (server and clients) to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "licenseload:", err)
		os.Exit(1)
	}
}

// scenario is one measured load: users[i] gets product(i), a pool of seats each.
type scenario struct {
	name     string
	products []string
	seats    int // bought per product
	users    []string
}

func (s *scenario) product(i int) string { return s.products[i%len(s.products)] }

// result is what one scenario measured.
type result struct {
	requests, ok, refused, failed int
	elapsed                       time.Duration
	latencies                     []time.Duration
	firstFailure                  string
}

func run(ctx context.Context, o options) error {
	if o.clients < 1 || o.clients > 256 || o.duration <= 0 || o.duration > 5*time.Minute || o.warmup < 0 || o.warmup > time.Minute {
		return errors.New("--clients must be 1..256, --duration in (0, 5m], --warmup in [0, 1m]")
	}
	if o.requests < 1 || o.requests > 1_000_000 || o.exhaustRequest < 2 || o.exhaustRequest > 1_000_000 || o.products < 1 || o.products > 1000 {
		return errors.New("--requests and --exhaust-requests must be 1..1000000 (exhaust at least 2), --products 1..1000")
	}
	cfg := app.Defaults()
	cfg.DatabaseURL = o.dbURL
	cfg.Addr = "127.0.0.1:0"
	cfg.LogLevel = "warn"
	m, err := app.New(ctx, cfg, app.Options{Out: io.Discard})
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Listen(); err != nil {
		return err
	}
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- m.Run(serveCtx) }()
	defer func() {
		stopServing()
		<-served
	}()
	base := m.URL()

	// A fresh organization per run, with enough seeded users for every scenario.
	needed := warmupUsers + 2*o.requests + o.exhaustRequest
	orgName := fmt.Sprintf("License Bench %d", time.Now().UnixNano())
	seeded, err := app.Seed(ctx, m, app.SeedOptions{Org: orgName, Users: needed, Out: os.Stdout})
	if err != nil {
		return err
	}
	org := seeded.Org
	_, secret, err := m.Auth.CreateToken(ctx, seeded.Admin, auth.TokenInput{Name: "licenseload", Role: access.GlobalAdmin})
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * o.clients, MaxIdleConns: 2 * o.clients}, Timeout: time.Minute}
	api := &caller{client: client, base: base, token: secret}

	// Products: the catalog is shared by every organization, so reruns reuse them.
	hot, err := benchProducts(ctx, m, "BENCH_HOT", 1)
	if err != nil {
		return err
	}
	spread, err := benchProducts(ctx, m, "BENCH_SPREAD", o.products)
	if err != nil {
		return err
	}
	exhaust, err := benchProducts(ctx, m, "BENCH_EXHAUST", 1)
	if err != nil {
		return err
	}
	warm, err := benchProducts(ctx, m, "BENCH_WARMUP", 1)
	if err != nil {
		return err
	}
	users, err := userIDs(ctx, m, org.ID, needed)
	if err != nil {
		return err
	}
	warmup := &scenario{name: "warm-up", products: warm, seats: warmupUsers, users: users[:warmupUsers]}
	users = users[warmupUsers:]
	scenarios := []*scenario{
		{name: "hot: 1 product", products: hot, seats: o.requests, users: users[:o.requests]},
		{name: fmt.Sprintf("spread: %d products", o.products), products: spread, seats: (o.requests + o.products - 1) / o.products,
			users: users[o.requests : 2*o.requests]},
		{name: "exhaust: 1 product, seats for half", products: exhaust, seats: o.exhaustRequest / 2, users: users[2*o.requests:]},
	}
	for _, s := range append([]*scenario{warmup}, scenarios...) {
		for _, p := range s.products {
			if err := api.call("POST", "/api/v1/orders", map[string]any{"product_id": p, "quantity": s.seats}, http.StatusCreated, nil); err != nil {
				return fmt.Errorf("buy %d seats: %w", s.seats, err)
			}
		}
	}

	if o.warmup > 0 {
		if r := load(ctx, api, warmup, o.clients, o.warmup); r.failed > 0 {
			return fmt.Errorf("warm-up: %d of %d requests failed: %s", r.failed, r.requests, r.firstFailure)
		}
	}
	fmt.Printf("\n%s, %d clients, each scenario at most %s or its requests; GOMAXPROCS %d, %d CPUs\n\n",
		m.DB.Dialect, o.clients, o.duration, runtime.GOMAXPROCS(0), runtime.NumCPU())
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("%-36s %8s %8s %8s %8s %9s %9s %9s %9s %9s\n", "scenario", "requests", "ok", "refused", "failed", "req/s", "ok/s", "p50", "p99", "max")
	for _, s := range scenarios {
		r := load(ctx, api, s, o.clients, o.duration)
		slices.Sort(r.latencies)
		secs := r.elapsed.Seconds()
		fmt.Printf("%-36s %8d %8d %8d %8d %9.0f %9.0f %9s %9s %9s\n", s.name, r.requests, r.ok, r.refused, r.failed,
			float64(r.requests)/secs, float64(r.ok)/secs, ms(pct(r.latencies, 0.50)), ms(pct(r.latencies, 0.99)), ms(pct(r.latencies, 1)))
		if r.firstFailure != "" {
			fmt.Printf("  first failure: %s\n", r.firstFailure)
		}
		rows := 0
		for _, p := range s.products {
			var n int
			if err := m.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM license_assignments WHERE org_id = $1 AND product_id = $2`,
				string(org.ID), p).Scan(&n); err != nil {
				return err
			}
			rows += n
		}
		if rows != r.ok {
			fmt.Printf("  MISMATCH: %d requests answered 200 but %d assignment rows exist\n", r.ok, rows)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return oversellCheck(ctx, m, api, org.ID)
}

// load runs one scenario: clients goroutines take the next user until the users or the
// time run out.
func load(ctx context.Context, api *caller, s *scenario, clients int, d time.Duration) result {
	var next atomic.Int64
	var mu sync.Mutex
	var total result
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			var r result
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := int(next.Add(1) - 1)
				if i >= len(s.users) {
					break
				}
				// Ids are UUIDs: no escaping needed, and no encoder on the clients' side.
				body := []byte(`{"licenses":[{"product_id":"` + s.product(i) + `"}]}`)
				t0 := time.Now()
				status, code, err := api.put("/api/v1/users/"+s.users[i]+"/licenses", body)
				r.latencies = append(r.latencies, time.Since(t0))
				r.requests++
				switch {
				case err == nil && status == http.StatusOK:
					r.ok++
				case err == nil && status == http.StatusConflict && code == atrium.CodeNoSeatsAvailable:
					r.refused++
				default:
					r.failed++
					if r.firstFailure == "" {
						r.firstFailure = fmt.Sprintf("status %d code %q: %v", status, code, err)
					}
				}
			}
			mu.Lock()
			total.requests += r.requests
			total.ok += r.ok
			total.refused += r.refused
			total.failed += r.failed
			total.latencies = append(total.latencies, r.latencies...)
			if total.firstFailure == "" {
				total.firstFailure = r.firstFailure
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	total.elapsed = time.Since(start)
	return total
}

// oversellCheck compares, for every pool of org, the API's counts with the assignment
// rows: assigned must equal the rows and never exceed purchased.
func oversellCheck(ctx context.Context, m *app.Main, api *caller, org atrium.OrgID) error {
	var counts struct {
		Items []licensing.LicenseCount `json:"items"`
	}
	if err := api.call("GET", "/api/v1/licenses", nil, http.StatusOK, &counts); err != nil {
		return err
	}
	bad := 0
	for _, c := range counts.Items {
		var rows int
		if err := m.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM license_assignments WHERE org_id = $1 AND product_id = $2`,
			string(org), c.ProductID).Scan(&rows); err != nil {
			return err
		}
		if c.Assigned != rows || rows > c.Purchased {
			bad++
			fmt.Printf("  OVERSOLD OR MISCOUNTED: %s purchased %d, assigned %d, %d assignment rows\n", c.ProductName, c.Purchased, c.Assigned, rows)
		}
	}
	fmt.Printf("\noversell check: %d pools, %d with assigned != rows or rows > purchased\n", len(counts.Items), bad)
	if bad > 0 {
		return errors.New("oversell check failed")
	}
	return nil
}

// benchProducts returns the ids of n catalog products with SKUs prefix_001…, creating
// the missing ones as the operator would.
func benchProducts(ctx context.Context, m *app.Main, prefix string, n int) ([]string, error) {
	list, err := m.Licensing.Products(ctx)
	if err != nil {
		return nil, err
	}
	bySKU := map[string]string{}
	for _, p := range list {
		bySKU[p.SKU] = p.ID
	}
	var operatorOrg string
	if err := m.DB.Read().QueryRowContext(ctx, `SELECT id FROM organizations WHERE operator = TRUE`).Scan(&operatorOrg); err != nil {
		return nil, fmt.Errorf("find the operator organization: %w", err)
	}
	op := &access.Principal{Org: atrium.OrgID(operatorOrg), Name: "licenseload",
		Grants: []access.Grant{{Role: access.OperatorAdmin, Scope: access.OrgScope(atrium.OrgID(operatorOrg))}}}
	ids := make([]string, n)
	for i := range ids {
		sku := fmt.Sprintf("%s_%03d", prefix, i+1)
		if id, ok := bySKU[sku]; ok {
			ids[i] = id
			continue
		}
		p, err := m.Licensing.CreateProduct(ctx, op, licensing.ProductInput{SKU: sku, Kind: licensing.KindProduct,
			Name: "Bench " + strings.ToLower(sku), Apps: []string{"bench"}, PriceMinor: 100, Currency: "USD", BillingPeriod: licensing.Monthly})
		if err != nil {
			return nil, fmt.Errorf("create product %s: %w", sku, err)
		}
		ids[i] = p.ID
	}
	return ids, nil
}

// userIDs returns the ids of org's first n seeded users, in seeding order.
func userIDs(ctx context.Context, m *app.Main, org atrium.OrgID, n int) ([]string, error) {
	rows, err := m.DB.Read().QueryContext(ctx, `SELECT id FROM users WHERE org_id = $1 AND username_key LIKE 'user%' ORDER BY username_key LIMIT $2`,
		string(org), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) != n {
		return nil, fmt.Errorf("found %d seeded users, want %d", len(out), n)
	}
	return out, nil
}

// caller sends JSON requests with a bearer token.
type caller struct {
	client *http.Client
	base   string
	token  string
}

func (c *caller) do(method, path string, body any) (*http.Response, []byte, error) {
	var r io.Reader
	if raw, ok := body.([]byte); ok {
		r = bytes.NewReader(raw)
	} else if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

// call sends a request, wants status, and decodes the answer into out when not nil.
func (c *caller) call(method, path string, body any, status int, out any) error {
	resp, data, err := c.do(method, path, body)
	if err != nil {
		return err
	}
	if resp.StatusCode != status {
		return fmt.Errorf("%s %s = %d: %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// put sends a PUT and returns the status and, for a problem, its code.
func (c *caller) put(path string, body any) (int, atrium.Code, error) {
	resp, data, err := c.do("PUT", path, body)
	if err != nil {
		return 0, "", err
	}
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, "", nil
	}
	var p struct {
		Code atrium.Code `json:"code"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return resp.StatusCode, "", fmt.Errorf("not a problem: %s", data)
	}
	return resp.StatusCode, p.Code, nil
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
