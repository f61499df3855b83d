package webbuild

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, data := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func read(t *testing.T, root, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func tree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		data, err := os.ReadFile(p)
		m[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var app = map[string]string{
	"index.html":   `<!doctype html><link rel="stylesheet" href="./css/app.css"><script type="module" src="./js/main.js"></script>`,
	"config.json":  `{"apiBase":"/api"}`,
	"css/app.css":  `body{background:url("../img/bg.svg")}`,
	"img/bg.svg":   `<svg/>`,
	"js/main.js":   "import { api } from \"./api.js\";\nimport * as ui from './ui/dom.js';\nconst lazy = () => import(\"./ui/dom.js\");\nexport { api, ui, lazy };\n",
	"js/api.js":    "export const api = 1;\n",
	"js/ui/dom.js": "import { api } from \"../api.js\";\nexport const el = api;\n",
}

var hashedName = regexp.MustCompile(`^assets/js/main\.[0-9a-f]{10}\.js$`)

func TestBuildHashesAssetsAndRewritesReferences(t *testing.T) {
	src, out := t.TempDir(), filepath.Join(t.TempDir(), "web")
	write(t, src, app)
	res, err := Build(src, out)
	if err != nil {
		t.Fatal(err)
	}
	paths := res.Paths()
	if paths["index.html"] != "index.html" || paths["config.json"] != "config.json" {
		t.Fatalf("index.html and config.json must keep their names (browsers revalidate them), got %v", paths)
	}
	if paths["img/bg.svg"] != "img/bg.svg" {
		t.Errorf("only JS and CSS are hashed; img/bg.svg became %s", paths["img/bg.svg"])
	}
	if !hashedName.MatchString(paths["js/main.js"]) {
		t.Fatalf("js/main.js must become assets/js/main.<10 hex>.js so it can be cached for a year, got %s", paths["js/main.js"])
	}
	index := read(t, out, "index.html")
	for _, src := range []string{"js/main.js", "css/app.css"} {
		if !strings.Contains(index, `"/`+paths[src]+`"`) {
			t.Errorf("index.html does not load %s by its absolute hashed name /%s (deep links would load a stale or missing file):\n%s", src, paths[src], index)
		}
	}
	main := read(t, out, paths["js/main.js"])
	want := "import { api } from \"/" + paths["js/api.js"] + "\";\nimport * as ui from '/" + paths["js/ui/dom.js"] + "';\nconst lazy = () => import(\"/" + paths["js/ui/dom.js"] + "\");\n"
	if !strings.HasPrefix(main, want) {
		t.Errorf("main.js imports were not rewritten to the hashed names:\n got: %s\nwant prefix: %s", main, want)
	}
	if dom := read(t, out, paths["js/ui/dom.js"]); !strings.Contains(dom, `"/`+paths["js/api.js"]+`"`) {
		t.Errorf("a parent-relative import (../api.js) was not rewritten: %s", dom)
	}
	if css := read(t, out, paths["css/app.css"]); !strings.Contains(css, `url("/img/bg.svg")`) {
		t.Errorf("the CSS url() was not rewritten to the absolute path: %s", css)
	}
	if got := len(tree(t, out)); got != len(app) {
		t.Errorf("build/web holds %d files, want exactly the %d of web/", got, len(app))
	}
}

func TestBuildIsDeterministicAndHashesFollowDependencies(t *testing.T) {
	src := t.TempDir()
	write(t, src, app)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	ra, err := Build(src, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(src, b); err != nil {
		t.Fatal(err)
	}
	ta, tb := tree(t, a), tree(t, b)
	if len(ta) != len(tb) {
		t.Fatalf("two builds of the same sources differ in their files: %d vs %d", len(ta), len(tb))
	}
	for k, v := range ta {
		if !bytes.Equal(v, tb[k]) {
			t.Errorf("two builds of the same sources differ in %s: the upload would change on every build", k)
		}
	}

	// A change to a leaf module renames it and every module importing it,
	// so no cached importer can load the stale leaf.
	write(t, src, map[string]string{"js/api.js": "export const api = 2;\n"})
	c := filepath.Join(t.TempDir(), "c")
	rc, err := Build(src, c)
	if err != nil {
		t.Fatal(err)
	}
	before, after := ra.Paths(), rc.Paths()
	for _, f := range []string{"js/api.js", "js/ui/dom.js", "js/main.js"} {
		if before[f] == after[f] {
			t.Errorf("%s kept its hashed name %s after js/api.js changed: browsers would keep a stale copy", f, before[f])
		}
	}
	if before["css/app.css"] != after["css/app.css"] {
		t.Errorf("css/app.css was renamed although nothing it uses changed")
	}

	// Rebuilding into the same directory removes the stale names.
	if _, err := Build(src, a); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(a, filepath.FromSlash(before["js/api.js"]))); !os.IsNotExist(err) {
		t.Errorf("the stale %s survived a rebuild into the same directory", before["js/api.js"])
	}
}

func TestBuildRejectsBrokenInput(t *testing.T) {
	cases := map[string]struct {
		files map[string]string
		want  string
	}{
		"missing import": {map[string]string{"index.html": `<script type="module" src="./app.js"></script>`, "app.js": `import "./nope.js";`}, `refers to "./nope.js"`},
		"cycle":          {map[string]string{"index.html": `<script src="./a.js"></script>`, "a.js": `import "./b.js";`, "b.js": `import "./a.js";`}, "cycle"},
		"no index":       {map[string]string{"app.js": ``}, "no index.html"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			src := t.TempDir()
			write(t, src, tc.files)
			_, err := Build(src, filepath.Join(t.TempDir(), "out"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
	src := t.TempDir()
	write(t, src, app)
	if _, err := Build(src, filepath.Join(src, "build")); err == nil {
		t.Fatal("building into the source directory must be refused: the build would delete or read its own output")
	}
}
