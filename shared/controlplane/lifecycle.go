package controlplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// Lifecycle is what tier changes, renames and offboarding need beyond the
// registry and the users.
type Lifecycle struct {
	Keys   APIKeys
	Events Events
	Purger ItemPurger
	// Tiers maps each tier to its deployment model (pool or silo).
	Tiers map[string]string
	// PlanIDs names the usage plan of each pool tier (published by the
	// stack in the registry).
	PlanIDs func(ctx context.Context) (map[string]string, error)
	// Budget is how long one DELETE purges pooled items before it answers
	// 202 and leaves the rest to the same request sent again (default
	// 20 s, and never closer than PurgeMargin to the request's deadline).
	Budget time.Duration
	Logger *slog.Logger
}

// ItemPurger deletes a tenant's items from the pooled tables.
type ItemPurger interface {
	// Purge deletes items until none is left (done) or the deadline
	// passes; calling it again resumes.
	Purge(ctx context.Context, tenantID string, deadline time.Time) (deleted int, done bool, err error)
}

// Defaults of offboarding.
const (
	DefaultPurgeBudget = 20 * time.Second
	// PurgeMargin is kept free before the request's deadline for the
	// steps after the purge.
	PurgeMargin = 5 * time.Second
)

// Lifecycle events beyond registration's.
const (
	EventProvisioningRequested   = "TenantProvisioningRequested"
	EventDeprovisioningRequested = "TenantDeprovisioningRequested"
	EventOffboarded              = "TenantOffboarded"
)

// TenantPatch is the body of PATCH /tenants/{tenantId}.
type TenantPatch struct {
	Tier       *string `json:"tier"`
	TenantName *string `json:"tenantName"`
}

// Offboarding is the answer to DELETE /tenants/{tenantId}: the tenant, and
// whether offboarding is done (200) or must be called again (202).
type Offboarding struct {
	TenantView
	Done         bool `json:"done"`
	ItemsDeleted int  `json:"itemsDeleted"`
}

func (t *Tenants) lifecycleRoutes(r *httpx.Router) {
	r.Handle("PATCH", "/tenants/{tenantId}", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		var in TenantPatch
		if err := httpx.Decode(req.Body, &in); err != nil {
			return httpx.Response{}, err
		}
		rec, err := t.Patch(ctx, req.Params["tenantId"], in)
		if err != nil {
			return httpx.Response{}, err
		}
		return httpx.Response{Status: http.StatusOK, Body: view(rec)}, nil
	})
	r.Handle("DELETE", "/tenants/{tenantId}", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		out, err := t.Offboard(ctx, req.Params["tenantId"])
		if err != nil {
			return httpx.Response{}, err
		}
		status := http.StatusOK
		if !out.Done {
			status = http.StatusAccepted
		}
		return httpx.Response{Status: status, Body: out}, nil
	})
}

func (t *Tenants) validatePatch(in TenantPatch) error {
	if in.Tier == nil && in.TenantName == nil {
		return httpx.Invalid(map[string]string{"tier": "give tier, tenantName or both", "tenantName": "give tier, tenantName or both"})
	}
	f := map[string]string{}
	if in.TenantName != nil && !tenancy.ValidSlug(*in.TenantName) {
		f["tenantName"] = "must be 3-63 lowercase letters, digits or inner hyphens"
	}
	if in.Tier != nil {
		if _, ok := t.Tiers[*in.Tier]; !ok {
			f["tier"] = "must be one of the tiers: " + strings.Join(sortedTiers(t.Tiers), ", ")
		}
	}
	if len(f) > 0 {
		return httpx.Invalid(f)
	}
	return nil
}

// Patch renames a tenant and/or changes its tier. The rename comes first;
// each part is safe to send again, and a request that failed half-way
// completes when sent again.
func (t *Tenants) Patch(ctx context.Context, id string, in TenantPatch) (*registry.Record, error) {
	if err := t.validatePatch(in); err != nil {
		return nil, err
	}
	rec, err := t.Registry.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch rec.Status {
	case registry.StatusRegistering, registry.StatusOffboarding, registry.StatusDeleted:
		return nil, httpx.Errorf(http.StatusConflict, "invalid_state", "a tenant that is %s cannot be changed", rec.Status)
	}
	if in.TenantName != nil && *in.TenantName != rec.Name {
		rec.UpdatedAt = t.now()
		if err := t.Registry.Rename(ctx, rec, *in.TenantName, rec.Version); err != nil {
			return nil, unavailableUnless(err, registry.ErrNameTaken, registry.ErrConflict)
		}
	}
	if in.Tier != nil {
		return t.changeTier(ctx, rec, *in.Tier)
	}
	return rec, nil
}

