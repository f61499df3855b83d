package tests

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/stackconfig"
	"github.com/tenantforge/tenantforge/internal/tenantctl"
	"github.com/tenantforge/tenantforge/shared/controlplane"
	"github.com/tenantforge/tenantforge/shared/registry"
)

// The lifecycle events' detail types agree between their producers (the
// control plane, tenantctl) and their consumers (the deployer's rules,
// observability's rules and alarms). make dev's local bus is held to the
// deployer's events in internal/devstack. Not proven: that EventBridge
// delivers them (no AWS here).
func TestLifecycleEventNamesAgreeAcrossProducersAndConsumers(t *testing.T) {
	assert.Equal(t, []string{controlplane.EventDeprovisioningRequested, controlplane.EventProvisioningRequested},
		slices.Sorted(maps.Keys(infra.DeployerActions)), "the deployer's rules must match the events the control plane publishes, or no silo stack is ever built or removed")
	assert.Equal(t, "provision", infra.DeployerActions[controlplane.EventProvisioningRequested])
	assert.Equal(t, "deprovision", infra.DeployerActions[controlplane.EventDeprovisioningRequested])
	assert.Equal(t, tenantctl.EventProvisioned, infra.EventTenantProvisioned, "the provisioned-tenants rule would count nothing tenantctl publishes")
	assert.Equal(t, tenantctl.EventProvisioningFailed, infra.EventTenantProvisioningFailed, "the provisioning-failures alarm would never fire")
}

// What a tenant stack reads from its platform stack (PlatformRef) is
// exported by the platform stack whether or not it has a pipeline (some
// outputs exist only with cicd.repository), and the tenant stack exports
// what tenantctl reads after `pulumi up`. Not proven: that a real backend
// serves the outputs (the mock hands them over).
func TestTenantStacksFindThePlatformsOutputsWithAndWithoutAPipeline(t *testing.T) {
	for _, c := range []struct {
		name     string
		override []string
	}{
		{"with a pipeline", nil},
		{"without a pipeline", []string{"cicd", `{"repository":"","branch":"main"}`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			platform := run(t, "dev", stackConfig(t, "dev", c.override...), nil)
			_, pipeline := platform.Outputs[infra.OutPipelineName]
			require.Equal(t, c.override == nil, pipeline, "the case must exercise the platform %s", c.name)
			refs := map[string]map[string]any{"organization/tenantforge/dev": platform.Outputs}
			tenant, err := tryRun("dev-tenant-example", stackConfig(t, "dev-tenant-example"), refs)
			require.NoError(t, err, "a silo stack could not be deployed on a platform %s", c.name)
			assert.NotEmpty(t, tenant.Outputs[tenantctl.OutAPIURL], "tenantctl records the silo API's URL from this output")
			plans, _ := tenant.Outputs[tenantctl.OutUsagePlanIDs].(map[string]any)
			assert.NotEmpty(t, plans["platinum"], "tenantctl puts the tenant's API key on its tier's plan from this output; without it provisioning fails")
			boundary := find(t, tenant, typeRole, "silo-orders-role").Input("permissionsBoundary")
			if pipeline {
				assert.Equal(t, platform.Outputs[infra.OutSiloBoundaryArn], boundary, "silo roles must carry the deployer's boundary")
			} else {
				assert.Empty(t, boundary, "without a deployer there is no boundary to carry")
			}
		})
	}
}

// The example tenant stack file is what tenantctl writes for a silo tenant
// of the dev platform: the program sees the same configuration, so `make
// plan` and the goldens show a silo stack as the deployer builds it. Not
// proven: how the Pulumi CLI stores path keys (assembleConfig follows its
// documented rules).
func TestExampleTenantStackIsWhatTenantctlWrites(t *testing.T) {
	project, err := stackconfig.LoadProject(repoRoot)
	require.NoError(t, err)
	platform, err := project.LoadStack(repoRoot, "dev")
	require.NoError(t, err)
	inherited, err := tenantctl.Inherit(platform.Config, platform.SecretKeys)
	require.NoError(t, err)
	example := stackConfig(t, "dev-tenant-example")
	c := &tenantctl.Controller{Settings: tenantctl.Settings{
		PlatformStack: example["tenantforge:platformStack"], Region: platform.Config["aws:region"],
		Environment: platform.Config["tenantforge:environment"], PlatformConfig: inherited,
	}}
	flat, err := c.TenantConfig(&registry.Record{TenantID: "example", Name: "example", Tier: "platinum"})
	require.NoError(t, err)
	written := assembleConfig(t, flat)
	get := func(m map[string]string) infra.ConfigGetter {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	want, err := infra.ParseConfig("tenantforge", "dev-tenant-example", get(written))
	require.NoError(t, err, "tenantctl writes a tenant stack config that fails validation")
	got, err := infra.ParseConfig("tenantforge", "dev-tenant-example", get(example))
	require.NoError(t, err)
	assert.Equal(t, want, got, "Pulumi.dev-tenant-example.yaml differs from what tenantctl writes: the plan shows a silo stack the deployer never builds")
}

// assembleConfig turns path keys as tenantctl sets them into top-level keys
// as the program receives them: the CLI stores a leaf that reads as an
// integer or boolean with that type, every other leaf as a string.
func assembleConfig(t *testing.T, flat map[string]string) map[string]string {
	t.Helper()
	objects := map[string]map[string]any{}
	out := map[string]string{}
	for k, v := range flat {
		top, path, nested := strings.Cut(k, ".")
		if !nested {
			out[k] = v
			continue
		}
		if objects[top] == nil {
			objects[top] = map[string]any{}
		}
		node := objects[top]
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			if node[p] == nil {
				node[p] = map[string]any{}
			}
			node = node[p].(map[string]any)
		}
		var typed any = v
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			typed = n
		} else if b, err := strconv.ParseBool(v); err == nil {
			typed = b
		}
		node[parts[len(parts)-1]] = typed
	}
	for k, obj := range objects {
		b, err := json.Marshal(obj)
		require.NoError(t, err)
		out[k] = string(b)
	}
	return out
}
