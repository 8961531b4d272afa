package directory

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// Seeding fills an organization with generated users for benchmarks and demos. It
// bypasses the per-user service path (one argon2id hash, one audit entry and one
// transaction per user) and writes big multi-row INSERTs instead; the rows are the same
// as CreateUser writes, with search and sort_name computed by searchText and sortName (in the organization's
// language).

// SeedUsername returns the username of seeded user number n (1-based) in domain.
func SeedUsername(n int, domain string) string {
	return fmt.Sprintf("user%06d@%s", n, domain)
}

// SeedPerson is the generated profile of one seeded user. It is a pure function of the
// user's number, so benchmarks can pick search fragments without reading the database.
type SeedPerson struct {
	FirstName, LastName, DisplayName, ContactEmail, JobTitle, Department, UsageLocation string
}

// SeedProfile returns the profile of seeded user number n. Names combine weighted first
// and last name lists, so fragments such as "an" or "son" are common; about one user in
// 500 gets a surname built from syllables, which is rare or unique (see SeedRareSurname).
func SeedProfile(n int) SeedPerson {
	r := seedRand(uint64(n))
	first := seedFirst[pickWeighted(r.next(), len(seedFirst))]
	var last string
	if r.next()%500 == 0 {
		last = SeedRareSurname(n)
	} else {
		last = seedLast[pickWeighted(r.next(), len(seedLast))]
	}
	display := first + " " + last
	if m := r.next() % 10; m == 0 {
		// Some people go by their middle initial.
		display = first + " " + string(rune('A'+r.next()%26)) + ". " + last
	}
	email := strings.ToLower(first) + "." + strings.ToLower(strings.ReplaceAll(last, " ", "")) + strconv.Itoa(n) + "@" +
		seedMailDomains[r.next()%uint64(len(seedMailDomains))]
	return SeedPerson{
		FirstName: first, LastName: last, DisplayName: display, ContactEmail: email,
		JobTitle:      seedTitles[r.next()%uint64(len(seedTitles))],
		Department:    seedDepartments[r.next()%uint64(len(seedDepartments))],
		UsageLocation: seedCountries[r.next()%uint64(len(seedCountries))],
	}
}

