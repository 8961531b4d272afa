package app

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/atrium-admin/atrium/password"
)

// Config is every setting of atrium serve. Each is a flag and an ATRIUM_* environment
// variable (the flag wins); the README lists them.
type Config struct {
	Addr           string
	DatabaseURL    string
	SMTPURL        string
	MailFrom       string
	BaseDomain     string
	PublicURL      string
	SecureCookies  bool
	TrustedProxies string
	OperatorName   string
	OperatorPrefix string
	AdminUsername  string
	AdminPassword  string
	AdminEmail     string
	Demo           bool
	LogLevel       string
	ShutdownGrace  time.Duration
	// JobPoll is how often idle workers look for due jobs.
	JobPoll time.Duration
	// EventRetention is how long the events outbox keeps an event.
	EventRetention time.Duration
	// SecretKeyFile holds the keys that encrypt stored secrets (package secrets). New
	// defaults it to atrium.key in the data directory (DefaultSecretKeyFile); created
	// when absent. NewModules without it seals under a key that lives only in memory.
	SecretKeyFile string
	// EventPushLease is how long a node pushing a subscription's events holds it without
	// renewing: how long the subscription waits when that node dies.
	EventPushLease time.Duration
	// GroupAttachmentMB is the largest attachment a group post may carry, in MiB
	// (whole number, 1 to 100).
	GroupAttachmentMB string
	// CollabFileMB is the largest file of a content package, in MiB (1 to 2048).
	CollabFileMB string
	// AllowPrivateSinks lets event subscriptions deliver to loopback, link-local and
	// private addresses (tests, and sinks on the operator's own network).
	AllowPrivateSinks bool
	// PasswordParams are the argon2id parameters of new password hashes; zero means
	// password.Default. Not a flag: only tests lower them.
	PasswordParams password.Params
}

// DefaultSecretKeyFile is where the key file is when --secret-key-file is empty:
// atrium.key in the data directory, which is the SQLite database file's directory, or
// the working directory when the database is PostgreSQL.
func DefaultSecretKeyFile(databaseURL string) string {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		return "atrium.key"
	}
	// As store.Open reads a SQLite DSN.
	path := strings.TrimPrefix(databaseURL, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		path = "atrium.db"
	}
	return filepath.Join(filepath.Dir(path), "atrium.key")
}

// passwords returns the process's password hasher, bounded to one computation per CPU.
func (c *Config) passwords() *password.Hasher { return password.NewHasher(c.PasswordParams, 0) }

type setting struct {
	name, env, usage string
	str              *string
	b                *bool
	dur              *time.Duration
	def              string
}

