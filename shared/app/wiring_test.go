package app

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreFromEnvNamesWhatIsMissing(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	for _, tc := range []struct{ table, tenancy, role, tenant, want string }{
		{"", "pool", "arn", "", "TABLE_NAME must be set"},
		{"t", "", "", "", `TENANCY="" must be pool or silo`},
		{"t", "pool", "", "", "TENANT_ROLE_ARN must be set when TENANCY=pool"},
		{"t", "silo", "", "", `TENANT_ID="" must be the silo tenant's id`},
	} {
		t.Setenv("TABLE_NAME", tc.table)
		t.Setenv("TENANCY", tc.tenancy)
		t.Setenv("TENANT_ROLE_ARN", tc.role)
		t.Setenv("TENANT_ID", tc.tenant)
		_, err := StoreFromEnv(context.Background())
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
	t.Setenv("TABLE_NAME", "t")
	t.Setenv("TENANCY", "silo")
	t.Setenv("TENANT_ID", "acme")
	s, err := StoreFromEnv(context.Background())
	require.NoError(t, err)
	assert.NotNil(t, s)
}