// changeTier moves a tenant to another tier. Pool to pool moves its API
// key to the new tier's usage plan; pool to silo takes the key off the
// pooled plans and requests provisioning of the tenant's own stack; silo
// to anything needs a data migration and is refused. The same tier again
// finishes a change that failed half-way.
func (t *Tenants) changeTier(ctx context.Context, rec *registry.Record, to string) (*registry.Record, error) {
	from := rec.Tier
	fromSilo, toSilo := t.Tiers[from] == tenancy.DeploymentSilo, t.Tiers[to] == tenancy.DeploymentSilo
	switch {
	case from == to:
		return t.resumeTier(ctx, rec)
	case fromSilo:
		return nil, httpx.Errorf(http.StatusConflict, "migration_required",
			"tenant %s is on the silo tier %s with its own stack and tables; moving it to %s needs a data migration, which this API does not do", rec.TenantID, from, to)
	case rec.Status != registry.StatusActive && !(rec.Status == registry.StatusSuspended && !toSilo):
		return nil, httpx.Errorf(http.StatusConflict, "invalid_state", "a tenant that is %s cannot move to tier %s; activate it first", rec.Status, to)
	}
	plans, err := t.planIDs(ctx)
	if err != nil {
		return nil, err
	}
	oldPlan, newPlan := plans[from], plans[to]
	if !toSilo && newPlan == "" {
		return nil, fmt.Errorf("%w: the stack published no usage plan for tier %s", ErrUnavailable, to)
	}
	var undo []func(context.Context) error
	fail := func(step string, cause error) (*registry.Record, error) {
		t.compensate(ctx, rec.TenantID, step, undo)
		return nil, unavailableUnless(fmt.Errorf("%s: %w", step, cause), registry.ErrConflict)
	}
	key := rec.APIKeyID
	// A key may be on one plan per API stage: off the old plan first.
	if key != "" && oldPlan != "" {
		if err := t.Keys.Detach(ctx, key, oldPlan); err != nil {
			return fail("taking the API key off the old usage plan", err)
		}
		undo = append(undo, func(c context.Context) error { return t.Keys.Attach(c, key, oldPlan) })
	}
	if key != "" && !toSilo {
		if err := t.Keys.Attach(ctx, key, newPlan); err != nil {
			return fail("putting the API key on the new usage plan", err)
		}
		undo = append(undo, func(c context.Context) error { return t.Keys.Detach(c, key, newPlan) })
	}
	next := *rec
	next.Tier, next.UpdatedAt = to, t.now()
	if toSilo {
		next.Status = registry.StatusProvisioning
	}
	if err := t.Registry.Update(ctx, &next, rec.Version); err != nil {
		return fail("updating the tenant record", err)
	}
	// From here the record says the new tier: a failure is reported and
	// the same request again finishes the users and the event.
	return t.resumeTier(ctx, &next)
}

// resumeTier brings everything in line with the tier the record has: the
// key on the tier's plan (pool), the users' tier attribute, and for a silo
// tenant still provisioning, the provisioning request.
func (t *Tenants) resumeTier(ctx context.Context, rec *registry.Record) (*registry.Record, error) {
	silo := t.Tiers[rec.Tier] == tenancy.DeploymentSilo
	if !silo && rec.APIKeyID != "" && (rec.Status == registry.StatusActive || rec.Status == registry.StatusSuspended) {
		plans, err := t.planIDs(ctx)
		if err != nil {
			return nil, err
		}
		if plan := plans[rec.Tier]; plan != "" {
			if err := t.Keys.Attach(ctx, rec.APIKeyID, plan); err != nil {
				return nil, fmt.Errorf("%w: putting the API key on the usage plan: %v", ErrUnavailable, err)
			}
		}
	}
	if _, err := t.Users.SetTenantUsersTier(ctx, rec.TenantID, rec.Tier); err != nil {
		return nil, fmt.Errorf("%w: the tier changed, updating the users' tier failed (send the same request again): %v", ErrUnavailable, err)
	}
	if silo && rec.Status == registry.StatusProvisioning {
		ev := TenantEvent{TenantID: rec.TenantID, TenantName: rec.Name, Tier: rec.Tier, Deployment: tenancy.DeploymentSilo}
		if err := t.Events.Publish(ctx, EventProvisioningRequested, ev); err != nil {
			return nil, fmt.Errorf("%w: the tier changed, requesting provisioning failed (send the same request again): %v", ErrUnavailable, err)
		}
	}
	return rec, nil
}

