package tenantctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/localdynamo"
	"github.com/tenantforge/tenantforge/internal/stackconfig"
	"github.com/tenantforge/tenantforge/shared/registry"
)

// fakeStacks is a Pulumi backend in memory: stacks, their config, and
// scripted failures of `up`.
type fakeStacks struct {
	mu      sync.Mutex
	stacks  map[string]map[string]string // stack -> config
	calls   []string
	upFails map[string][]error // stack -> errors returned by the next ups, in order
	planID  string
}

func newFakeStacks() *fakeStacks {
	return &fakeStacks{stacks: map[string]map[string]string{}, upFails: map[string][]error{}, planID: "plan-silo"}
}

func (f *fakeStacks) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeStacks) Ensure(_ context.Context, stack string) error {
	f.record("ensure " + stack)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.stacks[stack]; !ok {
		f.stacks[stack] = map[string]string{}
	}
	return nil
}

func (f *fakeStacks) SetConfig(_ context.Context, stack string, cfg map[string]string) error {
	f.record("config " + stack)
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.stacks[stack]
	if !ok {
		return fmt.Errorf("%w: %s", ErrStackNotFound, stack)
	}
	for k, v := range cfg {
		s[k] = v
	}
	return nil
}

func (f *fakeStacks) Up(_ context.Context, stack string) (map[string]any, error) {
	f.record("up " + stack)
	f.mu.Lock()
	defer f.mu.Unlock()
	if q := f.upFails[stack]; len(q) > 0 {
		f.upFails[stack] = q[1:]
		if q[0] != nil {
			return nil, q[0]
		}
	}
	cfg, ok := f.stacks[stack]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrStackNotFound, stack)
	}
	if cfg["tenantforge:tenant.id"] == "" {
		return map[string]any{"apiUrl": "https://platform.example/api"}, nil
	}
	return map[string]any{
		"apiUrl":       "https://" + cfg["tenantforge:tenant.id"] + ".execute-api.eu-west-1.amazonaws.com/api",
		"usagePlanIds": map[string]any{cfg["tenantforge:tenant.tier"]: f.planID},
	}, nil
}

func (f *fakeStacks) Destroy(_ context.Context, stack string) error {
	f.record("destroy " + stack)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.stacks[stack]; !ok {
		return fmt.Errorf("%w: %s", ErrStackNotFound, stack)
	}
	return nil
}

func (f *fakeStacks) Remove(_ context.Context, stack string) error {
	f.record("remove " + stack)
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.stacks, stack)
	return nil
}

type fakeKeys struct {
	mu       sync.Mutex
	attached map[string]string // key -> plan
}

func (k *fakeKeys) Attach(_ context.Context, planID, keyID string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.attached[keyID] = planID
	return nil
}

type fakeEvents struct {
	mu     sync.Mutex
	events []string
	fail   error
}

func (e *fakeEvents) Publish(_ context.Context, detailType string, detail any) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fail != nil {
		return e.fail
	}
	b, _ := json.Marshal(detail)
	e.events = append(e.events, detailType+" "+string(b))
	return nil
}

type harness struct {
	c      *Controller
	reg    *registry.Store
	stacks *fakeStacks
	keys   *fakeKeys
	events *fakeEvents
	sleeps []time.Duration
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	l := localdynamo.Start(nil)
	t.Cleanup(l.Close)
	require.NoError(t, l.CreateRegistryTable(context.Background(), "registry"))
	h := &harness{reg: registry.New(l.Client, "registry"), stacks: newFakeStacks(), keys: &fakeKeys{attached: map[string]string{}}, events: &fakeEvents{}}
	h.c = &Controller{
		Registry: h.reg, Stacks: h.stacks, Keys: h.keys, Events: h.events,
		Settings: Settings{PlatformStack: "myorg/tenantforge/dev", Region: "eu-west-1", Environment: "dev"},
		Retry:    Retry{Attempts: 4, Delay: time.Second},
		Sleep: func(_ context.Context, d time.Duration) error {
			h.sleeps = append(h.sleeps, d)
			return nil
		},
		Now: func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) },
	}
	return h
}

func (h *harness) tenant(t *testing.T, id, status string) {
	t.Helper()
	require.NoError(t, h.reg.Put(context.Background(), &registry.Record{
		TenantID: id, Name: "name-" + id, Tier: "platinum", Status: status, APIKeyID: "key-" + id,
		CreatedAt: "2026-12-01T00:00:00Z", UpdatedAt: "2026-12-01T00:00:00Z", Version: 1,
	}))
}

