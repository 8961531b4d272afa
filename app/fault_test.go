package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// TestSignupFaultLeavesNothing: a sign-up whose transaction fails half-way (the domain
// insert conflicts with a domain another organization already has) leaves no
// organization, user, role, audit entry or job behind.
func TestSignupFaultLeavesNothing(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		op := e.Operator()
		if _, err := e.Main.DB.Write().ExecContext(t.Context(), `INSERT INTO domains (name, org_id, initial, verified, created_at) VALUES ('fault.atrium.localhost', $1, FALSE, TRUE, 0)`,
			string(op.Org)); err != nil {
			t.Fatal(err)
		}
		tables := []string{"organizations", "domains", "users", "role_assignments", "audit_log", "jobs", "mail_outbox"}
		before := map[string]int{}
		for _, tbl := range tables {
			before[tbl] = e.Count("SELECT count(*) FROM " + tbl)
		}
		e.Anonymous().Do("POST", "/api/v1/signup", apptest.SignupBody("Fault Co", "fault", "x@fault.example.com")).
			WantProblem(http.StatusConflict, atrium.CodeConflict, "domain_prefix")
		for _, tbl := range tables {
			if n := e.Count("SELECT count(*) FROM " + tbl); n != before[tbl] {
				t.Errorf("%s: %d rows, had %d", tbl, n, before[tbl])
			}
		}
		if n := e.Count("SELECT count(*) FROM organizations WHERE name = 'Fault Co'"); n != 0 {
			t.Error("half an organization was left behind")
		}
		// The same organization signs up fine under another prefix.
		e.Anonymous().Do("POST", "/api/v1/signup", apptest.SignupBody("Fault Co", "fault2", "x@fault.example.com")).Want(http.StatusCreated)
	})
}

// binary builds cmd/atrium once per test binary.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "atrium-bin-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "atrium")
	out, err := exec.Command("go", "build", "-o", path, "github.com/atrium-admin/atrium/cmd/atrium").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return path, nil
})

// server is an `atrium serve` subprocess.
type server struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// keyFiles are the secret key files of the test databases, one per DSN, so that a
// restarted server reads what the one before it sealed.
var keyFiles sync.Map

// keyFileFor returns dsn's key file: beside a SQLite database, in a temporary
// directory for PostgreSQL; never in the source tree, the subprocess's working directory.
func keyFileFor(t *testing.T, dsn string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres") {
		return app.DefaultSecretKeyFile(dsn)
	}
	path, _ := keyFiles.LoadOrStore(dsn, filepath.Join(t.TempDir(), "atrium.key"))
	return path.(string)
}

// startServer runs atrium serve on dsn with extra flags and waits until it answers.
func startServer(t *testing.T, dsn string, flags ...string) *server {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	args := append([]string{"serve", "--database-url", dsn, "--addr", addr, "--admin-password", apptest.OperatorPassword, "--log-level", "warn"}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "ATRIUM_SECRET_KEY_FILE=" + keyFileFor(t, dsn)}
	s := &server{cmd: cmd, url: "http://" + addr, logs: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("atrium serve output:\n%s", s.logs)
		}
	})
	waitFor(t, 30*time.Second, "the server to answer /healthz", func() bool {
		resp, err := http.Get(s.url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// kill ends the process with SIGKILL: no shutdown, no cleanup.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()
}

func (s *server) signup(t *testing.T, name, prefix string) *http.Response {
	t.Helper()
	body, _ := json.Marshal(apptest.SignupBody(name, prefix, "owner@"+prefix+".example.com"))
	resp, err := http.Post(s.url+"/api/v1/signup", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("signup %s: %v", name, err)
	}
	resp.Body.Close()
	return resp
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting %v for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func openDB(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// hangingSMTP accepts connections and never answers, keeping every mail delivery job
// busy until its timeout. It counts the connections.
func hangingSMTP(t *testing.T) (addr string, conns *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = &atomic.Int32{}
	var mu sync.Mutex
	var open []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			conns.Add(1)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String(), conns
}

// TestKilledBeforeProvisioningResumes: a process killed after a sign-up committed but
// before its provisioning job ran leaves the whole organization in provisioning (no
// half of it), and after a restart the job runs: the organization becomes active and
// the welcome mail is queued.
//
// The job queue wakes a worker at once when a job is committed, so the job is kept from
// running the way it would be in production: every worker is busy. Welcome mails of
// earlier sign-ups go to an SMTP server that never answers, which holds the workers.
func TestKilledBeforeProvisioningResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dsn := storetest.DSN(t, d)
			smtpAddr, conns := hangingSMTP(t)
			s := startServer(t, dsn, "--job-poll", "1h", "--smtp-url", "smtp://"+smtpAddr+"?starttls=none")
			// Four sign-ups: their welcome mails occupy the four workers. Each is waited
			// for: a worker freed by a filler's provisioning job looks for work at once,
			// and would take the victim's job if its welcome mail were not queued yet.
			for i := range 4 {
				if resp := s.signup(t, fmt.Sprintf("Filler %d", i), fmt.Sprintf("filler%d", i)); resp.StatusCode != http.StatusCreated {
					t.Fatalf("filler sign-up = %d", resp.StatusCode)
				}
				waitFor(t, 20*time.Second, "a mail delivery to hang", func() bool { return conns.Load() >= int32(i+1) })
			}
			if resp := s.signup(t, "Victim Co", "victim"); resp.StatusCode != http.StatusCreated {
				t.Fatalf("victim sign-up = %d", resp.StatusCode)
			}
			s.kill(t)

			db := openDB(t, dsn)
			var org string
			if err := db.Read().QueryRowContext(t.Context(), `SELECT id FROM organizations WHERE name = 'Victim Co' AND state = 'provisioning'`).Scan(&org); err != nil {
				t.Fatalf("victim organization is not in provisioning after the kill: %v", err)
			}
			for what, n := range map[string]int{
				"domain": count(t, db, `SELECT count(*) FROM domains WHERE org_id = $1 AND name = 'victim.atrium.localhost'`, org),
				"admin":  count(t, db, `SELECT count(*) FROM users WHERE org_id = $1`, org),
				"role":   count(t, db, `SELECT count(*) FROM role_assignments WHERE org_id = $1 AND role = 'global_admin'`, org),
				"audit":  count(t, db, `SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'org.create'`, org),
				"job":    count(t, db, `SELECT count(*) FROM jobs WHERE kind = 'directory.provision_org' AND state = 'pending' AND payload LIKE '%' || $1 || '%'`, org),
			} {
				if n != 1 {
					t.Errorf("victim %s rows: %d, want 1", what, n)
				}
			}
			if n := count(t, db, `SELECT count(*) FROM mail_outbox WHERE org_id = $1`, org); n != 0 {
				t.Errorf("welcome mail before provisioning: %d", n)
			}

			startServer(t, dsn, "--job-poll", "100ms")
			waitFor(t, 30*time.Second, "the victim to be provisioned", func() bool {
				return count(t, db, `SELECT count(*) FROM organizations WHERE id = $1 AND state = 'active'`, org) == 1 &&
					count(t, db, `SELECT count(*) FROM mail_outbox WHERE org_id = $1 AND template = 'welcome' AND to_addr = 'owner@victim.example.com'`, org) == 1
			})
			if n := count(t, db, `SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'org.activate'`, org); n != 1 {
				t.Errorf("org.activate entries = %d", n)
			}
		})
	}
}