// SeedRareSurname returns the syllable surname user n would get if it drew a rare one;
// three syllables from a list of 48 give about 110,000 names.
func SeedRareSurname(n int) string {
	r := seedRand(uint64(n) ^ 0x9e3779b97f4a7c15)
	var b strings.Builder
	for i := range 3 {
		s := seedSyllables[r.next()%uint64(len(seedSyllables))]
		if i == 0 {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		b.WriteString(s)
	}
	return b.String()
}

// SeedHasRareSurname reports whether seeded user n has a syllable surname.
func SeedHasRareSurname(n int) bool {
	return SeedProfile(n).LastName == SeedRareSurname(n)
}

// SeedInput says which users SeedUsers writes: numbers From..To (inclusive) of Org.
type SeedInput struct {
	Org          atrium.OrgID
	Domain       string // the organization's domain for usernames
	PasswordHash string // one encoded argon2id hash shared by every seeded user
	From, To     int
	// Progress, when set, is called after each committed transaction with the number of
	// users written so far by this call.
	Progress func(written int)

	lang string // the organization's language, for the sort keys; read by SeedUsers
}

// seedBatchRows is the number of users per INSERT statement on PostgreSQL.
const seedBatchRows = 1000

// seedTxRows is the number of users per transaction.
const seedTxRows = 50_000

// SeedUsers bulk-inserts the seeded users From..To of an organization into db. Each
// transaction commits seedTxRows users, in order, so an interrupted run leaves users
// 1..k and can be resumed from k+1. It returns conflict if one of the usernames exists.
func SeedUsers(ctx context.Context, db *store.DB, in SeedInput) error {
	if in.From < 1 || in.To < in.From {
		return nil
	}
	lang, err := orgLanguage(ctx, db.Read(), in.Org)
	if err != nil {
		return err
	}
	in.lang = lang
	if db.Dialect == store.SQLite {
		restore, err := prepareSQLiteBulk(ctx, db)
		if err != nil {
			return err
		}
		defer restore()
	}
	now := store.Micros(time.Now())
	// The next transaction's rows are generated (and, for SQLite, encoded) on another
	// goroutine while the database writes the current ones.
	type chunk struct {
		from, to int
		json     string // SQLite: the rows as a JSON array
	}
	chunks := make(chan chunk, 1)
	gctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		defer close(chunks)
		for start := in.From; start <= in.To; start += seedTxRows {
			c := chunk{from: start, to: min(start+seedTxRows-1, in.To)}
			if db.Dialect == store.SQLite {
				c.json = seedJSON(in, c.from, c.to)
			}
			select {
			case chunks <- c:
			case <-gctx.Done():
				return
			}
		}
	}()
	written := 0
	for c := range chunks {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if db.Dialect == store.SQLite {
				return seedSQLite(ctx, tx, in, c.from, c.to, c.json, now)
			}
			return seedPostgres(ctx, tx, in, c.from, c.to, now)
		})
		if err != nil {
			if atrium.ErrorCode(err) == atrium.CodeConflict {
				return &atrium.Error{Code: atrium.CodeConflict, Message: fmt.Sprintf("a seeded user between %s and %s exists already",
					SeedUsername(c.from, in.Domain), SeedUsername(c.to, in.Domain)), Cause: err}
			}
			return err
		}
		written += c.to - c.from + 1
		if in.Progress != nil {
			in.Progress(written)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.Dialect == store.Postgres {
		// Fresh statistics, so the planner's estimates for the search see the new rows,
		// and a visibility map, so walks of the display-name index stay index-only,
		// now rather than whenever autovacuum gets to them.
		if _, err := db.Write().ExecContext(ctx, `VACUUM (ANALYZE) users`); err != nil {
			return store.Translate(err)
		}
	}
	return nil
}

// seedJSON returns users from..to as a JSON array of seedRow arrays.
func seedJSON(in SeedInput, from, to int) string {
	rows := make([][12]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		rows = append(rows, seedRow(in, i))
	}
	data, _ := json.Marshal(rows) // strings only: cannot fail
	return string(data)
}

// seedSQLite inserts users from..to with one statement that reads the rows from a JSON
// array. One statement matters: SQLite opens a statement savepoint for every statement
// that fires the trigram index's trigger, and FTS5 flushes its pending index data at each
// one, so many small statements would make many small index segments to merge. It also
// binds 4 parameters instead of 16 per row.
func seedSQLite(ctx context.Context, tx *store.Tx, in SeedInput, from, to int, rows string, now int64) error {
	// Without a Done channel the driver skips its per-statement cancellation watcher;
	// the statement is bounded by seedTxRows rows.
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := tx.ExecContext(context.WithoutCancel(ctx), `INSERT INTO users (org_id, password_hash, created_at, updated_at, must_change_password, blocked,
			id, username, username_key, display_name, sort_name, first_name, last_name, contact_email, job_title, department, usage_location, search)
		SELECT ?1, ?2, ?3, ?3, FALSE, FALSE, r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5,
			r.value ->> 6, r.value ->> 7, r.value ->> 8, r.value ->> 9, r.value ->> 10, r.value ->> 11
		FROM json_each(?4) AS r`, string(in.Org), in.PasswordHash, now, rows)
	if err != nil {
		return fmt.Errorf("directory: seed users %d..%d: %w", from, to, err)
	}
	return nil
}

// seedPostgres inserts users from..to with prepared multi-row INSERTs.
func seedPostgres(ctx context.Context, tx *store.Tx, in SeedInput, from, to int, now int64) error {
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, 3+12*seedBatchRows)
	for b := from; b <= to; b += seedBatchRows {
		be := min(b+seedBatchRows-1, to)
		n := be - b + 1
		st, ok := stmts[n]
		if !ok {
			var err error
			if st, err = tx.PrepareContext(ctx, seedInsert(n)); err != nil {
				return fmt.Errorf("directory: prepare seed insert: %w", err)
			}
			stmts[n] = st
		}
		args = append(args[:0], string(in.Org), in.PasswordHash, now)
		for i := b; i <= be; i++ {
			r := seedRow(in, i)
			for _, v := range r {
				args = append(args, v)
			}
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("directory: seed users %d..%d: %w", b, be, err)
		}
	}
	return nil
}