func (h *harness) get(t *testing.T, id string) *registry.Record {
	t.Helper()
	r, err := h.reg.Get(context.Background(), id)
	require.NoError(t, err)
	return r
}

func TestProvisionCreatesConfiguresAndActivates(t *testing.T) {
	h := newHarness(t)
	h.tenant(t, "acme", registry.StatusProvisioning)
	rec, err := h.c.Provision(context.Background(), "acme")
	require.NoError(t, err)

	stack := "myorg/tenantforge/dev-tenant-acme"
	assert.Equal(t, []string{"ensure " + stack, "config " + stack, "up " + stack}, h.stacks.calls)
	assert.Equal(t, map[string]string{
		"aws:region":                "eu-west-1",
		"tenantforge:environment":   "dev",
		"tenantforge:platformStack": "myorg/tenantforge/dev",
		"tenantforge:tenant.id":     "acme",
		"tenantforge:tenant.name":   "name-acme",
		"tenantforge:tenant.tier":   "platinum",
	}, h.stacks.stacks[stack], "the tenant stack's config is what infra.ParseConfig needs to build the silo")
	assert.Equal(t, map[string]string{"key-acme": "plan-silo"}, h.keys.attached, "the tenant's API key must be on its own stack's usage plan, or every request is refused")

	stored := h.get(t, "acme")
	assert.Equal(t, rec, stored)
	assert.Equal(t, registry.StatusActive, stored.Status, "a provisioned tenant must become active")
	assert.Equal(t, stack, stored.SiloStack)
	assert.Equal(t, "https://acme.execute-api.eu-west-1.amazonaws.com/api", stored.APIURL, "tenant-config serves this URL to the tenant's clients")
	assert.Equal(t, 2, stored.Version)
	require.Len(t, h.events.events, 1)
	assert.Equal(t, `TenantProvisioned {"tenantId":"acme","tenantName":"name-acme","tier":"platinum","deployment":"silo","stack":"`+stack+`","apiUrl":"https://acme.execute-api.eu-west-1.amazonaws.com/api"}`, h.events.events[0])

	// Idempotent: a second run selects the same stack and leaves the record as it was.
	again, err := h.c.Provision(context.Background(), "acme")
	require.NoError(t, err)
	assert.Len(t, h.stacks.stacks, 1, "a re-run must not create a second stack")
	assert.Equal(t, registry.StatusActive, again.Status)
	assert.Equal(t, stored.APIURL, again.APIURL)
}

func TestProvisionRetriesConcurrentUpdatesWithDoublingBackoff(t *testing.T) {
	h := newHarness(t)
	h.tenant(t, "acme", registry.StatusProvisioning)
	stack := h.c.StackName("acme")
	locked := fmt.Errorf("%w: conflict", ErrConcurrentUpdate)
	h.stacks.upFails[stack] = []error{locked, locked, locked}
	_, err := h.c.Provision(context.Background(), "acme")
	require.NoError(t, err, "three locked attempts out of four must still provision")
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, h.sleeps, "waits must double")
	assert.Equal(t, registry.StatusActive, h.get(t, "acme").Status)

	// Locked for longer than the retries last: a clear error and a failed tenant.
	h.tenant(t, "globex", registry.StatusProvisioning)
	h.stacks.upFails[h.c.StackName("globex")] = []error{locked, locked, locked, locked}
	_, err = h.c.Provision(context.Background(), "globex")
	require.ErrorIs(t, err, ErrConcurrentUpdate)
	assert.Contains(t, err.Error(), "after 4 attempts; wait for the other update to finish")
	rec := h.get(t, "globex")
	assert.Equal(t, registry.StatusProvisioningFailed, rec.Status, "a tenant whose stack never came up must not stay provisioning forever")
	assert.Contains(t, rec.Reason, "another update of the stack is in progress")
}

func TestProvisionDoesNotRetryOtherFailures(t *testing.T) {
	h := newHarness(t)
	h.tenant(t, "acme", registry.StatusProvisioning)
	h.stacks.upFails[h.c.StackName("acme")] = []error{errors.New("creating Lambda function: AccessDenied")}
	_, err := h.c.Provision(context.Background(), "acme")
	require.ErrorContains(t, err, "AccessDenied")
	assert.Empty(t, h.sleeps, "only a locked stack is worth waiting for")
	rec := h.get(t, "acme")
	assert.Equal(t, registry.StatusProvisioningFailed, rec.Status)
	assert.Contains(t, rec.Reason, "pulumi up: creating Lambda function: AccessDenied")
	require.Len(t, h.events.events, 1, "a failed stack publishes its failure and no TenantProvisioned")
	assert.True(t, strings.HasPrefix(h.events.events[0], EventProvisioningFailed+" "), h.events.events[0])
}

