package lambdabuild

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The module root, seen from this package's directory.
const root = "../.."

var fixture = []Function{{Name: "hello", Package: "./internal/lambdabuild/testdata/hello"}}

func TestBuildIsByteIdenticalAcrossBuilds(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	ra, err := Build(context.Background(), root, a, fixture)
	require.NoError(t, err)
	rb, err := Build(context.Background(), root, b, fixture)
	require.NoError(t, err)
	za, err := os.ReadFile(ra[0].Zip)
	require.NoError(t, err)
	zb, err := os.ReadFile(rb[0].Zip)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(za, zb), "two builds of unchanged code differ: every deploy would replace the function's code")
	assert.Equal(t, int64(len(za)), ra[0].Size)
}

func TestPackageHoldsOneArm64Bootstrap(t *testing.T) {
	out := t.TempDir()
	res, err := Build(context.Background(), root, out, fixture)
	require.NoError(t, err)
	require.Len(t, res, 1)
	assert.Equal(t, filepath.Join(out, "hello.zip"), res[0].Zip)

	zr, err := zip.OpenReader(res[0].Zip)
	require.NoError(t, err)
	defer zr.Close()
	require.Len(t, zr.File, 1, "the package must hold exactly one file")
	f := zr.File[0]
	assert.Equal(t, "bootstrap", f.Name, "provided.al2023 runs the file named bootstrap")
	assert.Equal(t, os.FileMode(0o755), f.Mode().Perm(), "bootstrap must be executable or Lambda cannot start it")
	assert.True(t, f.Modified.Equal(ZipTime), "a changing timestamp would change the code hash on every build")

	rc, err := f.Open()
	require.NoError(t, err)
	body, err := io.ReadAll(rc)
	require.NoError(t, err)
	exe, err := elf.NewFile(bytes.NewReader(body))
	require.NoError(t, err, "bootstrap is not an ELF executable")
	assert.Equal(t, elf.EM_AARCH64, exe.Machine, "functions run on arm64 (Graviton)")
	assert.Nil(t, exe.Section(".debug_info"), "-ldflags=-s -w must strip debug information")
	for _, imp := range mustImportedLibraries(t, exe) {
		t.Errorf("bootstrap links %s dynamically: build with CGO_ENABLED=0", imp)
	}
}

func mustImportedLibraries(t *testing.T, f *elf.File) []string {
	libs, err := f.ImportedLibraries()
	require.NoError(t, err)
	return libs
}

func TestUnchangedZipIsNotRewritten(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "exe")
	require.NoError(t, os.WriteFile(src, []byte("binary"), 0o755))
	zipPath := filepath.Join(dir, "f.zip")
	_, err := WriteZip(zipPath, map[string]string{"bootstrap": src})
	require.NoError(t, err)
	before, err := os.Stat(zipPath)
	require.NoError(t, err)
	old := before.ModTime().Add(-1e9 * 3600)
	require.NoError(t, os.Chtimes(zipPath, old, old))
	_, err = WriteZip(zipPath, map[string]string{"bootstrap": src})
	require.NoError(t, err)
	after, err := os.Stat(zipPath)
	require.NoError(t, err)
	assert.True(t, after.ModTime().Equal(old), "an identical package must be left alone")
}

func TestBuildReportsCompileErrors(t *testing.T) {
	_, err := Build(context.Background(), root, t.TempDir(), []Function{{Name: "missing", Package: "./internal/lambdabuild/testdata/nothing-here"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nothing-here")
}

func TestDiscoverFindsMainPackages(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "lambdas", "orders"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lambdas", "orders", "main.go"), []byte("package main\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "lambdas", "notes"), 0o755))
	fns, err := Discover(dir)
	require.NoError(t, err)
	assert.Equal(t, []Function{{Name: "orders", Package: "./lambdas/orders"}}, fns)

	none, err := Discover(t.TempDir())
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestLayerHoldsTheExtensionsAsExecutables(t *testing.T) {
	out := filepath.Join(t.TempDir(), "layer.zip")
	res, err := BuildLayer(context.Background(), root, out, []Function{{Name: "hello", Package: "./internal/lambdabuild/testdata/hello"}})
	require.NoError(t, err)
	zr, err := zip.OpenReader(res.Zip)
	require.NoError(t, err)
	defer zr.Close()
	require.Len(t, zr.File, 1)
	assert.Equal(t, "extensions/tenantforge-hello", zr.File[0].Name, "Lambda starts every executable under /opt/extensions")
	assert.Equal(t, os.FileMode(0o755), zr.File[0].Mode().Perm())
	exts, err := DiscoverExtensions(root)
	require.NoError(t, err)
	assert.Equal(t, []Function{{Name: "usage", Package: "./extensions/usage"}}, exts)
}
