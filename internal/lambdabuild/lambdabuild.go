// Package lambdabuild cross-compiles the Lambda functions in lambdas/ for
// the provided.al2023 arm64 runtime and packages each as a zip holding one
// executable named bootstrap. Packages are reproducible: the same code gives
// byte-identical zips, so a function's code hash changes only when its code
// does.
package lambdabuild

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tenantforge/tenantforge/internal/webbuild"
)

// ZipTime is the modification time of every packaged file (the zip epoch):
// a fixed timestamp keeps packages byte-identical across builds.
var ZipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Function is one function to build: its name (lambdas/<name>) and the Go
// package path of its main package, relative to the module root.
type Function struct {
	Name    string
	Package string
}

// Result is one built package.
type Result struct {
	Function
	Zip  string
	Size int64
}

// Discover lists the functions under root/lambdas: every directory that
// holds a main.go.
func Discover(root string) ([]Function, error) { return mains(root, "lambdas") }

// mains lists the main packages directly under root/dir.
func mains(root, dir string) ([]Function, error) {
	entries, err := os.ReadDir(filepath.Join(root, dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Function
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(root, dir, e.Name(), "main.go")); e.IsDir() && err == nil {
			out = append(out, Function{Name: e.Name(), Package: "./" + dir + "/" + e.Name()})
		}
	}
	return out, nil
}

// DiscoverExtensions lists the Lambda extensions under root/extensions.
func DiscoverExtensions(root string) ([]Function, error) { return mains(root, "extensions") }

// ExtensionPrefix names the extensions inside the shared layer:
// /opt/extensions/tenantforge-<name>.
const ExtensionPrefix = "extensions/tenantforge-"

// BuildLayer builds the extensions into one layer zip at outZip, each as
// an executable extensions/tenantforge-<name>.
func BuildLayer(ctx context.Context, root, outZip string, extensions []Function) (Result, error) {
	bin, err := compile(ctx, root, extensions)
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(bin)
	files := map[string]string{}
	for _, x := range extensions {
		files[ExtensionPrefix+x.Name] = filepath.Join(bin, filepath.Base(x.Package))
	}
	if err := os.MkdirAll(filepath.Dir(outZip), 0o755); err != nil {
		return Result{}, err
	}
	size, err := WriteZip(outZip, files)
	return Result{Function: Function{Name: "layer"}, Zip: outZip, Size: size}, err
}

// compile builds the packages for Lambda (linux/arm64).
func compile(ctx context.Context, root string, pkgs []Function) (string, error) {
	return Compile(ctx, root, pkgs, "linux", "arm64")
}

// Compile builds the packages with the functions' flags for goos/goarch
// into a new temporary directory (one executable per package, named after
// it), with one `go build` so shared packages compile once. The caller
// removes the directory.
func Compile(ctx context.Context, root string, pkgs []Function, goos, goarch string) (string, error) {
	bin, err := os.MkdirTemp("", "lambdabuild-")
	if err != nil {
		return "", err
	}
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", bin + string(filepath.Separator)}
	for _, f := range pkgs {
		args = append(args, f.Package)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(bin)
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

// Build compiles the functions with one `go build` (so shared packages are
// compiled once) and writes outDir/<name>.zip for each.
func Build(ctx context.Context, root, outDir string, functions []Function) ([]Result, error) {
	if len(functions) == 0 {
		return nil, nil
	}
	bin, err := compile(ctx, root, functions)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(bin)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	var results []Result
	for _, f := range functions {
		exe := filepath.Join(bin, filepath.Base(f.Package))
		zipPath := filepath.Join(outDir, f.Name+".zip")
		size, err := WriteZip(zipPath, map[string]string{"bootstrap": exe})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		results = append(results, Result{Function: f, Zip: zipPath, Size: size})
	}
	return results, nil
}

// WriteZip writes a reproducible zip: entries in name order, each
// executable (0755) with the fixed ZipTime. files maps the name inside the
// zip to the file on disk. It returns the zip's size. An unchanged zip is
// not rewritten, so its modification time says when the code last changed.
func WriteZip(path string, files map[string]string) (int64, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := addFile(zw, name, files[name]); err != nil {
			return 0, err
		}
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, buf.Bytes()) {
		return int64(buf.Len()), nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return 0, err
	}
	return int64(buf.Len()), os.Rename(tmp, path)
}

func addFile(zw *zip.Writer, name, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: ZipTime}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return err
}

// WriteStandIns lays out stand-ins of `make build`'s output under dir:
// dir/lambdas/<name>.zip for every function under root/lambdas and
// dir/layers/shared.zip. Infrastructure tests and benchmarks check what
// the program registers, not the code, so they use these; a stand-in is
// never a deployable package. The web app is built for real into dir/web
// (it takes milliseconds), so the program sees the files it would upload.
// It returns dir/lambdas.
func WriteStandIns(root, dir string) (string, error) {
	if _, err := webbuild.Build(filepath.Join(root, "web"), filepath.Join(dir, "web")); err != nil {
		return "", err
	}
	fns, err := Discover(root)
	if err != nil {
		return "", err
	}
	lambdas, layers := filepath.Join(dir, "lambdas"), filepath.Join(dir, "layers")
	for _, d := range []string{lambdas, layers} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	paths := []string{filepath.Join(layers, "shared.zip")}
	for _, fn := range fns {
		paths = append(paths, filepath.Join(lambdas, fn.Name+".zip"))
	}
	for _, p := range paths {
		if err := os.WriteFile(p, []byte("PK\x05\x06stand-in"), 0o644); err != nil {
			return "", err
		}
	}
	return lambdas, nil
}