// TestKilledDuringSignup: a process killed while its sign-up transaction is open leaves
// nothing of the organization. On PostgreSQL the test holds a lock on the jobs table, so
// the sign-up has inserted the organization, domain, admin, role and audit entry and
// waits at its last insert when it is killed; on SQLite it waits for the write lock.
func TestKilledDuringSignup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dsn := storetest.DSN(t, d)
			s := startServer(t, dsn, "--job-poll", "1h")
			db := openDB(t, dsn)
			release := make(chan struct{})
			locked := make(chan error, 1)
			lockDone := make(chan struct{})
			go func() {
				defer close(lockDone)
				db.Tx(context.Background(), func(tx *store.Tx) error {
					var err error
					if d == store.Postgres {
						_, err = tx.ExecContext(context.Background(), `LOCK TABLE jobs IN EXCLUSIVE MODE`)
					} else {
						// _txlock=immediate: the transaction holds SQLite's write lock already.
						_, err = tx.ExecContext(context.Background(), `UPDATE organizations SET updated_at = updated_at WHERE operator = TRUE`)
					}
					locked <- err
					<-release
					return nil
				})
			}()
			if err := <-locked; err != nil {
				t.Fatal(err)
			}
			go func() {
				body, _ := json.Marshal(apptest.SignupBody("Half Co", "half", "owner@half.example.com"))
				resp, err := http.Post(s.url+"/api/v1/signup", "application/json", bytes.NewReader(body))
				if err == nil {
					resp.Body.Close()
				}
			}()
			if d == store.Postgres {
				waitFor(t, 20*time.Second, "the sign-up to wait at the jobs insert", func() bool {
					return count(t, db, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO jobs%'`) > 0
				})
			} else {
				time.Sleep(500 * time.Millisecond) // let the request reach the lock; the assertions hold either way
			}
			s.kill(t)
			close(release)
			<-lockDone
			for _, query := range []string{
				`SELECT count(*) FROM organizations WHERE name = 'Half Co'`,
				`SELECT count(*) FROM domains WHERE name = 'half.atrium.localhost'`,
				`SELECT count(*) FROM users WHERE username = 'admin@half.atrium.localhost'`,
				`SELECT count(*) FROM audit_log WHERE target_name = 'Half Co'`,
				`SELECT count(*) FROM jobs WHERE kind = 'directory.provision_org'`,
			} {
				if n := count(t, db, query); n != 0 {
					t.Errorf("%s = %d after the kill", query, n)
				}
			}
			if n := count(t, db, `SELECT count(*) FROM role_assignments ra JOIN users u ON u.id = ra.user_id WHERE u.username LIKE '%half%'`); n != 0 {
				t.Errorf("%d role assignments left", n)
			}
			// After a restart the same sign-up goes through.
			s = startServer(t, dsn, "--job-poll", "100ms")
			if resp := s.signup(t, "Half Co", "half"); resp.StatusCode != http.StatusCreated {
				t.Fatalf("sign-up after restart = %d", resp.StatusCode)
			}
			waitFor(t, 30*time.Second, "provisioning", func() bool {
				return count(t, db, `SELECT count(*) FROM organizations WHERE name = 'Half Co' AND state = 'active'`) == 1
			})
		})
	}
}
