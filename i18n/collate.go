package i18n

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// collationTag is the tag whose CLDR collation l sorts by. x/text's table for "nb" is
// the root order (its import of the Norwegian rules is lost), while its "nn" table has
// them: Æ Ø Å after Z, Ä and Ö with Æ and Ø, "aa" as Å. CLDR gives Bokmål and Nynorsk
// the same collation, so Bokmål uses the Nynorsk table.
func collationTag(l Lang) language.Tag {
	switch l {
	case NB:
		return language.MustParse("nn")
	case SV, PL:
		return tags[l]
	}
	return tags[EN]
}

// Collator returns a new collator for l's alphabetical order (Polish sorts Ł after L,
// Swedish Å Ä Ö after Z). A collate.Collator is not safe for concurrent use: each call
// returns a new one, for the caller alone. To sort a slice, use Sort.
func Collator(l Lang) *collate.Collator {
	return collate.New(collationTag(l))
}

// collators keeps collators for reuse by Sort: building one costs about as much as
// sorting a short list with it.
var collators = map[Lang]*sync.Pool{}

func init() {
	for _, l := range []Lang{EN, SV, NB, PL} {
		collators[l] = &sync.Pool{New: func() any { return Collator(l) }}
	}
}

// Sort sorts names in l's alphabetical order. It is safe for concurrent use. A
// language that is not one of Supported sorts as English.
func Sort(l Lang, names []string) {
	pool := collators[l]
	if pool == nil {
		pool = collators[EN]
	}
	c := pool.Get().(*collate.Collator)
	c.SortStrings(names)
	pool.Put(c)
}

// folders keeps the normalizing transformer Fold uses, which holds state and so is not
// safe for concurrent use.
var folders = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// unfolded are the letters that carry a mark without decomposing into a letter and a
// combining mark, so that removing marks leaves them alone.
var unfolded = strings.NewReplacer(
	"ł", "l", "ø", "o", "æ", "ae", "œ", "oe", "ß", "ss",
	"đ", "d", "ð", "d", "þ", "th", "ı", "i", "ħ", "h", "ŧ", "t",
)

// Fold returns s as a search key that ignores case and accents: lower-cased, with
// combining marks removed after canonical decomposition (é → e, å → a, ś → s), and the
// letters that do not decompose spelled plainly (ł → l, ø → o, æ → ae, ß → ss, đ and ð
// → d, þ → th). Fold("Łukasz") == Fold("lukasz"); Fold("Øystein") == "oystein".
// Compare folded keys with folded queries.
func Fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	s = strings.ToLower(s)
	if ascii {
		return s
	}
	t := folders.Get().(transform.Transformer)
	folded, _, err := transform.String(t, s)
	folders.Put(t)
	if err != nil {
		// Only input the normalizer cannot read gets here; lower-cased is the best
		// key left.
		folded = s
	}
	return unfolded.Replace(folded)
}

// sortKeyers keeps the collators SortKey uses: primary strength only (collate.Loose),
// so that case and accents that are not letters of their own in l do not order names,
// while the letters that are (Polish Ł, Swedish Å Ä Ö) keep their place.
var sortKeyers = map[Lang]*sync.Pool{}

func init() {
	for _, l := range []Lang{EN, SV, NB, PL} {
		sortKeyers[l] = &sync.Pool{New: func() any { return &sortKeyer{c: collate.New(collationTag(l), collate.Loose)} }}
	}
}

type sortKeyer struct {
	c   *collate.Collator
	buf collate.Buffer
	out []byte
}

// sortKeyDigits are 64 characters in ascending byte order, so that a key written with
// them compares, byte by byte, as the collation key it encodes.
const sortKeyDigits = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"

// SortKey returns a key for s in l's alphabetical order: of two keys compared as bytes
// (SQLite's BINARY, PostgreSQL's "C" collation, strings.Compare), the smaller belongs
// to the string that comes first in l (Polish "Lucyna" < "Łukasz" < "Maria"; Swedish
// "Zofia" < "Åsa"). Strings that differ only in case or in accents that are not letters
// of their own in l get the same key. The key is printable ASCII, six bits per
// character of the CLDR collation key, about 2.7 characters per letter. A language that
// is not one of Supported sorts as English. It is safe for concurrent use.
func SortKey(l Lang, s string) string {
	pool := sortKeyers[l]
	if pool == nil {
		pool = sortKeyers[EN]
	}
	k := pool.Get().(*sortKeyer)
	key := k.c.KeyFromString(&k.buf, s)
	out := k.out[:0]
	// Three bytes make four characters; a final one or two bytes make two or three, so a
	// key that is a prefix of another encodes as a prefix of the other's encoding.
	for i := 0; i < len(key); i += 3 {
		var v uint32
		n := min(3, len(key)-i)
		for j := 0; j < 3; j++ {
			v <<= 8
			if j < n {
				v |= uint32(key[i+j])
			}
		}
		for j := 0; j <= n; j++ {
			out = append(out, sortKeyDigits[(v>>(18-6*j))&63])
		}
	}
	r := string(out)
	k.out = out
	k.buf.Reset()
	pool.Put(k)
	return r
}