// prepareSQLiteBulk tunes SQLite for a bulk insert and returns the function that undoes it.
// The writer is one connection, so the pragmas stay on the connection that inserts.
//   - A larger page cache keeps the random inserts into the sort_name index in memory.
//   - Rarer WAL checkpoints: each one syncs the database file.
//   - A larger FTS5 in-memory hash flushes each transaction's trigrams as one segment
//     rather than one per megabyte, which saves most of the segment merging. The setting
//     is stored in the index's config table, hence the restore.
func prepareSQLiteBulk(ctx context.Context, db *store.DB) (func(), error) {
	for _, q := range []string{
		`PRAGMA cache_size = -262144`,
		`PRAGMA wal_autocheckpoint = 65536`,
		`INSERT INTO users_search (users_search, rank) VALUES ('hashsize', 268435456)`,
	} {
		if _, err := db.Write().ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("directory: prepare bulk insert: %s: %w", q, err)
		}
	}
	for _, ix := range seedDeferredIndexes {
		if _, err := db.Write().ExecContext(ctx, `DROP INDEX IF EXISTS `+ix.name); err != nil {
			return nil, fmt.Errorf("directory: prepare bulk insert: drop %s: %w", ix.name, err)
		}
	}
	return func() {
		ctx := context.WithoutCancel(ctx)
		EnsureSearchIndexes(ctx, db) // an error leaves them to the next start
		db.Write().ExecContext(ctx, `INSERT INTO users_search (users_search, rank) VALUES ('hashsize', 1048576)`)
		db.Write().ExecContext(ctx, `PRAGMA wal_autocheckpoint = 1000`)
		db.Write().ExecContext(ctx, `PRAGMA cache_size = -2000`)
		db.Write().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}, nil
}

// seedDeferredIndexes are the SQLite indexes of users (migrations 002 and 011) a bulk
// insert drops first and builds again after: their keys come in no useful order, and
// one sorted build costs a fraction of keeping them row by row (2 min 5 s → 1 min 17 s
// for 1,000,000 users here). While a seed runs, one- and two-letter searches of the
// instance fail (they name users_org_start1/2); EnsureSearchIndexes builds them again
// should a seed be killed before its end.
var seedDeferredIndexes = []struct{ name, create string }{
	{"users_org_name_search", `CREATE INDEX IF NOT EXISTS users_org_name_search ON users (org_id, sort_name, id, search, deleted_at) WHERE deleted_at IS NULL`},
	{"users_org_start1", `CREATE INDEX IF NOT EXISTS users_org_start1 ON users (org_id, atrium_name_start(search, 1), sort_name, id) WHERE deleted_at IS NULL`},
	{"users_org_start2", `CREATE INDEX IF NOT EXISTS users_org_start2 ON users (org_id, atrium_name_start(search, 2), sort_name, id) WHERE deleted_at IS NULL`},
}

// EnsureSearchIndexes builds again, on SQLite, the user-search indexes a bulk insert
// drops (SeedUsers), if one was killed before it built them; otherwise it does nothing.
func EnsureSearchIndexes(ctx context.Context, db *store.DB) error {
	if db.Dialect != store.SQLite {
		return nil
	}
	for _, ix := range seedDeferredIndexes {
		if _, err := db.Write().ExecContext(ctx, ix.create); err != nil {
			return fmt.Errorf("directory: build %s: %w", ix.name, err)
		}
	}
	return nil
}

