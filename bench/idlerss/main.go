// Command idlerss measures the resident memory of an idle "atrium serve": it builds the
// binary (or takes --binary), starts it on a free 127.0.0.1 port, waits until /readyz
// answers and then --idle longer, and prints VmRSS and VmHWM from /proc/PID/status.
// Linux only.
//
//	go run ./bench/idlerss                       # fresh SQLite database
//	go run ./bench/idlerss --database-url /tmp/atrium-bench.db
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	binary := flag.String("binary", "", "atrium binary (default: go build ./cmd/atrium into a temporary directory)")
	dbURL := flag.String("database-url", "", "database (default: a new SQLite file in a temporary directory)")
	idle := flag.Duration("idle", 10*time.Second, "how long the server idles after it is ready (at most 5m)")
	flag.Parse()
	if err := run(*binary, *dbURL, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "idlerss:", err)
		os.Exit(1)
	}
}

func run(binary, dbURL string, idle time.Duration) error {
	if idle < 0 || idle > 5*time.Minute {
		return errors.New("--idle must be between 0 and 5m")
	}
	dir, err := os.MkdirTemp("", "idlerss")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if binary == "" {
		binary = filepath.Join(dir, "atrium")
		build := exec.Command("go", "build", "-o", binary, "./cmd/atrium")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/atrium (run from the repository root): %w", err)
		}
	}
	if dbURL == "" {
		dbURL = filepath.Join(dir, "atrium.db")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary, "serve", "--addr", addr, "--database-url", dbURL, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		// Stop only the process started here, by its PID.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	started := time.Now()
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("atrium serve exited: %v", err)
		case <-ctx.Done():
			return errors.New("atrium serve did not become ready within 2 minutes")
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
	}
	fmt.Printf("atrium serve (pid %d) ready after %s; idling %s\n", pid, time.Since(started).Round(time.Millisecond), idle)
	ready, err := memory(pid)
	if err != nil {
		return err
	}
	time.Sleep(idle)
	after, err := memory(pid)
	if err != nil {
		return err
	}
	fmt.Printf("VmRSS when ready: %.1f MB\nVmRSS after idling: %.1f MB\nVmHWM (peak): %.1f MB\n",
		mb(ready["VmRSS"]), mb(after["VmRSS"]), mb(after["VmHWM"]))
	return nil
}

// memory reads the kB figures of /proc/PID/status.
func memory(pid int) (map[string]int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(k, "Vm") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err == nil {
			out[k] = n
		}
	}
	return out, sc.Err()
}

func mb(kB int64) float64 { return float64(kB) / 1024 }