func TestProvisionRefusesUnknownDeletedAndKeylessTenants(t *testing.T) {
	h := newHarness(t)
	_, err := h.c.Provision(context.Background(), "nobody")
	assert.ErrorIs(t, err, ErrTenantNotFound)
	_, err = h.c.Provision(context.Background(), "../prod")
	assert.ErrorContains(t, err, "is not a tenant id", "an id that is no slug must never reach a stack name")

	h.tenant(t, "gone", registry.StatusDeleted)
	_, err = h.c.Provision(context.Background(), "gone")
	assert.ErrorIs(t, err, ErrTenantDeleted)
	assert.Empty(t, h.stacks.calls, "an offboarded tenant must not get a stack back")
	h.tenant(t, "leaving", registry.StatusOffboarding)
	_, err = h.c.Provision(context.Background(), "leaving")
	assert.ErrorIs(t, err, ErrTenantDeleted, "a late provisioning request must not revive a tenant being offboarded")
	assert.Empty(t, h.stacks.calls, "a tenant being offboarded must not get a stack back")

	require.NoError(t, h.reg.Put(context.Background(), &registry.Record{TenantID: "nokey", Name: "nokey", Tier: "platinum", Status: registry.StatusProvisioning, Version: 1}))
	_, err = h.c.Provision(context.Background(), "nokey")
	assert.ErrorIs(t, err, ErrNoAPIKey)
	assert.Equal(t, registry.StatusProvisioningFailed, h.get(t, "nokey").Status)
}

func TestFailedRerunOfAnActiveTenantKeepsItActive(t *testing.T) {
	h := newHarness(t)
	h.tenant(t, "acme", registry.StatusActive)
	h.stacks.upFails[h.c.StackName("acme")] = []error{errors.New("boom")}
	_, err := h.c.Provision(context.Background(), "acme")
	require.Error(t, err)
	rec := h.get(t, "acme")
	assert.Equal(t, registry.StatusActive, rec.Status, "a failed update must not take a working silo tenant offline")
	assert.Contains(t, rec.Reason, "boom")
}

func TestFailMarksProvisioningFailed(t *testing.T) {
	h := newHarness(t)
	h.tenant(t, "acme", registry.StatusProvisioning)
	rec, err := h.c.Fail(context.Background(), "acme", "CodeBuild build b-1 failed in phase BUILD")
	require.NoError(t, err)
	assert.Equal(t, registry.StatusProvisioningFailed, rec.Status)
	assert.Equal(t, "CodeBuild build b-1 failed in phase BUILD", h.get(t, "acme").Reason, "operators must see why")
	require.Len(t, h.events.events, 1, "the platform's provisioning-failures alarm counts this event")
	assert.True(t, strings.HasPrefix(h.events.events[0], EventProvisioningFailed+" "), h.events.events[0])
	assert.Contains(t, h.events.events[0], "b-1 failed")

	rec, err = h.c.Fail(context.Background(), "acme", "")
	require.NoError(t, err)
	assert.Equal(t, "the tenant deployer's build failed", rec.Reason)

	_, err = h.c.Fail(context.Background(), "nobody", "x")
	assert.ErrorIs(t, err, ErrTenantNotFound)
}

func TestDeprovisionDestroysRemovesAndClearsTheRecord(t *testing.T) {
	h := newHarness(t)
	h.tenant(t, "acme", registry.StatusProvisioning)
	_, err := h.c.Provision(context.Background(), "acme")
	require.NoError(t, err)
	rec := h.get(t, "acme")
	rec.Status = registry.StatusDeleted // offboarded by DELETE /tenants/{id}
	require.NoError(t, h.reg.Update(context.Background(), rec, rec.Version))

	h.stacks.calls = nil
	out, err := h.c.Deprovision(context.Background(), "acme")
	require.NoError(t, err)
	stack := "myorg/tenantforge/dev-tenant-acme"
	assert.Equal(t, []string{"destroy " + stack, "remove " + stack}, h.stacks.calls)
	assert.Empty(t, h.stacks.stacks, "the stack must be gone from the backend")
	stored := h.get(t, "acme")
	assert.Equal(t, out, stored)
	assert.Equal(t, registry.StatusDeleted, stored.Status, "an offboarded tenant stays deleted")
	assert.Empty(t, stored.SiloStack)
	assert.Empty(t, stored.APIURL, "tenant-config must not hand out the URL of a destroyed API")
	assert.Equal(t, "silo stack "+stack+" removed", stored.Reason)
	assert.Contains(t, h.events.events[len(h.events.events)-1], "TenantDeprovisioned ")

	// Again: the stack is already gone, which is fine.
	h.stacks.calls = nil
	_, err = h.c.Deprovision(context.Background(), "acme")
	require.NoError(t, err)
	assert.Equal(t, []string{"destroy " + stack}, h.stacks.calls)
}