// Offboard removes a tenant, each step idempotent so that the same request
// resumes where an earlier one stopped: status offboarding (the authorizer
// refuses the tenant from then on), its users disabled and deleted, its
// API key deleted, its pooled items deleted within the time budget (not
// done: 202), silo stack removal requested, then the record becomes a
// tombstone (status deleted, deletedAt; the id is never reused, the name
// is free again) and TenantOffboarded is published. Events are at least
// once: a DELETE of a deleted tenant publishes TenantOffboarded again.
func (t *Tenants) Offboard(ctx context.Context, id string) (*Offboarding, error) {
	started := t.clock()
	rec, err := t.Registry.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch rec.Status {
	case registry.StatusDeleted:
		if err := t.publishOffboarded(ctx, rec); err != nil {
			return nil, err
		}
		return &Offboarding{TenantView: view(rec), Done: true}, nil
	case registry.StatusRegistering:
		return nil, httpx.Errorf(http.StatusConflict, "invalid_state", "the tenant is still registering; offboard it once its registration has finished or failed")
	case registry.StatusOffboarding:
	default:
		rec.Status, rec.UpdatedAt = registry.StatusOffboarding, t.now()
		if err := t.Registry.Update(ctx, rec, rec.Version); err != nil {
			return nil, unavailableUnless(err, registry.ErrConflict)
		}
	}
	log := t.logger().With("tenant_id", id)
	if n, err := t.Users.DeleteTenantUsers(ctx, id); err != nil {
		return nil, fmt.Errorf("%w: deleting the tenant's users (%d done; send the same request again): %v", ErrUnavailable, n, err)
	} else if n > 0 {
		log.InfoContext(ctx, "offboarding: users deleted", "users", n)
	}
	if rec.APIKeyID != "" {
		if err := t.Keys.Delete(ctx, rec.APIKeyID); err != nil {
			return nil, fmt.Errorf("%w: deleting the tenant's API key: %v", ErrUnavailable, err)
		}
	}
	deleted, done, err := t.Purger.Purge(ctx, id, t.purgeDeadline(ctx, started))
	if err != nil {
		return nil, fmt.Errorf("%w: deleting the tenant's pooled items (%d deleted; send the same request again): %v", ErrUnavailable, deleted, err)
	}
	if !done {
		log.InfoContext(ctx, "offboarding: purge continues in the next request", "items_deleted", deleted)
		return &Offboarding{TenantView: view(rec), ItemsDeleted: deleted}, nil
	}
	if t.Tiers[rec.Tier] == tenancy.DeploymentSilo {
		ev := TenantEvent{TenantID: rec.TenantID, TenantName: rec.Name, Tier: rec.Tier, Deployment: tenancy.DeploymentSilo}
		if err := t.Events.Publish(ctx, EventDeprovisioningRequested, ev); err != nil {
			return nil, fmt.Errorf("%w: requesting removal of the silo stack: %v", ErrUnavailable, err)
		}
	}
	if err := t.Registry.Tombstone(ctx, rec, t.now(), rec.Version); err != nil {
		return nil, unavailableUnless(err, registry.ErrConflict)
	}
	if err := t.publishOffboarded(ctx, rec); err != nil {
		return nil, err
	}
	log.InfoContext(ctx, "offboarding: done", "items_deleted", deleted)
	return &Offboarding{TenantView: view(rec), Done: true, ItemsDeleted: deleted}, nil
}

func (t *Tenants) publishOffboarded(ctx context.Context, rec *registry.Record) error {
	ev := TenantEvent{TenantID: rec.TenantID, TenantName: rec.Name, Tier: rec.Tier, Deployment: t.Tiers[rec.Tier]}
	if err := t.Events.Publish(ctx, EventOffboarded, ev); err != nil {
		return fmt.Errorf("%w: the tenant is deleted; publishing TenantOffboarded failed (send the same request again): %v", ErrUnavailable, err)
	}
	return nil
}

// purgeDeadline is the budget from the start of the request, kept
// PurgeMargin clear of the request's own deadline.
func (t *Tenants) purgeDeadline(ctx context.Context, started time.Time) time.Time {
	budget := t.Budget
	if budget <= 0 {
		budget = DefaultPurgeBudget
	}
	deadline := started.Add(budget)
	if d, ok := ctx.Deadline(); ok && d.Add(-PurgeMargin).Before(deadline) {
		deadline = d.Add(-PurgeMargin)
	}
	return deadline
}

func (t *Tenants) planIDs(ctx context.Context) (map[string]string, error) {
	if t.PlanIDs == nil {
		return nil, fmt.Errorf("%w: no source of usage plan ids", ErrUnavailable)
	}
	plans, err := t.PlanIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the usage plans: %v", ErrUnavailable, err)
	}
	return plans, nil
}

// compensate runs undo steps in reverse on a context of their own (the
// caller may be gone), logging any that fail.
func (t *Tenants) compensate(ctx context.Context, id, step string, undo []func(context.Context) error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	for i := len(undo) - 1; i >= 0; i-- {
		if err := undo[i](cctx); err != nil {
			t.logger().ErrorContext(ctx, "tier change: compensation failed; the same request again repairs it",
				"tenant_id", id, "step", step, "error", err.Error())
		}
	}
}

// unavailableUnless passes the known errors through and makes any other
// a 503: the registry or a dependency failed, and a retry is safe.
func unavailableUnless(err error, known ...error) error {
	var apiErr *httpx.Error
	if errors.As(err, &apiErr) || errors.Is(err, ErrUnavailable) {
		return err
	}
	for _, k := range known {
		if errors.Is(err, k) {
			return err
		}
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

func (t *Tenants) clock() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Tenants) now() string { return t.clock().UTC().Format(time.RFC3339) }

func (t *Tenants) logger() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.Default()
}
