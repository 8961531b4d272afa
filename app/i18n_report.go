package app

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/atrium-admin/atrium/i18n"
)

// i18nReport prints, per language, how many messages its catalogue has and what it
// lacks (i18n.Check); given the source tree in dir, also the message IDs no code or
// template uses. It fails when there is anything to fix.
func i18nReport(w io.Writer, dir string) error {
	ids := i18n.IDs()
	problems := i18n.Check()
	for _, l := range i18n.Supported {
		n := 0
		for _, p := range problems {
			if p.Lang == l {
				n++
			}
		}
		fmt.Fprintf(w, "%s (%s): %d messages, %d problems\n", l, l.Name(), len(ids), n)
	}
	for _, p := range problems {
		fmt.Fprintln(w, "  "+p.String())
	}
	var unused []string
	if dir != "" {
		sources, err := ProgramSources(dir)
		if err != nil {
			return err
		}
		unused = i18n.Unused(sources)
		fmt.Fprintf(w, "unused: %d\n", len(unused))
		for _, id := range unused {
			fmt.Fprintln(w, "  "+id)
		}
	}
	if len(problems)+len(unused) > 0 {
		return fmt.Errorf("docs i18n: %d catalogue problems, %d unused messages", len(problems), len(unused))
	}
	return nil
}

// ProgramSources returns the contents of the Go files (tests excluded) and templates
// under dir, where the program asks for its messages.
func ProgramSources(dir string) ([]string, error) {
	var out []string
	err := walkProgram(dir, nil, func(path string) error {
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".html") && !strings.HasSuffix(path, ".txt") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, string(b))
		return nil
	})
	return out, err
}

// walkProgram calls fn with every file of the program under dir: hidden directories,
// testdata, node_modules and Go tests left out, and the directories skip names (paths
// relative to dir, slash-separated) too.
func walkProgram(dir string, skip func(rel string) bool, fn func(path string) error) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == dir {
				return nil
			}
			name := d.Name()
			rel, _ := filepath.Rel(dir, path)
			if strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" || (skip != nil && skip(filepath.ToSlash(rel))) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), "_test.go") {
			return nil
		}
		return fn(path)
	})
}
