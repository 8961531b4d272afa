// Command httpload measures HTTP throughput of the user list: --concurrency clients send
// GET /api/v1/users?limit=50 with a bearer API token for --duration and it prints
// requests per second and latency percentiles. By default it starts the real server
// in-process (app.New, Listen, Run) on 127.0.0.1 with a seeded organization and an API
// token made through the auth service; with --url and --token it loads a server already
// running on this machine. It only ever sends to loopback addresses.
//
//	go run ./bench/httpload --database-url /tmp/atrium-bench.db --users 1000000
//	go run ./bench/httpload --url http://127.0.0.1:8080 --token atr_…
//	go run ./bench/httpload --database-url /tmp/atrium-bench.db --users 1000000 --concurrency 32 --q walker,young,allen
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/auth"
)

func main() {
	target := flag.String("url", "", "base URL of a running server on this machine; empty starts one in-process")
	token := flag.String("token", "", "bearer token for --url")
	dbURL := flag.String("database-url", "", "database of the in-process server (default: a new SQLite file in a temporary directory)")
	org := flag.String("org", "Bench Org", "organization to seed for the in-process server")
	users := flag.Int("users", 10_000, "seeded users the organization should have (in-process server)")
	path := flag.String("path", "/api/v1/users?limit=50", "request path")
	duration := flag.Duration("duration", 10*time.Second, "measured duration (at most 5m)")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured warm-up before it")
	concurrency := flag.Int("concurrency", 8, "concurrent clients (1..256)")
	qs := flag.String("q", "", "comma-separated search fragments: requests add q=<fragment> to --path, in turn")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run (server and clients, start-up included) to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "httpload:", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "httpload:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	paths := []string{*path}
	if *qs != "" {
		paths = paths[:0]
		sep := "?"
		if strings.Contains(*path, "?") {
			sep = "&"
		}
		for f := range strings.SplitSeq(*qs, ",") {
			paths = append(paths, *path+sep+"q="+url.QueryEscape(f))
		}
	}
	if err := run(ctx, *target, *token, *dbURL, *org, *users, paths, *duration, *warmup, *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "httpload:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(ctx context.Context, target, token, dbURL, orgName string, users int, paths []string, duration, warmup time.Duration, concurrency int) error {
	if duration <= 0 || duration > 5*time.Minute || warmup < 0 || warmup > time.Minute {
		return errors.New("--duration must be in (0, 5m] and --warmup in [0, 1m]")
	}
	if concurrency < 1 || concurrency > 256 {
		return errors.New("--concurrency must be between 1 and 256")
	}
	if target == "" {
		if dbURL == "" {
			dir, err := os.MkdirTemp("", "httpload")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			dbURL = dir + "/atrium.db"
		}
		cfg := app.Defaults()
		cfg.DatabaseURL, cfg.Addr, cfg.LogLevel = dbURL, "127.0.0.1:0", "warn"
		m, err := app.New(ctx, cfg, app.Options{Out: io.Discard})
		if err != nil {
			return err
		}
		defer m.Close()
		seeded, err := app.Seed(ctx, m, app.SeedOptions{Org: orgName, Users: users, Out: os.Stdout})
		if err != nil {
			return err
		}
		_, secret, err := m.Auth.CreateToken(ctx, seeded.Admin, auth.TokenInput{Name: "httpload " + time.Now().UTC().Format(time.RFC3339), Role: access.GlobalAdmin})
		if err != nil {
			return err
		}
		if err := m.Listen(); err != nil {
			return err
		}
		srvCtx, stopServer := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- m.Run(srvCtx) }()
		defer func() {
			stopServer()
			<-done
		}()
		target, token = m.URL(), secret
		fmt.Printf("in-process server on %s (%s)\n", target, m.DB.Dialect)
	}
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("refusing to load %s: only loopback addresses", u.Host)
	}
	if token == "" {
		return errors.New("--token is required with --url")
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, IdleConnTimeout: time.Minute}}
	req := func(ctx context.Context, path string) (int, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, target+path, nil)
		if err != nil {
			return 0, err
		}
		r.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(r)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, err
	}
	for _, path := range paths {
		if code, err := req(ctx, path); err != nil || code != http.StatusOK {
			return fmt.Errorf("probe GET %s: status %d, %v", path, code, err)
		}
	}

	shown := paths[0]
	if len(paths) > 1 {
		shown += fmt.Sprintf(" and %d more fragments in turn", len(paths)-1)
	}
	fmt.Printf("GET %s, %d clients, %s warm-up, %s measured\n", shown, concurrency, warmup, duration)
	start := time.Now()
	measureFrom, end := start.Add(warmup), start.Add(warmup+duration)
	loadCtx, cancel := context.WithDeadline(ctx, end.Add(30*time.Second))
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	failures := 0
	var wg sync.WaitGroup
	for c := range concurrency {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1<<14)
			bad := 0
			for i := c; ; i++ {
				path := paths[i%len(paths)]
				t0 := time.Now()
				if !t0.Before(end) || loadCtx.Err() != nil {
					break
				}
				code, err := req(loadCtx, path)
				if t0.Before(measureFrom) {
					continue
				}
				if err != nil || code != http.StatusOK {
					bad++
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			failures += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	slices.Sort(all)
	if len(all) == 0 {
		return fmt.Errorf("no successful requests (%d failed)", failures)
	}
	p := func(q float64) string {
		return fmt.Sprintf("%.2fms", float64(all[min(len(all)-1, int(float64(len(all))*q))].Microseconds())/1000)
	}
	fmt.Printf("requests: %d ok, %d failed\nthroughput: %.0f requests/s\nlatency: p50 %s, p90 %s, p99 %s, max %s\n",
		len(all), failures, float64(len(all))/duration.Seconds(), p(0.50), p(0.90), p(0.99), p(1))
	return nil
}
