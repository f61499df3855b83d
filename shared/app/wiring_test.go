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

// The control-plane functions refuse to start without their settings and
// name the one missing. Not proven: which variables each function needs
// (their main tests and plannedenv.Check hold that).
func TestRequireEnvAndTierDeployments(t *testing.T) {
	t.Setenv("A_SETTING", "a")
	t.Setenv("B_SETTING", "")
	_, err := RequireEnv("A_SETTING", "B_SETTING")
	assert.EqualError(t, err, "B_SETTING must be set", "a function without B_SETTING would start and fail on its first request")
	t.Setenv("B_SETTING", "b")
	got, err := RequireEnv("A_SETTING", "B_SETTING")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"A_SETTING": "a", "B_SETTING": "b"}, got)

	for _, bad := range []string{"pool", "{}", `{"basic":1}`} {
		_, err := TierDeployments(bad)
		assert.ErrorContains(t, err, "TIER_DEPLOYMENTS must be a JSON map of tier to pool or silo", "TIER_DEPLOYMENTS=%s", bad)
	}
	d, err := TierDeployments(`{"basic":"pool","platinum":"silo"}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"basic": "pool", "platinum": "silo"}, d)
}