// seedInsert returns the INSERT of n users; $1..$3 are the organization, the password
// hash and the creation time shared by every row, then 12 parameters a row.
func seedInsert(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO users (org_id, password_hash, created_at, updated_at, must_change_password, blocked,
		id, username, username_key, display_name, sort_name, first_name, last_name, contact_email, job_title, department, usage_location, search) VALUES `)
	p := 4
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("($1, $2, $3, $3, FALSE, FALSE")
		for range 12 {
			b.WriteString(", $")
			b.WriteString(strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// seedRow returns the 12 per-user columns of seeded user n, in seedInsert's order.
func seedRow(in SeedInput, n int) [12]string {
	p := SeedProfile(n)
	u := User{Username: SeedUsername(n, in.Domain), DisplayName: p.DisplayName, ContactEmail: p.ContactEmail}
	return [12]string{uuid.Must(uuid.NewV7()).String(), u.Username, strings.ToLower(u.Username), u.DisplayName, sortName(in.lang, u.DisplayName),
		p.FirstName, p.LastName, p.ContactEmail, p.JobTitle, p.Department, p.UsageLocation, searchText(&u)}
}

// CountSeededUsers returns how many users of org have a seeded username (user<digits>@…),
// deleted or not; seeding resumes after them.
func CountSeededUsers(ctx context.Context, db *store.DB, org atrium.OrgID) (int, error) {
	q := `SELECT count(*) FROM users WHERE org_id = $1 AND username_key GLOB 'user[0-9][0-9][0-9][0-9][0-9][0-9]*@*'`
	if db.Dialect == store.Postgres {
		q = `SELECT count(*) FROM users WHERE org_id = $1 AND username_key ~ '^user[0-9]{6,}@'`
	}
	var n int
	err := db.Read().QueryRowContext(ctx, q, string(org)).Scan(&n)
	return n, store.Translate(err)
}

// OrgByName returns the organization whose domain prefix is name, or else the oldest
// one named name (case-insensitively); not_found if none.
func (s *Service) OrgByName(ctx context.Context, name string) (*Organization, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	o, err := scanOrg(s.db.Read().QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE domain_prefix = $1 OR name_key = $1
		ORDER BY domain_prefix = $1 DESC, created_at LIMIT 1`, key))
	if err != nil {
		return nil, store.Translate(err)
	}
	return o, nil
}

// seedRand is a splitmix64 generator: cheap, and the same numbers on every machine.
type seedRand uint64

func (r *seedRand) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// pickWeighted picks an index below n, index i with weight proportional to 1/(i+1) (a
// Zipf-like spread: the first names of a list are much more frequent than the last).
func pickWeighted(x uint64, n int) int {
	h := harmonic(n)
	t := float64(x>>11) / float64(1<<53) * h
	for i := range n {
		t -= 1 / float64(i+1)
		if t <= 0 {
			return i
		}
	}
	return n - 1
}

var harmonics = map[int]float64{}

func harmonic(n int) float64 {
	if h, ok := harmonics[n]; ok {
		return h
	}
	h := 0.0
	for i := range n {
		h += 1 / float64(i+1)
	}
	return h
}

func init() {
	for _, n := range []int{len(seedFirst), len(seedLast)} {
		harmonics[n] = harmonic(n)
	}
}

