// Package tenantctl provisions, updates and removes silo tenants' Pulumi
// stacks and keeps the tenant registry in step. The Pulumi Automation API
// sits behind the Stacks interface, so the orchestration here (naming,
// configuration, retries, waves, registry updates) is tested without a
// Pulumi CLI; PulumiStacks is the real implementation.
package tenantctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// Errors of the Stacks implementations and of the controller.
var (
	// ErrConcurrentUpdate means another update holds the stack's lock.
	ErrConcurrentUpdate = errors.New("another update of the stack is in progress")
	// ErrStackNotFound means the backend has no such stack.
	ErrStackNotFound = errors.New("stack not found in the Pulumi backend")
	// ErrTenantNotFound means the registry has no such tenant.
	ErrTenantNotFound = errors.New("tenant not found in the registry")
	// ErrTenantDeleted means the tenant was offboarded; it gets no stack.
	ErrTenantDeleted = errors.New("tenant is deleted")
	// ErrNoAPIKey means registration left the tenant without an API key.
	ErrNoAPIKey = errors.New("tenant has no API key")
	// ErrBadOutputs means the tenant stack did not export what tenantctl needs.
	ErrBadOutputs = errors.New("tenant stack outputs incomplete")
)

// Stacks is the part of the Pulumi Automation API tenantctl uses. Stack
// names are as the backend knows them (short or org/project/stack).
type Stacks interface {
	// Ensure creates the stack, or selects it if it exists.
	Ensure(ctx context.Context, stack string) error
	// SetConfig sets the stack's config; keys are paths
	// ("tenantforge:tenant.id").
	SetConfig(ctx context.Context, stack string, config map[string]string) error
	// Up deploys the stack and returns its outputs. ErrStackNotFound if the
	// stack does not exist, ErrConcurrentUpdate if it is locked.
	Up(ctx context.Context, stack string) (map[string]any, error)
	// Destroy deletes the stack's resources (not the stack).
	Destroy(ctx context.Context, stack string) error
	// Remove deletes the (empty) stack from the backend.
	Remove(ctx context.Context, stack string) error
}

// UsagePlanKeys puts API keys on usage plans.
type UsagePlanKeys interface {
	// Attach puts the key on the plan; a key already on it is fine.
	Attach(ctx context.Context, planID, keyID string) error
}

// Events publishes tenant lifecycle events (controlplane.EventBus).
type Events interface {
	Publish(ctx context.Context, detailType string, detail any) error
}

// Settings are what every tenant stack of one platform shares.
type Settings struct {
	// PlatformStack is the platform stack as the backend names it; tenant
	// stacks read it through a StackReference, so on Pulumi Cloud it is
	// org/tenantforge/<stack> and on a self-managed backend
	// organization/tenantforge/<stack>.
	PlatformStack string
	Region        string
	Environment   string
	// PlatformConfig are the platform stack's values of InheritedKeys, as
	// the program receives them (objects as JSON); tenant stacks get the
	// same, so they see the same tiers and sizes.
	PlatformConfig map[string]string
}

// InheritedKeys are the platform stack's config keys a tenant stack must
// share: the tiers (the tenant's tier is looked up there), what sizes the
// silo functions, their logs and the authorizer cache, the namespace of
// the per-tenant metrics (the silo functions emit into it; the platform's
// dashboard, alarms and daily usage function read it) and the CodeDeploy
// configuration every release uses (the pipeline releases the silo stacks
// too). A key with a path ("tenantforge:observability.namespace") is one
// field of an object.
var InheritedKeys = []string{"tenantforge:tiers", "tenantforge:functions", "tenantforge:logRetentionDays", "tenantforge:identity",
	"tenantforge:observability.namespace", "tenantforge:cicd.canary"}

