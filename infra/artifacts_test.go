package infra

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLambdaZipMissingSaysToBuild(t *testing.T) {
	a := Artifacts{Dir: t.TempDir()}
	_, err := a.LambdaZip("orders")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "orders.zip")
	assert.Contains(t, err.Error(), "run `make build` first")
	_, err = a.LambdaArchive("orders")
	require.Error(t, err)
}

func TestLambdaZipEmptyOrDirectoryIsRejected(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty.zip"), nil, 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "dir.zip"), 0o755))
	for _, fn := range []string{"empty", "dir"} {
		_, err := Artifacts{Dir: dir}.LambdaZip(fn)
		require.Error(t, err, fn)
		assert.Contains(t, err.Error(), "make clean build")
	}
}

func TestLambdaZipFound(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "orders.zip"), []byte("PK"), 0o644))
	path, err := Artifacts{Dir: dir}.LambdaZip("orders")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "orders.zip"), path)
	archive, err := Artifacts{Dir: dir}.LambdaArchive("orders")
	require.NoError(t, err)
	assert.Equal(t, path, archive.Path())
}
