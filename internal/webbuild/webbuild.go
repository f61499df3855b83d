// Package webbuild turns the static web app (web/) into the tree CloudFront
// serves (build/web): JavaScript and CSS get content-hashed names under
// assets/ so they can be cached for a year, the imports and references that
// name them are rewritten, and the entry points (index.html, config.json)
// keep their names so browsers always revalidate them. The output depends
// only on the input files: the same web/ gives byte-identical build/web.
package webbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// AssetsDir is the output directory of the hashed files.
const AssetsDir = "assets"

// HashLength is how many hex digits of the SHA-256 of a file's (rewritten)
// content its name carries.
const HashLength = 10

// hashed reports whether a source file gets a content-hashed name.
func hashed(rel string) bool {
	switch path.Ext(rel) {
	case ".js", ".css":
		return true
	}
	return false
}

// References a file makes to other files of the app, by kind of file. Only
// relative specifiers ("./x.js", "../y.js") are rewritten; bare or absolute
// URLs are left alone.
var (
	jsImport = regexp.MustCompile(`((?:\bfrom|\bimport)\s*\(?\s*)(["'])(\.{1,2}/[^"'\s]+)(["'])`)
	htmlRef  = regexp.MustCompile(`(\b(?:src|href)\s*=\s*)(["'])(\.{0,2}/?[A-Za-z0-9_][^"'\s:]*\.(?:js|css))(["'])`)
	cssURL   = regexp.MustCompile(`(url\(\s*)(["']?)(\.{1,2}/[^"')\s]+)(["']?\s*\))`)
)

func refPattern(rel string) *regexp.Regexp {
	switch path.Ext(rel) {
	case ".js":
		return jsImport
	case ".html":
		return htmlRef
	case ".css":
		return cssURL
	}
	return nil
}

// File is one file of the output.
type File struct {
	// Source is the path under the input directory (slash-separated).
	Source string
	// Path is the path under the output directory (slash-separated).
	Path string
	// Hashed tells whether Path carries a content hash.
	Hashed bool
	Size   int
}

// Result lists the output, sorted by Path.
type Result struct {
	Files []File
}

// Paths maps each source path to its output path.
func (r *Result) Paths() map[string]string {
	m := make(map[string]string, len(r.Files))
	for _, f := range r.Files {
		m[f.Source] = f.Path
	}
	return m
}

type builder struct {
	src     map[string][]byte
	outPath map[string]string
	outData map[string][]byte
	visit   map[string]bool // in progress, for cycle detection
}

// Build reads every file under srcDir and writes the served tree to
// outDir, replacing what was there.
func Build(srcDir, outDir string) (*Result, error) {
	absSrc, err := filepath.Abs(srcDir)
	if err != nil {
		return nil, err
	}
	absOut, err := filepath.Abs(outDir)
	if err != nil {
		return nil, err
	}
	if absOut == absSrc || strings.HasPrefix(absSrc+string(filepath.Separator), absOut+string(filepath.Separator)) ||
		strings.HasPrefix(absOut+string(filepath.Separator), absSrc+string(filepath.Separator)) {
		return nil, fmt.Errorf("webbuild: the output %s must be outside the sources %s and not contain them", outDir, srcDir)
	}
	b := &builder{src: map[string][]byte{}, outPath: map[string]string{}, outData: map[string][]byte{}, visit: map[string]bool{}}
	err = filepath.WalkDir(absSrc, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("webbuild: %s is not a regular file; the web app holds plain files only", p)
		}
		rel, err := filepath.Rel(absSrc, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(path.Base(rel), ".") {
			return nil // editor and OS droppings
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b.src[rel] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := b.src["index.html"]; !ok {
		return nil, fmt.Errorf("webbuild: %s has no index.html; the app's entry point must be web/index.html", srcDir)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range b.src {
			if !yield(k) {
				return
			}
		}
	})
	for _, rel := range names {
		if _, err := b.resolve(rel); err != nil {
			return nil, err
		}
	}
	if err := os.RemoveAll(absOut); err != nil {
		return nil, err
	}
	res := &Result{}
	for _, rel := range names {
		out := b.outPath[rel]
		dst := filepath.Join(absOut, filepath.FromSlash(out))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, b.outData[rel], 0o644); err != nil {
			return nil, err
		}
		res.Files = append(res.Files, File{Source: rel, Path: out, Hashed: hashed(rel), Size: len(b.outData[rel])})
	}
	slices.SortFunc(res.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return res, nil
}

// resolve returns the output path of a source file, rewriting its
// references first: a file's hash covers the hashed names of what it
// imports, so a change anywhere below renames everything above.
func (b *builder) resolve(rel string) (string, error) {
	if out, ok := b.outPath[rel]; ok {
		return out, nil
	}
	if b.visit[rel] {
		return "", fmt.Errorf("webbuild: %s imports itself through a cycle; content hashes need an acyclic module graph, so break the cycle", rel)
	}
	b.visit[rel] = true
	defer delete(b.visit, rel)
	data := b.src[rel]
	if re := refPattern(rel); re != nil {
		var failed error
		data = re.ReplaceAllFunc(data, func(m []byte) []byte {
			g := re.FindSubmatch(m)
			spec := string(g[3])
			target := path.Clean(path.Join(path.Dir(rel), spec))
			if strings.HasPrefix(spec, "/") {
				target = strings.TrimPrefix(path.Clean(spec), "/")
			}
			if _, ok := b.src[target]; !ok {
				if failed == nil {
					failed = fmt.Errorf("webbuild: %s refers to %q, which is not a file of the web app (looked for %s)", rel, spec, target)
				}
				return m
			}
			out, err := b.resolve(target)
			if err != nil {
				if failed == nil {
					failed = err
				}
				return m
			}
			// Absolute paths: index.html is also served for deep links
			// such as /products/42, where relative paths would break.
			return slices.Concat(g[1], g[2], []byte("/"+out), g[4])
		})
		if failed != nil {
			return "", failed
		}
	}
	out := rel
	if hashed(rel) {
		sum := sha256.Sum256(data)
		ext := path.Ext(rel)
		out = path.Join(AssetsDir, strings.TrimSuffix(rel, ext)+"."+hex.EncodeToString(sum[:])[:HashLength]+ext)
	}
	b.outPath[rel] = out
	b.outData[rel] = data
	return out, nil
}
