package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
)

// simCase is one IAM simulation for tests/iamsim/simulate.mjs.
type simCase struct {
	Name       string         `json:"name"`
	Simulation map[string]any `json:"simulation"`
	want       string
}

type simResult struct {
	Name   string `json:"name"`
	Result string `json:"result"`
	Errors any    `json:"errors"`
}

// simulate runs the cases through @cloud-copilot/iam-simulate (installed by
// `npm ci`, which `make test` runs) and checks each outcome.
func simulate(t *testing.T, cases []simCase) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(repoRoot, "node_modules", "@cloud-copilot", "iam-simulate")); err != nil {
		t.Fatalf("the IAM simulator is not installed: run `npm ci` in the repository root (make test does)")
	}
	in, err := json.Marshal(cases)
	require.NoError(t, err)
	cmd := exec.Command("node", "iamsim/simulate.mjs")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "simulator failed: %s", stderr.String())
	var results []simResult
	require.NoError(t, json.Unmarshal(out, &results))
	require.Len(t, results, len(cases))
	for i, r := range results {
		require.NotEqual(t, "Error", r.Result, "%s: the simulator rejected the request: %v", r.Name, r.Errors)
		assert.Equal(t, cases[i].want, r.Result, "%s", r.Name)
	}
}

const account = "123456789012"

func session(tenant string) string {
	return "arn:aws:sts::" + account + ":assumed-role/tenantforge-dev-tenant-access/tenant-" + tenant
}

// simRequest is the request of a simulation: principal calls action on
// resource in this account, with the context variables IAM would see
// (nil: none).
func simRequest(principal, action, resource string, ctx map[string]any) map[string]any {
	if ctx == nil {
		ctx = map[string]any{}
	}
	return map[string]any{
		"action":           action,
		"principal":        principal,
		"resource":         map[string]any{"accountId": account, "resource": resource},
		"contextVariables": ctx,
	}
}

// Isolation by IAM: a session tagged with tenant A reaches A's items and
// nothing else. Not proven here: that the functions really use these
// sessions for every access (the handler and local-stack suites check that).
func TestTenantSessionsReachOnlyTheirOwnItems(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	pooled := rec.Outputs[infra.OutPooledTableArn].(string)
	registry := rec.Outputs[infra.OutRegistryTableArn].(string)
	// The tenant access role's policy exactly as the program registers it.
	generated, err := find(t, rec, typeRolePol, "pool-access-data").PolicyInput("policy")
	require.NoError(t, err)
	tenantPolicy := map[string]any{"name": "tenant-data", "policy": generated}

	var cases []simCase
	add := func(name, want string, policies []any, req map[string]any) {
		cases = append(cases, simCase{Name: name, want: want, Simulation: map[string]any{"identityPolicies": policies, "request": req}})
	}
	tagA := func(keys ...string) map[string]any {
		return map[string]any{"aws:PrincipalTag/tenant_id": "acme", "dynamodb:LeadingKeys": keys}
	}
	for _, action := range []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"} {
		add("tenant A "+action+" on A's items", "Allowed", []any{tenantPolicy}, simRequest(session("acme"), action, pooled, tagA("acme")))
		add("tenant A "+action+" on B's items", "ImplicitlyDenied", []any{tenantPolicy}, simRequest(session("acme"), action, pooled, tagA("globex")))
		add("untagged session "+action, "ImplicitlyDenied", []any{tenantPolicy}, simRequest(session("acme"), action, pooled, map[string]any{"dynamodb:LeadingKeys": []string{"acme"}}))
	}
	add("tenant A batch read spanning A and B", "ImplicitlyDenied", []any{tenantPolicy}, simRequest(session("acme"), "dynamodb:BatchGetItem", pooled, tagA("acme", "globex")))
	add("tenant A Scan of the pooled table", "ImplicitlyDenied", []any{tenantPolicy}, simRequest(session("acme"), "dynamodb:Scan", pooled, tagA()))
	add("tenant A reads the registry", "ImplicitlyDenied", []any{tenantPolicy}, simRequest(session("acme"), "dynamodb:GetItem", registry, tagA("acme")))
	add("tenant A deletes the pooled table", "ImplicitlyDenied", []any{tenantPolicy}, simRequest(session("acme"), "dynamodb:DeleteTable", pooled, tagA()))
	add("tenant A describes the pooled table", "ImplicitlyDenied", []any{tenantPolicy}, simRequest(session("acme"), "dynamodb:DescribeTable", pooled, tagA()))

	// Every function's execution role on its own, with the policies the
	// program gives it, reaches no pooled item.
	for _, roleName := range []string{"pool-products-role", "pool-orders-role", "authorizer-fn-role"} {
		role := find(t, rec, typeRole, roleName)
		var execPolicies []any
		for _, p := range policiesOf(rec, role) {
			doc, err := p.PolicyInput("policy")
			require.NoError(t, err)
			execPolicies = append(execPolicies, map[string]any{"name": p.Name, "policy": doc})
		}
		require.Len(t, execPolicies, 2)
		for _, action := range []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan"} {
			add(roleName+" alone "+action+" on pooled items", "ImplicitlyDenied", execPolicies,
				simRequest(role.Output("arn").(string), action, pooled, map[string]any{"dynamodb:LeadingKeys": []string{"acme"}}))
		}
	}
	simulate(t, cases)
}

// Only the pooled functions' execution roles may assume the tenant access
// role, and only with exactly a tenant_id session tag.
func TestTenantRoleTrustNeedsTheTenantTag(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	access := find(t, rec, typeRole, "pool-access-role")
	trust, err := access.PolicyInput("assumeRolePolicy")
	require.NoError(t, err)
	tenantRoleArn := access.Output("arn").(string)
	poolRole := find(t, rec, typeRole, "pool-products-role").Output("arn").(string)
	otherRole := find(t, rec, typeRole, "authorizer-fn-role").Output("arn").(string)
	assumePolicy, err := find(t, rec, typeRolePol, "pool-products-assume-tenant-role").PolicyInput("policy")
	require.NoError(t, err)
	caller := map[string]any{"name": "assume-tenant-role", "policy": assumePolicy}
	assume := func(name, want, principal, action string, ctx map[string]any) simCase {
		return simCase{Name: name, want: want, Simulation: map[string]any{
			"identityPolicies": []any{caller},
			"resourcePolicy":   trust,
			"request":          simRequest(principal, action, tenantRoleArn, ctx),
		}}
	}
	tagged := map[string]any{"aws:RequestTag/tenant_id": "acme", "aws:TagKeys": []string{"tenant_id"}}
	simulate(t, []simCase{
		assume("pool role with the tenant tag", "Allowed", poolRole, "sts:AssumeRole", tagged),
		assume("pool role tags its session", "Allowed", poolRole, "sts:TagSession", tagged),
		assume("pool role without a tag", "ImplicitlyDenied", poolRole, "sts:AssumeRole", map[string]any{}),
		assume("pool role with an empty tenant tag", "ImplicitlyDenied", poolRole, "sts:AssumeRole", map[string]any{"aws:RequestTag/tenant_id": "", "aws:TagKeys": []string{"tenant_id"}}),
		assume("pool role adding another tag", "ImplicitlyDenied", poolRole, "sts:TagSession",
			map[string]any{"aws:RequestTag/tenant_id": "acme", "aws:RequestTag/role": "admin", "aws:TagKeys": []string{"tenant_id", "role"}}),
		assume("another role of the stack", "ImplicitlyDenied", otherRole, "sts:AssumeRole", tagged),
	})
}
