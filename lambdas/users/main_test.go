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
	assert.ErrorContains(t, err, "REGISTRY_TABLE and USER_POOL_ID must be set")
	for k, v := range map[string]string{"REGISTRY_TABLE": "r", "USER_POOL_ID": "p", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s"} {
		t.Setenv(k, v)
	}
	r, err := setup()
	require.NoError(t, err)
	assert.Equal(t, "users", r.Service)
}

// The function starts with exactly the environment the repo's stacks give
// it, and reads every variable they set. Not proven: that the values name
// real resources (the plan's are synthesised).
func TestSetupTakesThePlannedEnvironment(t *testing.T) {
	plannedenv.Check(t, "../..", "users", func() error { _, err := setup(); return err })
}