var seedFirst = []string{
	"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
	"David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
	"Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra",
	"Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
	"Kenneth", "Dorothy", "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa", "Edward", "Deborah",
	"Ronald", "Stephanie", "Timothy", "Rebecca", "Jason", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia",
	"Jacob", "Kathleen", "Gary", "Amy", "Nicholas", "Shirley", "Eric", "Angela", "Jonathan", "Helen",
	"Stephen", "Anna", "Larry", "Brenda", "Justin", "Pamela", "Scott", "Nicole", "Brandon", "Emma",
	"Benjamin", "Samantha", "Samuel", "Katherine", "Gregory", "Christine", "Frank", "Debra", "Alexander", "Rachel",
	"Raymond", "Catherine", "Patrick", "Carolyn", "Jack", "Janet", "Dennis", "Ruth", "Jerry", "Maria",
	"Tyler", "Heather", "Aaron", "Diane", "Jose", "Virginia", "Adam", "Julie", "Henry", "Joyce",
	"Nathan", "Victoria", "Douglas", "Olivia", "Zachary", "Kelly", "Peter", "Christina", "Kyle", "Lauren",
	"Walter", "Joan", "Ethan", "Evelyn", "Jeremy", "Judith", "Harold", "Megan", "Keith", "Cheryl",
	"Christian", "Andrea", "Roger", "Hannah", "Noah", "Martha", "Gerald", "Jacqueline", "Carl", "Frances",
	"Terry", "Gloria", "Sean", "Ann", "Austin", "Teresa", "Arthur", "Kathryn", "Lawrence", "Sara",
	"Jesse", "Janice", "Dylan", "Jean", "Bryan", "Alice", "Joe", "Madison", "Jordan", "Doris",
	"Billy", "Abigail", "Bruce", "Julia", "Albert", "Judy", "Willie", "Grace", "Gabriel", "Denise",
	"Logan", "Amber", "Alan", "Marilyn", "Juan", "Beverly", "Wayne", "Danielle", "Roy", "Theresa",
	"Ralph", "Sophia", "Randy", "Marie", "Eugene", "Diana", "Vincent", "Brittany", "Russell", "Natalie",
	"Elijah", "Isabella", "Louis", "Charlotte", "Bobby", "Rose", "Philip", "Alexis", "Johnny", "Kayla",
	"Ingrid", "Yusuf", "Björn", "Chloé", "Søren", "Zoë", "Ángel", "Łukasz", "Mei", "Hiroshi",
	"Priya", "Arjun", "Fatima", "Omar", "Olga", "Dmitri", "Aoife", "Siobhan", "Kwame", "Amara",
}

var seedLast = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
	"Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
	"Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
	"Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
	"Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
	"Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
	"Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
	"Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham",
	"Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson",
	"Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens",
	"Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen",
	"Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter",
	"Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks",
	"Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox",
	"Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens",
	"Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins",
	"Müller", "Schäfer", "Kowalski", "Nowak", "Novák", "Rossi", "Bianchi", "Dubois", "Lefèvre", "Jensen",
	"Nielsen", "Johansson", "Lindqvist", "Virtanen", "O'Brien", "O'Connor", "van Dijk", "de Jong", "Tanaka", "Suzuki",
	"Yamamoto", "Watanabe", "Wang", "Li", "Zhang", "Liu", "Singh", "Kumar", "Sharma", "Gupta",
	"Okafor", "Mensah", "Haddad", "Nasser", "Ivanov", "Petrov", "Popescu", "Horvath", "Papadopoulos", "Yilmaz",
}

var seedSyllables = []string{
	"ka", "zo", "vri", "thal", "mon", "quex", "bel", "dru", "fyn", "gor", "hax", "ily",
	"jov", "kre", "lum", "nash", "ovi", "prax", "qui", "rost", "sev", "tor", "ulv", "vex",
	"wim", "xan", "yor", "zed", "brin", "cald", "dov", "esk", "fral", "gwyn", "holt", "iska",
	"jarn", "kell", "lorn", "mirk", "nev", "orth", "pell", "rask", "skov", "tyr", "vosk", "wyrd",
}

var seedMailDomains = []string{"example.com", "example.org", "example.net", "mail.example", "post.example"}

var seedTitles = []string{
	"Engineer", "Senior Engineer", "Analyst", "Account Manager", "Sales Representative", "Designer", "Product Manager",
	"Support Specialist", "Accountant", "Recruiter", "Director", "Consultant", "Technician", "Administrator", "Researcher",
}

var seedDepartments = []string{
	"Engineering", "Sales", "Marketing", "Finance", "Human Resources", "Legal", "Support", "Operations",
	"Research", "Product", "Facilities", "Procurement", "IT", "Customer Success", "Security",
}

var seedCountries = []string{"US", "GB", "DE", "FR", "NL", "SE", "ES", "IT", "PL", "IN", "JP", "BR", "CA", "AU", "ZA"}