// Inherit picks InheritedKeys out of the platform stack's config (top-level
// keys, objects as JSON, as the program receives it; secretKeys are the
// keys the stack file keeps secret). A key the config lacks is left out.
func Inherit(config map[string]string, secretKeys []string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range InheritedKeys {
		top, path, nested := strings.Cut(k, ".")
		if slices.Contains(secretKeys, top) {
			return nil, fmt.Errorf("platform config %s is a secret; tenant stacks inherit it in plaintext, so it must not be one", top)
		}
		raw, ok := config[top]
		if !ok {
			continue
		}
		if !nested {
			out[k] = raw
			continue
		}
		var node any
		if err := json.Unmarshal([]byte(raw), &node); err != nil {
			return nil, fmt.Errorf("platform config %s is not a JSON object: %w", top, err)
		}
		for _, p := range strings.Split(path, ".") {
			obj, _ := node.(map[string]any)
			node = obj[p]
		}
		switch v := node.(type) {
		case nil:
		case string:
			out[k] = v
		default:
			return nil, fmt.Errorf("platform config %s is %v; tenant stacks inherit it as a string", k, v)
		}
	}
	return out, nil
}

// Retry is the policy for concurrent-update errors: Attempts tries, the
// first wait Delay, doubling after each.
type Retry struct {
	Attempts int
	Delay    time.Duration
}

// Controller carries out tenantctl's commands.
type Controller struct {
	Registry *registry.Store
	Stacks   Stacks
	Keys     UsagePlanKeys
	Events   Events
	Settings Settings
	Retry    Retry
	// Sleep waits between retries (time.After by default; tests replace it).
	Sleep  func(ctx context.Context, d time.Duration) error
	Now    func() time.Time
	Logger *slog.Logger
}

// Lifecycle events tenantctl publishes.
const (
	EventProvisioned   = "TenantProvisioned"
	EventDeprovisioned = "TenantDeprovisioned"
	// EventProvisioningFailed is published when a silo tenant's first
	// deployment fails (the platform's dashboard and alarm count it).
	EventProvisioningFailed = "TenantProvisioningFailed"
)

// StackEvent is the detail of TenantProvisioned and TenantDeprovisioned.
type StackEvent struct {
	TenantID   string `json:"tenantId"`
	TenantName string `json:"tenantName"`
	Tier       string `json:"tier"`
	Deployment string `json:"deployment"`
	Stack      string `json:"stack"`
	APIURL     string `json:"apiUrl,omitempty"`
	// Reason says why a deployment failed (TenantProvisioningFailed).
	Reason string `json:"reason,omitempty"`
}

// Output names of a tenant stack tenantctl reads (infra/outputs.go).
const (
	OutAPIURL       = "apiUrl"
	OutUsagePlanIDs = "usagePlanIds"
)

// StackName is the stack of a tenant of this platform.
func (c *Controller) StackName(tenantID string) string {
	return tenancy.SiloStackName(c.Settings.PlatformStack, tenantID)
}

