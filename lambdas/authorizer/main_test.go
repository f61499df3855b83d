package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/plannedenv"
)

func TestSetupNamesMissingSettings(t *testing.T) {
	t.Setenv("ISSUER_URL", "")
	t.Setenv("CLIENT_IDS", "")
	t.Setenv("REGISTRY_TABLE", "")
	_, err := setup(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ISSUER_URL, CLIENT_IDS and REGISTRY_TABLE must be set")
}

func TestSetupRejectsALongCache(t *testing.T) {
	t.Setenv("ISSUER_URL", "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x")
	t.Setenv("CLIENT_IDS", "client")
	t.Setenv("REGISTRY_TABLE", "registry")
	t.Setenv("DECISION_TTL_SECONDS", "300")
	_, err := setup(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DECISION_TTL_SECONDS")
}

func TestSetupBuildsTheAuthorizer(t *testing.T) {
	t.Setenv("ISSUER_URL", "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x")
	t.Setenv("CLIENT_IDS", "client")
	t.Setenv("REGISTRY_TABLE", "registry")
	t.Setenv("DECISION_TTL_SECONDS", "60")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	a, err := setup(context.Background())
	require.NoError(t, err)
	assert.NotNil(t, a)
}

// The function starts with exactly the environment the repo's stacks give
// it, and reads every variable they set. Not proven: that the values name
// real resources (the plan's are synthesised).
func TestSetupTakesThePlannedEnvironment(t *testing.T) {
	plannedenv.Check(t, "../..", "authorizer", func() error { _, err := setup(context.Background()); return err })
}
