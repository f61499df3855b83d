package controlplane

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// On AWS the platform publishes usage plans for pooled tiers only; a silo
// tenant's plan comes with its own stack. Registration must still succeed,
// with the key on no plan, for tenantctl to put it on the silo plan.
func TestSiloRegistrationWithoutAPlatformPlan(t *testing.T) {
	f := newFixture(t)
	f.reg.Tiers = map[string]TierPlan{
		"basic":    {Deployment: tenancy.DeploymentPool},
		"platinum": {Deployment: tenancy.DeploymentSilo},
	}
	f.reg.PlanIDs = func(context.Context) (map[string]string, error) { return map[string]string{"basic": "plan-basic"}, nil }
	rec, err := f.reg.Register(context.Background(), reg("globex", "admin@globex.example", "platinum"))
	require.NoError(t, err, "a silo tier has no platform plan; registration must not wait for one")
	assert.Equal(t, registry.StatusProvisioning, rec.Status)
	require.NotEmpty(t, rec.APIKeyID, "tenantctl needs the key to put on the silo plan")
	assert.Equal(t, "", f.keys.live[rec.APIKeyID], "the silo key starts on no plan")

	_, err = f.reg.Register(context.Background(), reg("acme", "admin@acme.example", "basic"))
	require.NoError(t, err)
	f.reg.PlanIDs = func(context.Context) (map[string]string, error) { return map[string]string{}, nil }
	_, err = f.reg.Register(context.Background(), reg("initech", "admin@initech.example", "basic"))
	assert.ErrorIs(t, err, ErrUnavailable, "a pooled tier still needs its plan")
}
