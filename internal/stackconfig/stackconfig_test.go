package stackconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const project = `name: demo
runtime: go
config:
  env: {type: string, default: dev}
  limits: {type: object, default: {rate: 1}}
  size: {type: integer, default: 3}
  name: {type: string}
`

func write(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	return dir
}

func TestLoadStackMergesDefaultsAndEncodesObjects(t *testing.T) {
	dir := write(t, map[string]string{
		"Pulumi.yaml": project,
		"Pulumi.dev.yaml": `config:
  aws:region: eu-west-1
  demo:name: shop
  demo:limits: {rate: 5, burst: 10}
  demo:token:
    secure: AAABAJ1
`,
	})
	p, err := LoadProject(dir)
	require.NoError(t, err)
	names, err := StackNames(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"dev"}, names)
	s, err := p.LoadStack(dir, "dev")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"aws:region":  "eu-west-1",
		"demo:name":   "shop",
		"demo:limits": `{"burst":10,"rate":5}`,
		"demo:token":  Secret,
		"demo:env":    "dev",
		"demo:size":   "3",
	}, s.Config)
	assert.Equal(t, []string{"demo:token"}, s.SecretKeys)
}

func TestLoadStackRejectsWrongTypesAndMissingRequiredKeys(t *testing.T) {
	dir := write(t, map[string]string{
		"Pulumi.yaml":       project,
		"Pulumi.bad.yaml":   "config:\n  demo:name: shop\n  demo:size: many\n",
		"Pulumi.short.yaml": "config:\n  demo:env: prod\n",
	})
	p, err := LoadProject(dir)
	require.NoError(t, err)
	_, err = p.LoadStack(dir, "bad")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "demo:size: the type is integer in Pulumi.yaml")
	_, err = p.LoadStack(dir, "short")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pulumi config set name <value> --stack short")
}

// Path keys become the top-level JSON objects the program receives, with
// the CLI's typing of leaves. Not proven: the Pulumi CLI itself (not here).
func TestAssemblePathsTypesLeavesAsTheCLIDoes(t *testing.T) {
	got, err := AssemblePaths(map[string]string{
		"aws:region":            "eu-west-1",
		"demo:tenant.id":        "acme",
		"demo:tenant.limits.on": "true",
		"demo:tenant.limits.n":  "5",
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"aws:region":  "eu-west-1",
		"demo:tenant": `{"id":"acme","limits":{"n":5,"on":true}}`,
	}, got, "a tenant stack would receive its settings with other types than the CLI stores")

	_, err = AssemblePaths(map[string]string{"demo:tenant.id": "acme", "demo:tenant.id.x": "1"})
	assert.ErrorContains(t, err, "id is set both as a value and as an object", "a clash must name the key, not panic")
}
