package infra

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DefaultArtifactsDir is where `make build` writes the Lambda packages,
// relative to the project root.
const DefaultArtifactsDir = "build/lambdas"

// Artifacts locates the Lambda packages built by `make build`: one
// <name>.zip per lambdas/<name>, each holding a `bootstrap` executable.
type Artifacts struct {
	Dir string
	// Layer is the shared layer's zip; "" means <Dir>/../layers/shared.zip,
	// where `make build` writes it.
	Layer string
	// Web is the built web app (cmd/webbuild); "" means <Dir>/../web, where
	// `make build` writes it.
	Web string
}

// WebDir returns the built web app's directory, or an error that says how
// to build it.
func (a Artifacts) WebDir() (string, error) {
	dir := a.Web
	if dir == "" {
		dir = filepath.Join(filepath.Dir(filepath.Clean(a.Dir)), "web")
	}
	info, err := os.Stat(filepath.Join(dir, "index.html"))
	switch {
	case os.IsNotExist(err):
		return "", fmt.Errorf("the web app %s is not built (no index.html): run `make build` first", dir)
	case err != nil:
		return "", err
	case info.IsDir():
		return "", fmt.Errorf("the web app %s is not a build of web/: run `make clean build`", dir)
	}
	return dir, nil
}

// LayerZip returns the shared layer's zip, or an error that says how to
// build it.
func (a Artifacts) LayerZip() (string, error) {
	path := a.Layer
	if path == "" {
		path = filepath.Join(filepath.Dir(filepath.Clean(a.Dir)), "layers", "shared.zip")
	}
	info, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		return "", fmt.Errorf("the shared layer %s is missing: run `make build` first", path)
	case err != nil:
		return "", err
	case info.IsDir() || info.Size() == 0:
		return "", fmt.Errorf("the shared layer %s is not a zip file: run `make clean build`", path)
	}
	return path, nil
}

// LambdaZip returns the path of a function's package, or an error that says
// how to build it when it is missing.
func (a Artifacts) LambdaZip(function string) (string, error) {
	path := filepath.Join(a.Dir, function+".zip")
	info, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		return "", fmt.Errorf("lambda package %s for function %q is missing: run `make build` first", path, function)
	case err != nil:
		return "", fmt.Errorf("lambda package %s: %w", path, err)
	case info.IsDir() || info.Size() == 0:
		return "", fmt.Errorf("lambda package %s is not a zip file: run `make clean build`", path)
	}
	return path, nil
}

// LambdaArchive returns the function's package as a Pulumi archive.
func (a Artifacts) LambdaArchive(function string) (pulumi.Archive, error) {
	path, err := a.LambdaZip(function)
	if err != nil {
		return nil, err
	}
	return pulumi.NewFileArchive(path), nil
}

// Packages returns the zip paths of several functions, by name.
func (a Artifacts) Packages(functions ...string) (map[string]string, error) {
	out := make(map[string]string, len(functions))
	for _, fn := range functions {
		path, err := a.LambdaZip(fn)
		if err != nil {
			return nil, err
		}
		out[fn] = path
	}
	return out, nil
}
