package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/plannedenv"
)

func TestSetup(t *testing.T) {
	t.Setenv("REGISTRY_TABLE", "")
	_, err := setup()
	assert.ErrorContains(t, err, "REGISTRY_TABLE must be set")
	for k, v := range map[string]string{"REGISTRY_TABLE": "r", "USER_POOL_ID": "p", "APP_CLIENT_ID": "c", "EVENT_BUS": "b",
		"TIER_DEPLOYMENTS": "nope", "CONFIG_CACHE_SECONDS": "30",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s"} {
		t.Setenv(k, v)
	}
	_, err = setup()
	assert.ErrorContains(t, err, "TIER_DEPLOYMENTS must be a JSON map")
	t.Setenv("TIER_DEPLOYMENTS", `{"basic":"pool","platinum":"silo"}`)
	r, err := setup()
	require.NoError(t, err)
	assert.Equal(t, "registration", r.Service)
}

// The function starts with exactly the environment the repo's stacks give
// it, and reads every variable they set. Not proven: that the values name
// real resources (the plan's are synthesised).
func TestSetupTakesThePlannedEnvironment(t *testing.T) {
	plannedenv.Check(t, "../..", "registration", func() error { _, err := setup(); return err })
}
