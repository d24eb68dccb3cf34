package plan

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestLayoutListsEveryPath: the layout in the package comment (plan.go)
// names every path a Dir method gives, and nothing else; a path added to
// the run directory without a line there fails here.
func TestLayoutListsEveryPath(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "plan.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	_, layout, ok := strings.Cut(f.Doc.Text(), "<shared-dir>/<run-id>/\n")
	if !ok {
		t.Fatal("plan.go's package comment has no layout list")
	}
	for line := range strings.Lines(layout) {
		if strings.TrimSpace(line) == "" {
			break
		}
		listed = append(listed, strings.Fields(line)[0])
	}

	// Each method's path relative to the run directory; an index argument
	// (int or string) is given as 7 and read back as <N>; the int ones with
	// DirsPart as well where that names a path of its own.
	const root = "/shared/run"
	var paths, dirs []string
	d := reflect.ValueOf(Dir(root))
	for i := range d.NumMethod() {
		m, name := d.Method(i), d.Type().Method(i).Name
		mt := m.Type()
		if mt.NumOut() != 1 || mt.Out(0).Kind() != reflect.String || mt.NumIn() > 1 {
			continue
		}
		var args [][]reflect.Value
		switch {
		case mt.NumIn() == 0:
			args = [][]reflect.Value{nil}
		case mt.In(0).Kind() == reflect.Int:
			args = [][]reflect.Value{{reflect.ValueOf(7)}, {reflect.ValueOf(DirsPart)}}
		case mt.In(0).Kind() == reflect.String:
			args = [][]reflect.Value{{reflect.ValueOf("7")}}
		default:
			continue
		}
		for _, a := range args {
			rel, err := filepath.Rel(root, m.Call(a)[0].String())
			if strings.Contains(rel, "-1") {
				continue // not a path of its own for DirsPart
			}
			if err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("%s gives %q, not a path in the run directory", name, rel)
				continue
			}
			rel = strings.ReplaceAll(filepath.ToSlash(rel), "7", "<N>")
			if strings.HasSuffix(name, "Dir") {
				dirs = append(dirs, rel)
			} else {
				paths = append(paths, rel)
			}
		}
	}
	if len(paths) < 20 {
		t.Fatalf("only %d paths from Dir's methods: %q", len(paths), paths)
	}
	for _, p := range paths {
		if !slices.Contains(listed, p) {
			t.Errorf("%s is not in plan.go's layout list", p)
		}
	}
	for _, dir := range dirs {
		if !slices.ContainsFunc(listed, func(l string) bool { return strings.HasPrefix(l, dir+"/") }) {
			t.Errorf("nothing in %s/ is in plan.go's layout list", dir)
		}
	}
	for _, l := range listed {
		if !slices.Contains(paths, l) {
			t.Errorf("plan.go's layout lists %s, which no Dir method gives", l)
		}
	}
}
