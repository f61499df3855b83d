// Package controlplane is tenant management: registration, the public
// tenant configuration, and (later) tenants and users. Every step that
// reaches another service sits behind an interface with an AWS
// implementation, so failures can be injected at each step.
package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// Errors of registration.
var (
	ErrNameTaken   = errors.New("tenant name taken")
	ErrEmailTaken  = errors.New("the admin email belongs to another tenant")
	ErrUnavailable = errors.New("a dependency failed; nothing was kept, retry")
)

// FieldErrors lists invalid fields.
type FieldErrors map[string]string

func (f FieldErrors) Error() string { return fmt.Sprintf("invalid fields: %v", map[string]string(f)) }

// Registration is the body of POST /registrations.
type Registration struct {
	TenantName    string `json:"tenantName"`
	AdminEmail    string `json:"adminEmail"`
	AdminPassword string `json:"adminPassword"`
	Tier          string `json:"tier"`
}

// TierPlan is what registration needs of a tier.
type TierPlan struct {
	Deployment  string
	UsagePlanID string
}

// Directory is the user pool's admin API.
type Directory interface {
	// CreateTenantAdmin creates the confirmed user with the password as
	// permanent, the tenant attributes and the TenantAdmin group. It
	// returns ErrEmailTaken if the user exists for another tenant.
	CreateTenantAdmin(ctx context.Context, email, password string, tenant *registry.Record) error
	// DeleteUser removes a user (compensation).
	DeleteUser(ctx context.Context, email string) error
}

// APIKeys manages tenants' API keys.
type APIKeys interface {
	// Create makes an enabled key for the tenant on the usage plan and
	// returns its id and value.
	Create(ctx context.Context, tenantID, usagePlanID string) (id, value string, err error)
	Delete(ctx context.Context, id string) error
	// Attach puts a key on a usage plan and Detach takes it off; both
	// succeed when there is nothing to do, so a retry is always safe.
	Attach(ctx context.Context, id, usagePlanID string) error
	Detach(ctx context.Context, id, usagePlanID string) error
}

// Events publishes tenant lifecycle events.
type Events interface {
	Publish(ctx context.Context, detailType string, detail any) error
}

// Registrar registers tenants.
type Registrar struct {
	Registry  *registry.Store
	Directory Directory
	Keys      APIKeys
	Events    Events
	Tiers     map[string]TierPlan
	// PlanIDs, when set, names the usage plan of each tier at run time
	// (the plans are created after the function that uses them).
	PlanIDs func(ctx context.Context) (map[string]string, error)
	Logger  *slog.Logger
	Now     func() time.Time
}

// TenantEvent is the detail of lifecycle events.
type TenantEvent struct {
	TenantID   string `json:"tenantId"`
	TenantName string `json:"tenantName"`
	Tier       string `json:"tier"`
	Deployment string `json:"deployment"`
}

// Validate checks a registration and names every bad field.
func (r *Registrar) Validate(in Registration) error {
	f := FieldErrors{}
	if !tenancy.ValidSlug(in.TenantName) {
		f["tenantName"] = "must be 3-63 lowercase letters, digits or inner hyphens"
	}
	if addr, err := mail.ParseAddress(in.AdminEmail); err != nil || addr.Address != in.AdminEmail {
		f["adminEmail"] = "must be a plain email address such as admin@example.com"
	}
	if msg := PasswordProblem(in.AdminPassword); msg != "" {
		f["adminPassword"] = msg
	}
	if _, ok := r.Tiers[in.Tier]; !ok {
		f["tier"] = fmt.Sprintf("must be one of the tiers: %s", strings.Join(sortedTiers(r.Tiers), ", "))
	}
	if len(f) > 0 {
		return f
	}
	return nil
}

// PasswordProblem says what the user pool's policy (12+ characters,
// upper, lower, digit, symbol) finds wrong with a password, or "".
func PasswordProblem(p string) string {
	var upper, lower, digit, symbol bool
	for _, c := range p {
		switch {
		case unicode.IsUpper(c):
			upper = true
		case unicode.IsLower(c):
			lower = true
		case unicode.IsDigit(c):
			digit = true
		case unicode.IsPunct(c) || unicode.IsSymbol(c):
			symbol = true
		}
	}
	if len([]rune(p)) < 12 || !upper || !lower || !digit || !symbol {
		return "must be at least 12 characters with upper and lower case letters, a digit and a symbol"
	}
	return ""
}

