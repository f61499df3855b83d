package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Bad invocations stop before anything reaches AWS or Pulumi, with a
// message naming the flag or argument to fix.
func TestUsageErrorsNameTheFix(t *testing.T) {
	t.Setenv("REGISTRY_TABLE", "")
	t.Setenv("EVENT_BUS", "")
	t.Setenv("PLATFORM_STACK", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("ENVIRONMENT", "")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"usage: tenantctl <command>"}},
		{[]string{"launch"}, []string{`unknown command "launch"`}},
		{[]string{"provision"}, []string{"give exactly one tenant id"}},
		{[]string{"deprovision", "a", "b"}, []string{"give exactly one tenant id"}},
		{[]string{"rollout", "-output", "yaml"}, []string{"-output is text or json"}},
		{[]string{"provision", "acme"}, []string{"-registry-table (REGISTRY_TABLE)", "-event-bus (EVENT_BUS)", "-platform-stack (PLATFORM_STACK)", "-region (AWS_REGION)", "-environment (ENVIRONMENT)"}},
		{[]string{"fail", "-registry-table", "", "acme"}, []string{"-registry-table (REGISTRY_TABLE)"}},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, &stdout, &stderr)
		assert.Equal(t, 2, code, "%v must be a usage error", c.args)
		for _, w := range c.want {
			assert.Contains(t, stderr.String(), w, "%v", c.args)
		}
		assert.Empty(t, stdout.String())
	}
}

func TestPlatformConfigComesFromThePlatformStackFile(t *testing.T) {
	got, err := platformConfig("../..", "myorg/tenantforge/dev")
	if assert.NoError(t, err) {
		assert.Equal(t, "14", got["tenantforge:logRetentionDays"], "Pulumi.dev.yaml sets 14 days")
		assert.Contains(t, got["tenantforge:tiers"], `"platinum"`)
		assert.Contains(t, got, "tenantforge:functions", "a key the file leaves out comes from Pulumi.yaml's default")
		assert.Equal(t, "tenantforge", got["tenantforge:observability.namespace"],
			"silo stacks must emit their per-tenant metrics into the namespace the platform's dashboard and usage function read")
		assert.Equal(t, "CodeDeployDefault.LambdaCanary10Percent5Minutes", got["tenantforge:cicd.canary"], "silo releases must use the platform's canary")
	}
	_, err = platformConfig("../..", "myorg/tenantforge/staging")
	assert.ErrorContains(t, err, "Pulumi.staging.yaml", "the error must name the missing stack file")
}
