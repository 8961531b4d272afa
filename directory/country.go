package directory

import (
	"sort"
	"sync"

	"github.com/atrium-admin/atrium/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Country is an ISO 3166-1 alpha-2 country, with its name.
type Country struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// notAssigned are codes the language tables know that ISO 3166-1 does not assign to a
// country today: exceptionally or transitionally reserved, and withdrawn ones.
var notAssigned = map[string]bool{
	"AC": true, "BU": true, "CP": true, "CT": true, "DD": true, "DG": true, "DY": true, "EA": true, "EZ": true, "FX": true,
	"HV": true, "IC": true, "JT": true, "MI": true, "NH": true, "NQ": true, "PU": true, "PZ": true, "RH": true, "TA": true,
	"TP": true, "UK": true, "UN": true, "VD": true, "WK": true, "YD": true, "ZR": true,
}

var countries = sync.OnceValues(func() ([]Country, map[string]bool) {
	names := display.Regions(language.English)
	var list []Country
	known := map[string]bool{}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			r, err := language.ParseRegion(code)
			// ParseRegion also knows private-use and grouping codes (QO, EU, UN, ZZ):
			// only real countries and territories with a name count.
			if err != nil || !r.IsCountry() || r.IsPrivateUse() || r.String() != code || notAssigned[code] {
				continue
			}
			name := names.Name(r)
			if name == "" || name == code {
				continue
			}
			list = append(list, Country{Code: code, Name: name})
			known[code] = true
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, known
})

// Countries returns every ISO 3166-1 alpha-2 country, by English name.
func Countries() []Country {
	list, _ := countries()
	return list
}

// IsCountry reports whether code is an ISO 3166-1 alpha-2 country code (upper case).
func IsCountry(code string) bool {
	_, known := countries()
	return known[code]
}

// CountryName returns the English name of the country code, or code itself.
func CountryName(code string) string {
	for _, c := range Countries() {
		if c.Code == code {
			return c.Name
		}
	}
	return code
}

// countriesIn caches CountriesIn per language.
var countriesIn sync.Map // i18n.Lang → []Country

// CountriesIn returns every country with its name in language l, sorted as l sorts
// (Swedish puts Österrike after Zambia; Polish Łotwa after Luksemburg).
func CountriesIn(l i18n.Lang) []Country {
	if v, ok := countriesIn.Load(l); ok {
		return v.([]Country)
	}
	names := display.Regions(l.Tag())
	en := Countries()
	list := make([]Country, len(en))
	byName := make(map[string]Country, len(en))
	keys := make([]string, len(en))
	for i, c := range en {
		r, _ := language.ParseRegion(c.Code)
		if n := names.Name(r); n != "" && n != c.Code {
			c.Name = n
		}
		list[i] = c
		keys[i] = c.Name
		byName[c.Name] = c
	}
	i18n.Sort(l, keys)
	if len(byName) == len(list) { // names are unique: sort by the language's collation
		for i, k := range keys {
			list[i] = byName[k]
		}
	}
	countriesIn.Store(l, list)
	return list
}

// CountryNameIn returns the name of the country code in language l, or code itself.
func CountryNameIn(l i18n.Lang, code string) string {
	for _, c := range CountriesIn(l) {
		if c.Code == code {
			return c.Name
		}
	}
	return code
}