// Register creates the tenant: registry record and name, tenant admin,
// API key on the tier's usage plan, status, events. A failure at any step
// undoes the steps before it; a record left "registering" by a crash is
// completed by the same request sent again.
func (r *Registrar) Register(ctx context.Context, in Registration) (*registry.Record, error) {
	if err := r.Validate(in); err != nil {
		return nil, err
	}
	plan := r.Tiers[in.Tier]
	if plan.UsagePlanID == "" && r.PlanIDs != nil {
		ids, err := r.PlanIDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: reading the usage plans: %v", ErrUnavailable, err)
		}
		plan.UsagePlanID = ids[in.Tier]
	}
	// A pooled tier's key goes on the platform API's plan of the tier. The
	// platform API has no plan for a silo tier: the key stays on no plan
	// until the tenant's own stack exists and provisioning attaches it to
	// that stack's plan (tenantctl provision).
	if plan.UsagePlanID == "" && plan.Deployment != tenancy.DeploymentSilo {
		return nil, fmt.Errorf("%w: no usage plan for tier %s", ErrUnavailable, in.Tier)
	}
	rec, resumed, err := r.reserve(ctx, in)
	if err != nil {
		return nil, err
	}
	var undo []func(context.Context) error
	fail := func(step string, cause error) (*registry.Record, error) {
		// Compensate on a context of its own: the caller may be gone.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
		defer cancel()
		for i := len(undo) - 1; i >= 0; i-- {
			if uerr := undo[i](cctx); uerr != nil {
				r.logger().ErrorContext(ctx, "registration: compensation failed; the record stays registering for a retry",
					"tenant_id", rec.TenantID, "step", step, "error", uerr.Error())
				return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, step, cause)
			}
		}
		if errors.Is(cause, ErrEmailTaken) {
			return nil, cause
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, step, cause)
	}
	if !resumed {
		undo = append(undo, func(c context.Context) error { return r.Registry.Release(c, rec) })
	}

	// The admin enters the tenant's user index before the user pool, so no
	// user of the tenant is ever missing from it (suspension and
	// offboarding walk the index).
	admin := &registry.UserEntry{TenantID: rec.TenantID, Username: strings.ToLower(in.AdminEmail), Role: string(tenancy.RoleTenantAdmin),
		CreatedAt: rec.CreatedAt, UpdatedAt: rec.CreatedAt}
	if err := r.Registry.SaveUser(ctx, admin); err != nil {
		return fail("indexing the tenant admin", err)
	}
	undo = append(undo, func(c context.Context) error { return r.Registry.UnindexUser(c, rec.TenantID, admin.Username) })

	if err := r.Directory.CreateTenantAdmin(ctx, in.AdminEmail, in.AdminPassword, rec); err != nil {
		return fail("creating the tenant admin", err)
	}
	undo = append(undo, func(c context.Context) error { return r.Directory.DeleteUser(c, in.AdminEmail) })

	if rec.APIKeyID == "" {
		id, value, err := r.Keys.Create(ctx, rec.TenantID, plan.UsagePlanID)
		if err != nil {
			return fail("creating the API key", err)
		}
		rec.APIKeyID, rec.APIKeyValue = id, value
		undo = append(undo, func(c context.Context) error { return r.Keys.Delete(c, id) })
	}

	before := rec.Version
	rec.Status = registry.StatusActive
	if plan.Deployment == tenancy.DeploymentSilo {
		rec.Status = registry.StatusProvisioning
	}
	rec.UpdatedAt = r.now()
	if err := r.Registry.Update(ctx, rec, before); err != nil {
		return fail("activating the tenant record", err)
	}
	undo = append(undo, func(c context.Context) error {
		// Back to registering, so the undo of Reserve can release it.
		rec.Status = registry.StatusRegistering
		return r.Registry.Update(c, rec, rec.Version)
	})

	ev := TenantEvent{TenantID: rec.TenantID, TenantName: rec.Name, Tier: rec.Tier, Deployment: plan.Deployment}
	if err := r.Events.Publish(ctx, "TenantRegistered", ev); err != nil {
		return fail("publishing TenantRegistered", err)
	}
	if plan.Deployment == tenancy.DeploymentSilo {
		if err := r.Events.Publish(ctx, EventProvisioningRequested, ev); err != nil {
			return fail("publishing "+EventProvisioningRequested, err)
		}
	}
	return rec, nil
}

// reserve claims the name, or resumes a registration of the same admin
// that a crash left in "registering".
func (r *Registrar) reserve(ctx context.Context, in Registration) (*registry.Record, bool, error) {
	now := r.now()
	rec := &registry.Record{
		TenantID: newTenantID(), Name: in.TenantName, Tier: in.Tier, Status: registry.StatusRegistering,
		AdminEmail: in.AdminEmail, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	err := r.Registry.Reserve(ctx, rec)
	if err == nil {
		return rec, false, nil
	}
	if !errors.Is(err, registry.ErrNameTaken) {
		return nil, false, fmt.Errorf("%w: reserving the name: %v", ErrUnavailable, err)
	}
	existing, gerr := r.Registry.GetByName(ctx, in.TenantName)
	if gerr != nil {
		if errors.Is(gerr, registry.ErrNotFound) {
			return nil, false, ErrNameTaken // being released right now
		}
		return nil, false, fmt.Errorf("%w: reading the name: %v", ErrUnavailable, gerr)
	}
	if existing.Status == registry.StatusRegistering && existing.AdminEmail == in.AdminEmail && existing.Tier == in.Tier {
		return existing, true, nil
	}
	return nil, false, ErrNameTaken
}

func (r *Registrar) now() string {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	return now().UTC().Format(time.RFC3339)
}

func (r *Registrar) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// newTenantID returns "t" and 12 hex digits: a slug no registration name
// can be confused with.
func newTenantID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "t" + hex.EncodeToString(b)
}

func sortedTiers[V any](tiers map[string]V) []string { return slices.Sorted(maps.Keys(tiers)) }