func TestRolloutUpdatesPlatformThenWavesAndStopsAfterAFailedWave(t *testing.T) {
	h := newHarness(t)
	ids := []string{"tn1", "tn2", "tn3", "tn4", "tn5"}
	for _, id := range ids {
		h.tenant(t, id, registry.StatusProvisioning)
		_, err := h.c.Provision(context.Background(), id)
		require.NoError(t, err)
	}
	h.tenant(t, "pooled", registry.StatusActive) // no stack: not part of a rollout
	h.stacks.stacks["myorg/tenantforge/dev"] = map[string]string{}
	h.stacks.calls = nil
	h.stacks.upFails[h.c.StackName("tn3")] = []error{errors.New("quota exceeded")}

	rep, err := h.c.Rollout(context.Background(), 2)
	require.NoError(t, err)
	assert.Equal(t, "up myorg/tenantforge/dev", h.stacks.calls[0], "the platform stack must be updated before any tenant stack")
	assert.True(t, rep.Failed)
	got := map[string]string{}
	waves := map[string]int{}
	for _, r := range rep.Tenants {
		got[r.TenantID] = r.Outcome
		waves[r.TenantID] = r.Wave
	}
	assert.Equal(t, map[string]string{"tn1": OutcomeUpdated, "tn2": OutcomeUpdated, "tn3": OutcomeFailed, "tn4": OutcomeUpdated, "tn5": OutcomeSkipped}, got,
		"the wave with the failure finishes, the waves after it must not run")
	assert.Equal(t, map[string]int{"tn1": 1, "tn2": 1, "tn3": 2, "tn4": 2, "tn5": 0}, waves)
	for _, c := range h.stacks.calls {
		assert.NotContains(t, c, "dev-tenant-tn5", "a stack of a later wave was touched after a failed wave")
	}
	assert.Equal(t, registry.StatusActive, h.get(t, "tn3").Status, "a failed rollout of an active tenant leaves it active")

	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "rollout stopped: platform updated; tenant stacks: 3 updated, 1 failed, 1 skipped")
	assert.Contains(t, text.String(), "quota exceeded")
	var js bytes.Buffer
	require.NoError(t, rep.WriteJSON(&js))
	var decoded Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &decoded))
	assert.Equal(t, *rep, decoded)
}

func TestRolloutStopsWhenThePlatformFailsOrIsMissing(t *testing.T) {
	h := newHarness(t)
	h.tenant(t, "tn1", registry.StatusProvisioning)
	_, err := h.c.Provision(context.Background(), "tn1")
	require.NoError(t, err)
	h.stacks.calls = nil

	rep, err := h.c.Rollout(context.Background(), 3)
	require.NoError(t, err)
	assert.True(t, rep.Failed)
	assert.Equal(t, OutcomeFailed, rep.Platform.Outcome)
	assert.Contains(t, rep.Platform.Error, "stack not found in the Pulumi backend: myorg/tenantforge/dev; deploy the platform first")
	assert.Equal(t, OutcomeSkipped, rep.Tenants[0].Outcome, "tenant stacks must not update against a platform that did not")
	assert.Equal(t, []string{"up myorg/tenantforge/dev"}, h.stacks.calls)

	_, err = h.c.Rollout(context.Background(), 0)
	assert.ErrorContains(t, err, "wave size 0")
}

func TestSettingsNameTheMissingFlag(t *testing.T) {
	err := Settings{}.Validate()
	require.Error(t, err)
	for _, flag := range []string{"-platform-stack", "-region", "-environment"} {
		assert.True(t, strings.Contains(err.Error(), flag), "the error must name %s", flag)
	}
	assert.NoError(t, Settings{PlatformStack: "dev", Region: "eu-west-1", Environment: "dev"}.Validate())
}

