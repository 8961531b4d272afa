package i18n

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/collate"
)

func TestSort(t *testing.T) {
	for _, tc := range []struct {
		lang Lang
		want []string
	}{
		// Polish: each accented letter after its base (C Ć, L Ł, S Ś, Z Ź Ż).
		{PL, []string{"Adam", "Czesław", "Ćwik", "Lena", "Lucyna", "Łucja", "Łukasz", "Marek", "Szymon", "Śmiały", "Zofia", "Źrebiec", "Żaneta"}},
		// Swedish: Å Ä Ö after Z, W with V's neighbours.
		{SV, []string{"Adam", "Björn", "Olle", "Vera", "Wilma", "Zack", "Åsa", "Ängel", "Ärla", "Örjan", "Östen"}},
		// Norwegian: Æ Ø Å after Z; Ä sorts as Æ, Ö as Ø, "Aa" as Å.
		{NB, []string{"Adam", "Olav", "Zara", "Æsa", "Ørjan", "Östen", "Aase", "Åsmund"}},
		// English: accents are a tie-breaker only.
		{EN, []string{"Åsa", "Ängel", "Łukasz", "Lukas", "Zoe"}},
	} {
		want := tc.want
		if tc.lang == EN {
			want = []string{"Ängel", "Åsa", "Lukas", "Łukasz", "Zoe"}
		}
		names := slices.Clone(tc.want)
		rand.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
		Sort(tc.lang, names)
		if !slices.Equal(names, want) {
			t.Errorf("Sort(%s) = %q, want %q", tc.lang, names, want)
		}
	}
}

func TestCollator(t *testing.T) {
	c := Collator(PL)
	if c.CompareString("Łukasz", "Lukas") <= 0 || c.CompareString("Łukasz", "Marek") >= 0 {
		t.Error("Polish collator does not put Ł between L and M")
	}
	if Collator(SV).CompareString("Örjan", "Zack") <= 0 {
		t.Error("Swedish collator does not put Ö after Z")
	}
	if Collator(EN).CompareString("Örjan", "Zack") >= 0 {
		t.Error("English collator puts Ö after Z")
	}
}

// TestSortConcurrent sorts from many goroutines at once; with -race it shows that
// Sort does not share a collator.
func TestSortConcurrent(t *testing.T) {
	want := []string{"Lena", "Łukasz", "Marek"}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 50 {
				names := []string{"Marek", "Łukasz", "Lena"}
				Sort(PL, names)
				if !slices.Equal(names, want) {
					t.Errorf("Sort(pl) = %q", names)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Müller", "muller"},
		{"Łukasz", "lukasz"},
		{"ŁUKASZ", "lukasz"},
		{"Øystein", "oystein"},
		{"Åsa", "asa"},
		{"Ängel", "angel"},
		{"Æsir", "aesir"},
		{"Straße", "strasse"},
		{"STRAẞE", "strasse"},
		{"Đorđe", "dorde"},
		{"Þóra", "thora"},
		{"Guðrún", "gudrun"},
		{"Zażółć gęślą jaźń", "zazolc gesla jazn"},
		{"Crème Brûlée", "creme brulee"},
		{"İstanbul", "istanbul"},
		// Already decomposed input folds the same.
		{"Mu\u0308ller", "muller"},
		{"plain ascii", "plain ascii"},
		{"ADA@Contoso.COM", "ada@contoso.com"},
		{"", ""},
		{"日本語", "日本語"},
		{"한국어", "한국어"},
		{"bad \xff utf-8", "bad \ufffd utf-8"},
	} {
		if got := Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFoldConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 100 {
				if got := Fold("Łukasz Müller"); got != "lukasz muller" {
					t.Errorf("Fold = %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

// SortKey orders as the collation, and its text encoding keeps the order of the keys
// it encodes, prefixes included.
func TestSortKey(t *testing.T) {
	for _, tc := range []struct {
		lang Lang
		want []string
	}{
		{PL, []string{"Adam", "Azor", "Ąda", "Czesław", "Ćwik", "Lucyna", "Łucja", "Łukasz", "Marek", "Zofia", "Źrebiec", "Żaneta"}},
		{SV, []string{"Adam", "Björn", "Olle", "Zack", "Åsa", "Ängel", "Ärla", "Örjan", "Östen"}},
		{NB, []string{"Adam", "Olav", "Zara", "Æsa", "Ørjan", "Östen", "Aase", "Åsmund"}},
		{EN, []string{"Adam", "Ängel", "Åsa", "Lukas", "Łukasz", "Zoe"}},
	} {
		names := slices.Clone(tc.want)
		rand.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
		slices.SortStableFunc(names, func(a, b string) int { return strings.Compare(SortKey(tc.lang, a), SortKey(tc.lang, b)) })
		if !slices.Equal(names, tc.want) {
			t.Errorf("%s: sorted by SortKey %q, want %q", tc.lang, names, tc.want)
		}
	}
	if SortKey(EN, "Müller") != SortKey(EN, "muller") {
		t.Error("case and accents change the English key")
	}
	if SortKey(SV, "Åsa") == SortKey(SV, "Asa") {
		t.Error("Swedish Å has the key of A")
	}
	// The encoding against the raw keys, over random strings of every length mod 3.
	c := collate.New(collationTag(PL), collate.Loose)
	var buf collate.Buffer
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("aąbcćlłmnzżźAŁ ")
	words := make([]string, 300)
	for i := range words {
		w := make([]rune, r.IntN(7))
		for j := range w {
			w[j] = alphabet[r.IntN(len(alphabet))]
		}
		words[i] = string(w)
	}
	for i := 0; i < 3000; i++ {
		a, b := words[r.IntN(len(words))], words[r.IntN(len(words))]
		ka := string(c.KeyFromString(&buf, a))
		kb := string(c.KeyFromString(&buf, b))
		buf.Reset()
		if got, want := strings.Compare(SortKey(PL, a), SortKey(PL, b)), strings.Compare(ka, kb); got != want {
			t.Fatalf("SortKey(%q) vs SortKey(%q) compares %d, the raw keys %d", a, b, got, want)
		}
	}
	for _, s := range []string{"", "a", "ab", "abc"} {
		if k := SortKey(PL, s); strings.Trim(k, sortKeyDigits) != "" {
			t.Errorf("SortKey(%q) = %q holds other characters", s, k)
		}
	}
}

func BenchmarkSortKey(b *testing.B) {
	for b.Loop() {
		SortKey(PL, "Łukasz Wiśniewski")
	}
}