func (c *Config) settings() []setting {
	return []setting{
		{name: "addr", env: "ATRIUM_ADDR", usage: "address to listen on", str: &c.Addr, def: "127.0.0.1:8080"},
		{name: "database-url", env: "ATRIUM_DATABASE_URL", usage: "SQLite file path or postgres:// URL", str: &c.DatabaseURL, def: "atrium.db"},
		{name: "smtp-url", env: "ATRIUM_SMTP_URL", usage: "SMTP server, e.g. smtp://user:pass@host:587?starttls=required; empty keeps mail in the outbox", str: &c.SMTPURL},
		{name: "mail-from", env: "ATRIUM_MAIL_FROM", usage: "sender address of outgoing mail", str: &c.MailFrom, def: "Atrium <no-reply@atrium.localhost>"},
		{name: "base-domain", env: "ATRIUM_BASE_DOMAIN", usage: "new organizations get the domain <prefix>.<base domain>", str: &c.BaseDomain, def: "atrium.localhost"},
		{name: "public-url", env: "ATRIUM_PUBLIC_URL", usage: "URL people use to reach the console (default http://<addr>)", str: &c.PublicURL},
		{name: "secure-cookies", env: "ATRIUM_SECURE_COOKIES", usage: "mark cookies Secure (set behind a TLS proxy)", b: &c.SecureCookies},
		{name: "trusted-proxies", env: "ATRIUM_TRUSTED_PROXIES", usage: "comma-separated CIDR ranges of reverse proxies whose X-Forwarded-For (or, without it, Forwarded) names the client; empty trusts none", str: &c.TrustedProxies},
		{name: "operator-name", env: "ATRIUM_OPERATOR_NAME", usage: "name of the operator organization created on first start", str: &c.OperatorName, def: "Atrium Operator"},
		{name: "operator-prefix", env: "ATRIUM_OPERATOR_PREFIX", usage: "domain prefix of the operator organization", str: &c.OperatorPrefix, def: "operator"},
		{name: "admin-username", env: "ATRIUM_ADMIN_USERNAME", usage: "local part of the first administrator's username", str: &c.AdminUsername, def: "admin"},
		{name: "admin-password", env: "ATRIUM_ADMIN_PASSWORD", usage: "first administrator's password; empty generates one and prints it once", str: &c.AdminPassword},
		{name: "admin-email", env: "ATRIUM_ADMIN_EMAIL", usage: "first administrator's contact email", str: &c.AdminEmail, def: "admin@atrium.localhost"},
		{name: "demo", env: "ATRIUM_DEMO", usage: "also create a customer organization with sample users", b: &c.Demo},
		{name: "log-level", env: "ATRIUM_LOG_LEVEL", usage: "debug, info, warn or error", str: &c.LogLevel, def: "info"},
		{name: "shutdown-grace", env: "ATRIUM_SHUTDOWN_GRACE", usage: "how long shutdown waits for requests and jobs in flight", dur: &c.ShutdownGrace, def: "20s"},
		{name: "job-poll", env: "ATRIUM_JOB_POLL", usage: "how often idle job workers poll", dur: &c.JobPoll, def: "1s"},
		{name: "event-retention", env: "ATRIUM_EVENT_RETENTION", usage: "how long the events outbox keeps an event", dur: &c.EventRetention, def: "720h"},
		{name: "event-push-lease", env: "ATRIUM_EVENT_PUSH_LEASE", usage: "how long a node pushing a subscription's events holds it; a subscription whose node died waits this long", dur: &c.EventPushLease, def: "30s"},
		{name: "group-attachment-mb", env: "ATRIUM_GROUP_ATTACHMENT_MB", usage: "largest attachment of a group post, in MiB (1 to 100)", str: &c.GroupAttachmentMB, def: "10"},
		{name: "collab-file-mb", env: "ATRIUM_COLLAB_FILE_MB", usage: "largest file of an engagement's content package, in MiB (1 to 2048)", str: &c.CollabFileMB, def: "100"},
		{name: "allow-private-sinks", env: "ATRIUM_ALLOW_PRIVATE_SINKS", usage: "let event subscriptions deliver to loopback, link-local and private addresses", b: &c.AllowPrivateSinks},
		{name: "secret-key-file", env: "ATRIUM_SECRET_KEY_FILE", usage: "file of the keys that encrypt stored secrets (webhook secrets, sink credentials); empty: atrium.key beside the SQLite database, or in the working directory with PostgreSQL; generated when absent — back it up", str: &c.SecretKeyFile},
	}
}

// Flags registers every setting on fs, with defaults taken from the environment.
func (c *Config) Flags(fs *flag.FlagSet) {
	for _, s := range c.settings() {
		def := s.def
		if v, ok := os.LookupEnv(s.env); ok {
			def = v
		}
		usage := fmt.Sprintf("%s (env %s)", s.usage, s.env)
		switch {
		case s.str != nil:
			fs.StringVar(s.str, s.name, def, usage)
		case s.b != nil:
			b, _ := strconv.ParseBool(def)
			fs.BoolVar(s.b, s.name, b, usage)
		case s.dur != nil:
			d, err := time.ParseDuration(def)
			if err != nil {
				d, _ = time.ParseDuration(s.def)
			}
			fs.DurationVar(s.dur, s.name, d, usage)
		}
	}
}

// Defaults returns a Config with every default applied (environment ignored).
func Defaults() Config {
	var c Config
	fs := flag.NewFlagSet("defaults", flag.ContinueOnError)
	for _, s := range c.settings() {
		switch {
		case s.str != nil:
			fs.StringVar(s.str, s.name, s.def, "")
		case s.b != nil:
			fs.BoolVar(s.b, s.name, false, "")
		case s.dur != nil:
			d, _ := time.ParseDuration(s.def)
			fs.DurationVar(s.dur, s.name, d, "")
		}
	}
	return c
}

// Markdown renders the settings table for the README.
func Markdown() string {
	var c Config
	var b strings.Builder
	b.WriteString("| flag | environment | default | meaning |\n|---|---|---|---|\n")
	for _, s := range c.settings() {
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s |\n", s.name, s.env, quoteDefault(s.def), s.usage)
	}
	return b.String()
}

func quoteDefault(d string) string {
	if d == "" {
		return ""
	}
	return "`" + d + "`"
}
