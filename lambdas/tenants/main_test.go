package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/plannedenv"
)

func TestSetup(t *testing.T) {
	env := map[string]string{
		"REGISTRY_TABLE": "r", "USER_POOL_ID": "p", "POOLED_TABLE": "d", "EVENT_BUS": "b", "TIER_DEPLOYMENTS": `{"basic":"pool"}`, "USAGE_TABLE": "u",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s",
	}
	for _, missing := range []string{"REGISTRY_TABLE", "USER_POOL_ID", "POOLED_TABLE", "EVENT_BUS", "TIER_DEPLOYMENTS", "USAGE_TABLE"} {
		for k, v := range env {
			t.Setenv(k, v)
		}
		t.Setenv(missing, "")
		_, err := setup()
		assert.EqualError(t, err, missing+" must be set", "a function without %s must not start", missing)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("TIER_DEPLOYMENTS", "pool")
	_, err := setup()
	assert.ErrorContains(t, err, "TIER_DEPLOYMENTS must be a JSON map")
	t.Setenv("TIER_DEPLOYMENTS", `{"basic":"pool"}`)
	r, err := setup()
	require.NoError(t, err)
	assert.Equal(t, "tenants", r.Service)
}

// The function starts with exactly the environment the repo's stacks give
// it, and reads every variable they set. Not proven: that the values name
// real resources (the plan's are synthesised).
func TestSetupTakesThePlannedEnvironment(t *testing.T) {
	plannedenv.Check(t, "../..", "tenants", func() error { _, err := setup(); return err })
}