// The config tenantctl sets, as the CLI stores it, is a valid tenant stack
// configuration with the platform's own tiers and sizes.
func TestTenantConfigIsAValidTenantStackWithThePlatformsTiers(t *testing.T) {
	h := newHarness(t)
	h.c.Settings.PlatformConfig = map[string]string{
		"tenantforge:tiers":            `{"free":{"deployment":"pool","rateLimit":1,"burstLimit":2,"quotaPerDay":100},"gold":{"deployment":"silo","rateLimit":50,"burstLimit":100,"quotaPerDay":100000,"reservedConcurrency":5}}`,
		"tenantforge:functions":        `{"memoryMb":512,"timeoutSeconds":20}`,
		"tenantforge:logRetentionDays": "60",
		"tenantforge:identity":         `{"advancedSecurity":"OFF","idTokenMinutes":60,"refreshTokenDays":30,"authorizerCacheSeconds":30}`,
	}
	rec := &registry.Record{TenantID: "acme", Name: "acme", Tier: "gold"}
	flat, err := h.c.TenantConfig(rec)
	require.NoError(t, err)
	assert.Equal(t, "silo", flat["tenantforge:tiers.gold.deployment"])
	raw, err := stackconfig.AssemblePaths(flat)
	require.NoError(t, err)
	cfg, err := infra.ParseConfig("tenantforge", h.c.StackName("acme"), infra.ConfigFrom(raw))
	require.NoError(t, err, "the tenant stack's pulumi up would fail validation")
	assert.Equal(t, &infra.TenantConfig{ID: "acme", Name: "acme", Tier: "gold"}, cfg.Tenant)
	assert.Equal(t, 5, *cfg.Tiers["gold"].ReservedConcurrency, "a silo tier only the platform defines must reach the tenant stack")
	assert.Equal(t, infra.FunctionsConfig{MemoryMB: 512, TimeoutSeconds: 20}, cfg.Functions)
	assert.Equal(t, 60, cfg.LogRetentionDays)
	assert.Equal(t, 30, cfg.Identity.AuthorizerCacheSeconds)
	assert.Equal(t, "myorg/tenantforge/dev", cfg.PlatformStack)

	assert.Equal(t, "tenantforge", cfg.Observability.Namespace, "no namespace inherited: the default, as on the platform")

	// A platform with its own metrics namespace: the silo stack's functions
	// must emit there, or the platform's dashboard, alarms and daily usage
	// records never see the silo tenant.
	inherited, err := Inherit(map[string]string{
		"tenantforge:tiers":         h.c.Settings.PlatformConfig["tenantforge:tiers"],
		"tenantforge:observability": `{"namespace":"acme-prod","topTenants":5,"thresholds":{"api5xxPercent":0.5},"activateCostTag":true}`,
		"tenantforge:cicd":          `{"repository":"acme/saas","branch":"main","approval":true,"canary":"CodeDeployDefault.LambdaLinear10PercentEvery10Minutes"}`,
	}, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"tenantforge:tiers": h.c.Settings.PlatformConfig["tenantforge:tiers"], "tenantforge:observability.namespace": "acme-prod",
		"tenantforge:cicd.canary": "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes"}, inherited,
		"only the namespace of the observability settings and the canary of the pipeline's are shared (cost tag activation, the ranking and the pipeline are the platform's)")
	h.c.Settings.PlatformConfig = inherited
	flat, err = h.c.TenantConfig(rec)
	require.NoError(t, err)
	raw, err = stackconfig.AssemblePaths(flat)
	require.NoError(t, err)
	cfg, err = infra.ParseConfig("tenantforge", h.c.StackName("acme"), infra.ConfigFrom(raw))
	require.NoError(t, err)
	assert.Equal(t, "acme-prod", cfg.Observability.Namespace, "the silo tenant's metrics would land outside the platform's namespace")
	assert.Equal(t, "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes", cfg.CICD.Canary, "the pipeline would release the silo tenant's functions with another canary than the platform's")
	assert.False(t, cfg.CICD.PipelineEnabled(), "a tenant stack never builds a pipeline")
	_, err = Inherit(map[string]string{"tenantforge:tiers": "{}"}, []string{"tenantforge:tiers"})
	assert.ErrorContains(t, err, "tenantforge:tiers is a secret")

	h.c.Settings.PlatformConfig["tenantforge:tiers"] = `{"gold":{"deployment":"silo","rateLimit":1.5,"burstLimit":2,"quotaPerDay":100}}`
	_, err = h.c.TenantConfig(rec)
	assert.ErrorContains(t, err, "tenantforge:tiers.gold.rateLimit is 1.5", "a fractional rate would arrive as a string and fail later, less clearly")
}
