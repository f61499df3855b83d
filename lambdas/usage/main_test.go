package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/plannedenv"
)

func TestSetupNamesWhatIsMissing(t *testing.T) {
	t.Setenv("USAGE_TABLE", "")
	_, err := setup()
	assert.ErrorContains(t, err, "USAGE_TABLE, TENANTFORGE_METRICS_NAMESPACE and COST_TAG_KEY must be set")
	for k, v := range map[string]string{"USAGE_TABLE": "u", "TENANTFORGE_METRICS_NAMESPACE": "tenantforge", "COST_TAG_KEY": "tenant-id",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s"} {
		t.Setenv(k, v)
	}
	t.Setenv("USAGE_RETENTION_DAYS", "forever")
	_, err = setup()
	assert.ErrorContains(t, err, `USAGE_RETENTION_DAYS="forever" must be a positive number of days`)
	t.Setenv("USAGE_RETENTION_DAYS", "400")
	job, err := setup()
	require.NoError(t, err)
	assert.Equal(t, "u", job.Store.Table)
}

// The function starts with exactly the environment the repo's stacks give
// it, and reads every variable they set. Not proven: that the values name
// real resources (the plan's are synthesised).
func TestSetupTakesThePlannedEnvironment(t *testing.T) {
	plannedenv.Check(t, "../..", "usage", func() error { _, err := setup(); return err })
}