// TenantConfig is the config tenantctl sets on a tenant's stack, as path
// keys ("tenantforge:tenant.id"): the CLI keeps objects typed only when they
// are set path by path.
func (c *Controller) TenantConfig(r *registry.Record) (map[string]string, error) {
	out := map[string]string{
		"aws:region":                c.Settings.Region,
		"tenantforge:environment":   c.Settings.Environment,
		"tenantforge:platformStack": c.Settings.PlatformStack,
		"tenantforge:tenant.id":     r.TenantID,
		"tenantforge:tenant.name":   r.Name,
		"tenantforge:tenant.tier":   r.Tier,
	}
	for _, k := range InheritedKeys {
		raw, ok := c.Settings.PlatformConfig[k]
		if !ok {
			continue
		}
		if err := flatten(k, raw, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// flatten turns a config value into path keys: a JSON object into one key
// per leaf, anything else into itself. The CLI stores a path value that
// reads as an integer or a boolean with that type and every other value as
// a string, so a fractional number could not arrive as a number: it is
// refused here, naming the key.
func flatten(key, raw string, out map[string]string) error {
	trimmed := strings.TrimSpace(raw)
	if !strings.HasPrefix(trimmed, "{") {
		out[key] = raw
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("platform config %s is not a JSON object: %w", key, err)
	}
	var walk func(path string, v any) error
	walk = func(path string, v any) error {
		switch t := v.(type) {
		case map[string]any:
			for k, child := range t {
				if err := walk(path+"."+k, child); err != nil {
					return err
				}
			}
		case json.Number:
			if _, err := strconv.ParseInt(t.String(), 10, 64); err != nil {
				return fmt.Errorf("platform config %s is %s; tenant stacks can only inherit whole numbers (the Pulumi CLI would store it as a string): use an integer", path, t)
			}
			out[path] = t.String()
		case bool:
			out[path] = strconv.FormatBool(t)
		case string:
			if _, err := strconv.ParseInt(t, 10, 64); err == nil || t == "true" || t == "false" {
				return fmt.Errorf("platform config %s is the string %q, which a tenant stack would receive as a number or boolean", path, t)
			}
			out[path] = t
		case nil:
		default:
			return fmt.Errorf("platform config %s holds a list; tenant stacks inherit objects of numbers, booleans and strings only", path)
		}
		return nil
	}
	return walk(key, v)
}

// Validate checks the settings and names the flag that fixes each problem.
func (s Settings) Validate() error {
	var problems []error
	if s.PlatformStack == "" {
		problems = append(problems, errors.New("-platform-stack (PLATFORM_STACK) is empty; set the platform stack as the backend names it, e.g. myorg/tenantforge/dev"))
	}
	if s.Region == "" {
		problems = append(problems, errors.New("-region (AWS_REGION) is empty; set the platform's region, e.g. eu-west-1"))
	}
	if s.Environment == "" {
		problems = append(problems, errors.New("-environment (ENVIRONMENT) is empty; set the platform's environment, e.g. dev"))
	}
	return errors.Join(problems...)
}

// Provision creates or updates the tenant's stack, puts the tenant's API
// key on the stack's usage plan and records the stack and its API URL; a
// tenant still waiting for its stack becomes active. Running it again does
// the same work again and changes nothing that is already right. A failure
// of a tenant not yet active marks it provisioning_failed with the reason.
func (c *Controller) Provision(ctx context.Context, tenantID string) (*registry.Record, error) {
	rec, err := c.get(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	switch rec.Status {
	case registry.StatusDeleted:
		return nil, fmt.Errorf("provision %s: %w; a deleted tenant gets no stack", tenantID, ErrTenantDeleted)
	case registry.StatusOffboarding:
		// A provisioning request that arrives late must not bring back a
		// tenant that offboarding is taking apart.
		return nil, fmt.Errorf("provision %s: %w; a tenant being offboarded gets no stack", tenantID, ErrTenantDeleted)
	}
	stack := c.StackName(tenantID)
	apiURL, err := c.deploy(ctx, rec, stack)
	if err != nil {
		err = fmt.Errorf("provision %s (stack %s): %w", tenantID, stack, err)
		c.markFailed(ctx, tenantID, err.Error())
		return nil, err
	}
	rec, err = c.modify(ctx, tenantID, func(r *registry.Record) {
		r.SiloStack, r.APIURL, r.Reason = stack, apiURL, ""
		if r.Status == registry.StatusProvisioning || r.Status == registry.StatusProvisioningFailed {
			r.Status = registry.StatusActive
		}
	})
	if err != nil {
		return nil, fmt.Errorf("provision %s: the stack is up but the registry was not updated (run provision again): %w", tenantID, err)
	}
	ev := StackEvent{TenantID: rec.TenantID, TenantName: rec.Name, Tier: rec.Tier, Deployment: tenancy.DeploymentSilo, Stack: stack, APIURL: apiURL}
	if err := c.Events.Publish(ctx, EventProvisioned, ev); err != nil {
		return rec, fmt.Errorf("provision %s: the tenant is active but %s was not published (run provision again): %w", tenantID, EventProvisioned, err)
	}
	c.logger().InfoContext(ctx, "tenant provisioned", "tenant_id", tenantID, "stack", stack, "api_url", apiURL)
	return rec, nil
}

// deploy brings the stack up and the key onto its plan; it returns the
// stack's API URL.
func (c *Controller) deploy(ctx context.Context, rec *registry.Record, stack string) (string, error) {
	if rec.APIKeyID == "" {
		return "", fmt.Errorf("%w: registration creates one; register the tenant again or create a key named tenant-%s", ErrNoAPIKey, rec.TenantID)
	}
	if err := c.retry(ctx, "creating or selecting the stack", func() error { return c.Stacks.Ensure(ctx, stack) }); err != nil {
		return "", err
	}
	config, err := c.TenantConfig(rec)
	if err != nil {
		return "", err
	}
	if err := c.retry(ctx, "setting the stack's config", func() error { return c.Stacks.SetConfig(ctx, stack, config) }); err != nil {
		return "", err
	}
	var outputs map[string]any
	if err := c.retry(ctx, "pulumi up", func() error {
		var err error
		outputs, err = c.Stacks.Up(ctx, stack)
		return err
	}); err != nil {
		return "", err
	}
	apiURL, _ := outputs[OutAPIURL].(string)
	plans, _ := outputs[OutUsagePlanIDs].(map[string]any)
	planID, _ := plans[rec.Tier].(string)
	if apiURL == "" || planID == "" {
		return "", fmt.Errorf("%w: want %s and %s.%s, got %v; is the stack's program current?", ErrBadOutputs, OutAPIURL, OutUsagePlanIDs, rec.Tier, outputs)
	}
	if err := c.Keys.Attach(ctx, planID, rec.APIKeyID); err != nil {
		return "", fmt.Errorf("putting API key %s on usage plan %s: %w", rec.APIKeyID, planID, err)
	}
	return apiURL, nil
}

// Deprovision destroys the tenant's stack and removes it from the backend,
// then clears the stack and API URL from the record (a deleted tenant stays
// deleted). A stack already gone counts as removed.
func (c *Controller) Deprovision(ctx context.Context, tenantID string) (*registry.Record, error) {
	rec, err := c.get(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	stack := rec.SiloStack
	if stack == "" {
		stack = c.StackName(tenantID)
	}
	gone := false
	err = c.retry(ctx, "pulumi destroy", func() error { return c.Stacks.Destroy(ctx, stack) })
	switch {
	case errors.Is(err, ErrStackNotFound):
		gone = true
		c.logger().InfoContext(ctx, "the tenant's stack does not exist; nothing to destroy", "tenant_id", tenantID, "stack", stack)
	case err != nil:
		err = fmt.Errorf("deprovision %s (stack %s): %w", tenantID, stack, err)
		c.note(ctx, tenantID, err.Error())
		return nil, err
	}
	if !gone {
		err = c.retry(ctx, "removing the stack", func() error { return c.Stacks.Remove(ctx, stack) })
		if err != nil && !errors.Is(err, ErrStackNotFound) {
			err = fmt.Errorf("deprovision %s: resources destroyed but stack %s not removed (run deprovision again): %w", tenantID, stack, err)
			c.note(ctx, tenantID, err.Error())
			return nil, err
		}
	}
	rec, err = c.modify(ctx, tenantID, func(r *registry.Record) {
		r.SiloStack, r.APIURL = "", ""
		r.Reason = "silo stack " + stack + " removed"
	})
	if err != nil {
		return nil, fmt.Errorf("deprovision %s: the stack is gone but the registry was not updated (run deprovision again): %w", tenantID, err)
	}
	ev := StackEvent{TenantID: rec.TenantID, TenantName: rec.Name, Tier: rec.Tier, Deployment: tenancy.DeploymentSilo, Stack: stack}
	if err := c.Events.Publish(ctx, EventDeprovisioned, ev); err != nil {
		return rec, fmt.Errorf("deprovision %s: the stack is gone but %s was not published: %w", tenantID, EventDeprovisioned, err)
	}
	return rec, nil
}

// Fail records why the deployer failed for a tenant. A tenant waiting for
// its stack becomes provisioning_failed; an active, suspended or deleted
// tenant keeps its status (a failed re-run must not take a working silo
// offline) and only the reason is recorded.
func (c *Controller) Fail(ctx context.Context, tenantID, reason string) (*registry.Record, error) {
	if reason == "" {
		reason = "the tenant deployer's build failed"
	}
	if _, err := c.get(ctx, tenantID); err != nil {
		return nil, err
	}
	failed := false
	rec, err := c.modify(ctx, tenantID, func(r *registry.Record) {
		r.Reason = reason
		if r.Status == registry.StatusProvisioning || r.Status == registry.StatusProvisioningFailed {
			r.Status, failed = registry.StatusProvisioningFailed, true
		}
	})
	if err != nil || !failed {
		return rec, err
	}
	ev := StackEvent{TenantID: rec.TenantID, TenantName: rec.Name, Tier: rec.Tier, Deployment: tenancy.DeploymentSilo, Stack: c.StackName(tenantID), Reason: reason}
	if err := c.Events.Publish(ctx, EventProvisioningFailed, ev); err != nil {
		return rec, fmt.Errorf("fail %s: recorded, but %s was not published: %w", tenantID, EventProvisioningFailed, err)
	}
	return rec, nil
}

// markFailed is Fail on a failure path: its own error is logged, not
// returned, so the first failure is the one reported.
func (c *Controller) markFailed(ctx context.Context, tenantID, reason string) {
	if _, err := c.Fail(context.WithoutCancel(ctx), tenantID, reason); err != nil {
		c.logger().ErrorContext(ctx, "could not record the failure in the registry", "tenant_id", tenantID, "error", err.Error())
	}
}

// note records a reason without changing the status.
func (c *Controller) note(ctx context.Context, tenantID, reason string) {
	if _, err := c.modify(context.WithoutCancel(ctx), tenantID, func(r *registry.Record) { r.Reason = reason }); err != nil {
		c.logger().ErrorContext(ctx, "could not record the failure in the registry", "tenant_id", tenantID, "error", err.Error())
	}
}

func (c *Controller) get(ctx context.Context, tenantID string) (*registry.Record, error) {
	if !tenancy.ValidSlug(tenantID) {
		// It becomes part of a stack name and of AWS resource names.
		return nil, fmt.Errorf("%w: %q is not a tenant id (3-63 lowercase letters, digits or inner hyphens)", ErrTenantNotFound, tenantID)
	}
	rec, err := c.Registry.Get(ctx, tenantID)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s (check the id: tenant ids look like t0a1b2c3d4e5f)", ErrTenantNotFound, tenantID)
	}
	return rec, err
}

// modify applies change to the current record and writes it with an
// optimistic check, reading again when another writer got there first.
func (c *Controller) modify(ctx context.Context, tenantID string, change func(*registry.Record)) (*registry.Record, error) {
	const attempts = 5
	for range attempts {
		rec, err := c.get(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		before := rec.Version
		change(rec)
		rec.UpdatedAt = c.now().UTC().Format(time.RFC3339)
		err = c.Registry.Update(ctx, rec, before)
		if errors.Is(err, registry.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return rec, nil
	}
	return nil, fmt.Errorf("tenant %s: %w %d times in a row", tenantID, registry.ErrConflict, attempts)
}

// retry runs fn again while it fails with ErrConcurrentUpdate, waiting
// Retry.Delay, then twice as long each time.
func (c *Controller) retry(ctx context.Context, what string, fn func() error) error {
	attempts, delay := c.Retry.Attempts, c.Retry.Delay
	if attempts < 1 {
		attempts = 5
	}
	if delay <= 0 {
		delay = 10 * time.Second
	}
	var err error
	for i := range attempts {
		err = fn()
		if !errors.Is(err, ErrConcurrentUpdate) {
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		}
		if i == attempts-1 {
			break
		}
		c.logger().WarnContext(ctx, "the stack is locked by another update; waiting", "step", what, "attempt", i+1, "wait", delay.String())
		if serr := c.sleep(ctx, delay); serr != nil {
			return fmt.Errorf("%s: %w (gave up waiting: %v)", what, err, serr)
		}
		delay *= 2
	}
	return fmt.Errorf("%s: %w after %d attempts; wait for the other update to finish, or `pulumi cancel` it if it died", what, err, attempts)
}

func (c *Controller) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Controller) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Controller) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// Outcomes of one stack in a rollout.
const (
	OutcomeUpdated = "updated"
	OutcomeFailed  = "failed"
	OutcomeSkipped = "skipped"
)

// StackResult is one stack's part of a rollout.
type StackResult struct {
	TenantID string `json:"tenantId,omitempty"`
	Stack    string `json:"stack"`
	Wave     int    `json:"wave"`
	Outcome  string `json:"outcome"`
	Error    string `json:"error,omitempty"`
}

// Report is the outcome of a rollout: the platform stack (wave 0), then
// every silo tenant's stack by wave.
type Report struct {
	Platform StackResult   `json:"platform"`
	Tenants  []StackResult `json:"tenants"`
	Failed   bool          `json:"failed"`
}

// Rollout updates the platform stack, then every silo tenant's stack from
// the registry in waves of waveSize run in parallel. A failed wave stops
// the rollout: the later waves are reported as skipped.
func (c *Controller) Rollout(ctx context.Context, waveSize int) (*Report, error) {
	if waveSize < 1 {
		return nil, fmt.Errorf("wave size %d: use 1 or more", waveSize)
	}
	rep := &Report{Platform: StackResult{Stack: c.Settings.PlatformStack, Outcome: OutcomeUpdated}, Tenants: []StackResult{}}
	tenants, err := c.siloTenants(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range tenants {
		rep.Tenants = append(rep.Tenants, StackResult{TenantID: r.TenantID, Stack: c.StackName(r.TenantID), Outcome: OutcomeSkipped})
	}
	err = c.retry(ctx, "pulumi up", func() error {
		_, err := c.Stacks.Up(ctx, c.Settings.PlatformStack)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrStackNotFound) {
			err = fmt.Errorf("%w; deploy the platform first (`pulumi stack init` and `pulumi up`) or fix -platform-stack", err)
		}
		rep.Platform.Outcome, rep.Platform.Error, rep.Failed = OutcomeFailed, err.Error(), true
		return rep, nil
	}
	for start, wave := 0, 1; start < len(rep.Tenants); start, wave = start+waveSize, wave+1 {
		batch := rep.Tenants[start:min(start+waveSize, len(rep.Tenants))]
		var wg sync.WaitGroup
		for i := range batch {
			batch[i].Wave = wave
			wg.Go(func() {
				if _, err := c.Provision(ctx, batch[i].TenantID); err != nil {
					batch[i].Outcome, batch[i].Error = OutcomeFailed, err.Error()
					return
				}
				batch[i].Outcome = OutcomeUpdated
			})
		}
		wg.Wait()
		for _, r := range batch {
			if r.Outcome == OutcomeFailed {
				rep.Failed = true
			}
		}
		if rep.Failed {
			break
		}
	}
	return rep, nil
}

// siloTenants are the registry's tenants with a stack, by id.
func (c *Controller) siloTenants(ctx context.Context) ([]registry.Record, error) {
	var out []registry.Record
	after := ""
	for {
		page, next, err := c.Registry.List(ctx, 100, after)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			if r.SiloStack != "" && r.Status != registry.StatusDeleted {
				out = append(out, r)
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TenantID < out[j].TenantID })
	return out, nil
}
