package tests

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
)

// Every application function, pooled or silo, runs the usage extension of
// the one shared layer the platform publishes.
func TestEveryApplicationFunctionAttachesTheSharedLayer(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	layer := find(t, rec, "aws:lambda/layerVersion:LayerVersion", "layer-version")
	assert.Equal(t, []any{"provided.al2023"}, layer.Input("compatibleRuntimes"))
	assert.Equal(t, []any{"arm64"}, layer.Input("compatibleArchitectures"))
	assert.Equal(t, map[string]any{"archive": filepath.Join(filepath.Dir(packages.Dir), "layers", "shared.zip")}, layer.Input("code"))
	arn := layer.Output("arn")
	assert.Equal(t, arn, rec.Outputs[infra.OutLayerArn])
	for _, fn := range infra.AppFunctions {
		assert.Equal(t, []any{arn}, find(t, rec, typeLambda, "pool-"+fn).Input("layers"), "pool %s must run the usage extension", fn)
	}
	silo := run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"), map[string]map[string]any{"organization/tenantforge/dev": rec.Outputs})
	for _, fn := range infra.AppFunctions {
		assert.Equal(t, []any{arn}, find(t, silo, typeLambda, "silo-"+fn).Input("layers"), "silo %s must run the platform's layer", fn)
	}
}

func TestMissingLayerSaysToBuild(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "lambdas"), 0o755))
	for _, fn := range []string{"authorizer", "products", "orders", "registration", "tenants", "users"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "lambdas", fn+".zip"), []byte("PK"), 0o644))
	}
	rec, err := mockcloud.Run(mockcloud.Options{Project: "tenantforge", Stack: "dev", Config: stackConfig(t, "dev")},
		infra.Program(infra.Artifacts{Dir: filepath.Join(dir, "lambdas")}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "layers/shared.zip is missing: run `make build` first")
	assert.Empty(t, rec.Resources)
}
