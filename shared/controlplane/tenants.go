package controlplane

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/smithy-go"

	"github.com/tenantforge/tenantforge/shared/billing"
	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// UserSwitch disables, enables, re-tiers and deletes a tenant's users.
// Each call walks the tenant's users and is safe to repeat.
type UserSwitch interface {
	SetTenantUsersEnabled(ctx context.Context, tenantID string, enabled bool) (int, error)
	// SetTenantUsersTier writes custom:tenant_tier of every user.
	SetTenantUsersTier(ctx context.Context, tenantID, tier string) (int, error)
	// DeleteTenantUsers disables, then deletes every user.
	DeleteTenantUsers(ctx context.Context, tenantID string) (int, error)
}

// Tenants serves the SystemAdmin's tenant routes (and a TenantAdmin's view
// of its own tenant).
type Tenants struct {
	Registry *registry.Store
	Users    UserSwitch
	Lifecycle
	// Usage holds the tenants' daily usage records (shared/billing).
	Usage UsageLister
	Now   func() time.Time
}

// UsageLister returns a tenant's most recent daily usage records.
type UsageLister interface {
	List(ctx context.Context, tenantID string, days int) ([]billing.Record, error)
}

// TenantView is a tenant as the API shows it: no API key, no admin email.
type TenantView struct {
	TenantID   string `json:"tenantId"`
	TenantName string `json:"tenantName"`
	Tier       string `json:"tier"`
	Status     string `json:"status"`
	APIURL     string `json:"apiUrl,omitempty"`
	CreatedAt  string `json:"createdAt"`
	UpdatedAt  string `json:"updatedAt"`
	DeletedAt  string `json:"deletedAt,omitempty"`
	Version    int    `json:"version"`
}

func view(r *registry.Record) TenantView {
	return TenantView{TenantID: r.TenantID, TenantName: r.Name, Tier: r.Tier, Status: r.Status, APIURL: r.APIURL,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, DeletedAt: r.DeletedAt, Version: r.Version}
}

func tenantErrors(err error) *httpx.Error {
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return httpx.ErrNotFound
	case errors.Is(err, registry.ErrInvalidCursor):
		return httpx.ErrInvalidCursor
	case errors.Is(err, registry.ErrConflict):
		return httpx.Errorf(http.StatusConflict, "version_conflict", "the tenant changed meanwhile; retry")
	case errors.Is(err, registry.ErrNameTaken):
		return httpx.Errorf(http.StatusConflict, "name_taken", "a tenant with this name exists; choose another name")
	case errors.Is(err, ErrUnavailable):
		return httpx.ErrUnavailable
	}
	return nil
}

// dependencyErrors answers 503 when the registry, the user pool or another
// AWS dependency failed: a retry is safe, as every tenants and users route
// completes what the same request left half-done. It comes after the
// routes' own mappers.
func dependencyErrors(err error) *httpx.Error {
	var op *smithy.OperationError
	if errors.As(err, &op) {
		return httpx.ErrUnavailable
	}
	return nil
}

// Router returns the tenants routes.
func (t *Tenants) Router(logger *slog.Logger) *httpx.Router {
	r := &httpx.Router{Service: "tenants", Logger: logger, Mappers: []httpx.Mapper{tenantErrors, dependencyErrors}, Permitted: tenancy.Allowed}
	r.Handle("GET", "/tenants", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		limit, next, err := req.Page()
		if err != nil {
			return httpx.Response{}, err
		}
		recs, next, err := t.Registry.List(ctx, limit, next)
		if err != nil {
			return httpx.Response{}, err
		}
		items := make([]TenantView, len(recs))
		for i := range recs {
			items[i] = view(&recs[i])
		}
		return httpx.Response{Status: http.StatusOK, Body: map[string]any{"items": items, "next": next}}, nil
	})
	r.Handle("GET", "/tenants/{tenantId}", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		id := req.Params["tenantId"]
		// A TenantAdmin sees its own tenant only (the authorizer's policy
		// already pins the path; this is the second lock).
		if req.Caller.Role != tenancy.RoleSystemAdmin && req.Caller.TenantID != id {
			return httpx.Response{}, httpx.ErrNotFound
		}
		rec, err := t.Registry.Get(ctx, id)
		if err != nil {
			return httpx.Response{}, err
		}
		return httpx.Response{Status: http.StatusOK, Body: view(rec)}, nil
	})
	r.Handle("GET", "/tenants/{tenantId}/usage", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		days, err := req.Count("days", billing.DefaultDays, billing.MaxDays)
		if err != nil {
			return httpx.Response{}, err
		}
		id := req.Params["tenantId"]
		if _, err := t.Registry.Get(ctx, id); err != nil {
			return httpx.Response{}, err
		}
		if t.Usage == nil {
			return httpx.Response{}, httpx.ErrUnavailable
		}
		recs, err := t.Usage.List(ctx, id, days)
		if err != nil {
			return httpx.Response{}, err
		}
		if recs == nil {
			recs = []billing.Record{}
		}
		return httpx.Response{Status: http.StatusOK, Body: map[string]any{"tenantId": id, "days": recs}}, nil
	})
	for path, status := range map[string]string{"/tenants/{tenantId}/suspend": registry.StatusSuspended, "/tenants/{tenantId}/activate": registry.StatusActive} {
		r.Handle("POST", path, func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
			rec, err := t.setStatus(ctx, req.Params["tenantId"], status)
			if err != nil {
				return httpx.Response{}, err
			}
			return httpx.Response{Status: http.StatusOK, Body: view(rec)}, nil
		})
	}
	t.lifecycleRoutes(r)
	return r
}

// setStatus suspends or activates a tenant: the record first (the
// authorizer refuses a suspended tenant within its cache TTL), then its
// users in the user pool. A failure after the record changed is reported
// and the same request completes it.
func (t *Tenants) setStatus(ctx context.Context, id, status string) (*registry.Record, error) {
	rec, err := t.Registry.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	from := []string{registry.StatusActive, registry.StatusSuspended}
	if rec.Status != from[0] && rec.Status != from[1] {
		return nil, httpx.Errorf(http.StatusConflict, "invalid_state", "a tenant that is %s cannot be suspended or activated", rec.Status)
	}
	if rec.Status != status {
		rec.Status = status
		now := time.Now
		if t.Now != nil {
			now = t.Now
		}
		rec.UpdatedAt = now().UTC().Format(time.RFC3339)
		if err := t.Registry.Update(ctx, rec, rec.Version); err != nil {
			return nil, err
		}
	}
	if _, err := t.Users.SetTenantUsersEnabled(ctx, id, status == registry.StatusActive); err != nil {
		return nil, httpx.ErrUnavailable
	}
	return rec, nil
}
