package controlplane

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// UserPool is the user pool's admin API the users routes need
// (CognitoDirectory).
type UserPool interface {
	CreateUser(ctx context.Context, u NewUser) (*PoolUser, error)
	GetUser(ctx context.Context, username string) (*PoolUser, error)
	SetRole(ctx context.Context, username string, role tenancy.Role) error
	SetEnabled(ctx context.Context, username string, enabled bool) error
	SignOut(ctx context.Context, username string) error
	DeleteUser(ctx context.Context, username string) error
}

// Users serves a tenant's user management: a TenantAdmin manages the users
// of its own tenant; a SystemAdmin names the tenant with ?tenantId=. The
// tenant's user index (registry) decides who belongs to a tenant; the user
// pool holds the users. Another tenant's user is a 404, never a 403.
type Users struct {
	Registry *registry.Store
	Pool     UserPool
	Logger   *slog.Logger
	Now      func() time.Time
}

// UserView is a user as the API shows it. Enabled is false when an admin
// disabled the user (a suspended tenant's users are disabled in the pool
// but keep the flag their admin gave them). Status is the pool's status
// (FORCE_CHANGE_PASSWORD until the first sign-in) and shown for one user
// only, not in lists.
type UserView struct {
	Username  string `json:"username"`
	Email     string `json:"email"`
	TenantID  string `json:"tenantId"`
	Role      string `json:"role"`
	Enabled   bool   `json:"enabled"`
	Status    string `json:"status,omitempty"`
	CreatedAt string `json:"createdAt"`
}

// NewUserRequest is the body of POST /users.
type NewUserRequest struct {
	Email             string  `json:"email"`
	Role              string  `json:"role"`
	TemporaryPassword *string `json:"temporaryPassword"`
}

// RoleChange is the body of PATCH /users/{username}.
type RoleChange struct {
	Role string `json:"role"`
}

// API errors of the users routes.
var (
	errSelf         = httpx.Errorf(http.StatusForbidden, "cannot_change_self", "you cannot change your own role, disable or delete yourself; ask another admin")
	errNotGrantable = httpx.Errorf(http.StatusForbidden, "role_not_grantable", "SystemAdmin cannot be granted; the role must be TenantAdmin or TenantUser")
	errUserExists   = httpx.Errorf(http.StatusConflict, "user_exists", "a user with this email exists; choose another email")
)

func userErrors(err error) *httpx.Error {
	switch {
	case errors.Is(err, registry.ErrNotFound), errors.Is(err, registry.ErrUserNotFound), errors.Is(err, ErrNoSuchUser):
		return httpx.ErrNotFound
	case errors.Is(err, registry.ErrInvalidCursor):
		return httpx.ErrInvalidCursor
	case errors.Is(err, ErrUserExists), errors.Is(err, registry.ErrUserExists):
		return errUserExists
	case errors.Is(err, ErrInvalidPassword):
		return httpx.Invalid(map[string]string{"temporaryPassword": "the user pool refused it: " + strings.TrimPrefix(err.Error(), ErrInvalidPassword.Error()+": ")})
	}
	return nil
}

// Router returns the users routes.
func (u *Users) Router(logger *slog.Logger) *httpx.Router {
	if u.Logger == nil {
		u.Logger = logger
	}
	r := &httpx.Router{Service: "users", Logger: logger, Mappers: []httpx.Mapper{userErrors, dependencyErrors}, Permitted: tenancy.Allowed}
	r.Handle("GET", "/users", u.list)
	r.Handle("POST", "/users", u.create)
	r.Handle("GET", "/users/{username}", u.get)
	r.Handle("PATCH", "/users/{username}", u.patch)
	r.Handle("DELETE", "/users/{username}", u.delete)
	r.Handle("POST", "/users/{username}/disable", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		return u.setEnabled(ctx, req, false)
	})
	r.Handle("POST", "/users/{username}/enable", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		return u.setEnabled(ctx, req, true)
	})
	return r
}

// tenant is the tenant a request acts on: the caller's own for a
// TenantAdmin, the one named by ?tenantId= for a SystemAdmin. Unknown,
// unfinished, deleted and other tenants are all a 404.
func (u *Users) tenant(ctx context.Context, req *httpx.Request) (*registry.Record, error) {
	id := req.Caller.TenantID
	named, ok := req.Query["tenantId"]
	switch {
	case req.Caller.Role == tenancy.RoleSystemAdmin:
		if named == "" {
			return nil, httpx.Invalid(map[string]string{"tenantId": "a SystemAdmin names the tenant: add ?tenantId=<tenant id> to the request"})
		}
		id = named
	case ok && named != id:
		return nil, httpx.ErrNotFound // another tenant's users do not exist for a TenantAdmin
	}
	if !tenancy.ValidSlug(id) {
		return nil, httpx.ErrNotFound
	}
	rec, err := u.Registry.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Status == registry.StatusDeleted || rec.Status == registry.StatusRegistering {
		return nil, httpx.ErrNotFound
	}
	return rec, nil
}

// writableTenant is tenant, for changes: only an active tenant's (or a
// silo tenant's still being provisioned) users change.
func (u *Users) writableTenant(ctx context.Context, req *httpx.Request) (*registry.Record, error) {
	rec, err := u.tenant(ctx, req)
	if err != nil {
		return nil, err
	}
	if rec.Status != registry.StatusActive && rec.Status != registry.StatusProvisioning {
		return nil, httpx.Errorf(http.StatusConflict, "invalid_state", "the tenant is %s; its users change only while it is active", rec.Status)
	}
	return rec, nil
}

// username is the {username} path parameter: an email, compared without
// case (the user pool's usernames are case-insensitive).
func username(req *httpx.Request) string {
	raw := req.Params["username"]
	if s, err := url.PathUnescape(raw); err == nil {
		raw = s
	}
	return strings.ToLower(strings.TrimSpace(raw))
}

// member finds a user of the tenant: in the tenant's index, then in the
// pool, whose tenant attribute must agree.
func (u *Users) member(ctx context.Context, rec *registry.Record, name string) (*registry.UserEntry, *PoolUser, error) {
	entry, err := u.Registry.GetUser(ctx, rec.TenantID, name)
	if err != nil {
		return nil, nil, err
	}
	user, err := u.Pool.GetUser(ctx, name)
	if err != nil {
		return entry, nil, err
	}
	if user.TenantID != rec.TenantID {
		u.Logger.ErrorContext(ctx, "users: the tenant's index names a user of another tenant; refused",
			"tenant_id", rec.TenantID, "user_tenant_id", user.TenantID)
		return nil, nil, httpx.ErrNotFound
	}
	return entry, user, nil
}

func isSelf(req *httpx.Request, user *PoolUser) bool {
	return user.Sub != "" && user.Sub == req.Caller.UserID
}

func (u *Users) now() string {
	now := time.Now
	if u.Now != nil {
		now = u.Now
	}
	return now().UTC().Format(time.RFC3339)
}

func poolView(p *PoolUser, entry *registry.UserEntry) UserView {
	v := UserView{Username: p.Username, Email: p.Username, TenantID: p.TenantID, Role: string(p.Role), Enabled: p.Enabled, Status: p.Status}
	if entry != nil {
		v.Enabled = !entry.Disabled
		v.CreatedAt = entry.CreatedAt
	}
	if v.CreatedAt == "" && !p.CreatedAt.IsZero() {
		v.CreatedAt = p.CreatedAt.UTC().Format(time.RFC3339)
	}
	return v
}

// tenantRole validates a role a request asks for.
func tenantRole(raw string) (tenancy.Role, error) {
	role := tenancy.Role(raw)
	switch {
	case role == tenancy.RoleSystemAdmin:
		return "", errNotGrantable
	case role != tenancy.RoleTenantAdmin && role != tenancy.RoleTenantUser:
		return "", httpx.Invalid(map[string]string{"role": "must be TenantAdmin or TenantUser"})
	}
	return role, nil
}

func (u *Users) list(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
	limit, next, err := req.Page()
	if err != nil {
		return httpx.Response{}, err
	}
	rec, err := u.tenant(ctx, req)
	if err != nil {
		return httpx.Response{}, err
	}
	entries, next, err := u.Registry.ListUsers(ctx, rec.TenantID, limit, next)
	if err != nil {
		return httpx.Response{}, err
	}
	items := make([]UserView, len(entries))
	for i, e := range entries {
		items[i] = UserView{Username: e.Username, Email: e.Username, TenantID: e.TenantID, Role: e.Role, Enabled: !e.Disabled, CreatedAt: e.CreatedAt}
	}
	return httpx.Response{Status: http.StatusOK, Body: map[string]any{"items": items, "next": next}}, nil
}

// create adds a user to the tenant: the index entry first, then the pool
// user; if the pool refuses, the entry goes again, and the entry is written
// once more at the end, so neither an unindexed user nor (but for a failed
// compensation, which is logged) an entry without a user remains.
func (u *Users) create(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
	var in NewUserRequest
	if err := httpx.Decode(req.Body, &in); err != nil {
		return httpx.Response{}, err
	}
	fields := map[string]string{}
	if addr, err := mail.ParseAddress(in.Email); err != nil || addr.Address != in.Email || len(in.Email) > 254 {
		fields["email"] = "must be a plain email address such as ann@example.com"
	}
	role, rerr := tenantRole(in.Role)
	if errors.Is(rerr, errNotGrantable) {
		return httpx.Response{}, rerr
	} else if rerr != nil {
		fields["role"] = "must be TenantAdmin or TenantUser"
	}
	if in.TemporaryPassword != nil {
		if msg := PasswordProblem(*in.TemporaryPassword); msg != "" {
			fields["temporaryPassword"] = msg + ", or leave it out to have one emailed"
		}
	}
	if len(fields) > 0 {
		return httpx.Response{}, httpx.Invalid(fields)
	}
	rec, err := u.writableTenant(ctx, req)
	if err != nil {
		return httpx.Response{}, err
	}
	email := strings.ToLower(in.Email)
	now := u.now()
	entry := &registry.UserEntry{TenantID: rec.TenantID, Username: email, Role: string(role), CreatedAt: now, UpdatedAt: now}
	if err := u.Registry.IndexUser(ctx, entry); errors.Is(err, registry.ErrUserExists) {
		// A user of this tenant, or the entry of a creation that failed
		// before the pool answered: only the latter is taken over.
		existing, gerr := u.Pool.GetUser(ctx, email)
		switch {
		case gerr == nil && existing.TenantID != rec.TenantID:
			// The entry of an earlier refused creation: the email is
			// another tenant's user.
			u.undoIndex(ctx, rec.TenantID, email, nil)
			return httpx.Response{}, errUserExists
		case gerr == nil:
			return httpx.Response{}, errUserExists
		case !errors.Is(gerr, ErrNoSuchUser):
			return httpx.Response{}, gerr
		}
	} else if err != nil {
		return httpx.Response{}, err
	}

	var temp string
	if in.TemporaryPassword != nil {
		temp = *in.TemporaryPassword
	}
	user, err := u.Pool.CreateUser(ctx, NewUser{Email: email, TenantID: rec.TenantID, Tier: rec.Tier, Role: role, TemporaryPassword: temp})
	if err != nil {
		u.undoIndex(ctx, rec.TenantID, email, err)
		return httpx.Response{}, err
	}
	// Written again: a DELETE that found the entry without a user while the
	// pool was creating it may have removed it.
	if err := u.Registry.SaveUser(ctx, entry); err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if derr := u.Pool.DeleteUser(cctx, email); derr != nil {
			u.Logger.ErrorContext(ctx, "users: a created user could not be indexed nor deleted again", "tenant_id", rec.TenantID, "error", derr.Error())
		}
		return httpx.Response{}, err
	}
	return httpx.Response{Status: http.StatusCreated, Body: poolView(user, entry)}, nil
}

// undoIndex removes the entry of a creation the pool refused, unless the
// pool already has that user for this tenant (a concurrent creation of the
// same user, whose entry it is).
func (u *Users) undoIndex(ctx context.Context, tenantID, email string, cause error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if errors.Is(cause, ErrUserExists) {
		if other, err := u.Pool.GetUser(cctx, email); err != nil || other.TenantID == tenantID {
			return
		}
	}
	if err := u.Registry.UnindexUser(cctx, tenantID, email); err != nil {
		u.Logger.ErrorContext(ctx, "users: the index entry of a refused creation stays (GET answers 404; a new POST takes it over)",
			"tenant_id", tenantID, "error", err.Error())
	}
}

func (u *Users) get(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
	rec, err := u.tenant(ctx, req)
	if err != nil {
		return httpx.Response{}, err
	}
	entry, user, err := u.member(ctx, rec, username(req))
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.Response{Status: http.StatusOK, Body: poolView(user, entry)}, nil
}

// patch changes a user's role: the group and the custom:role attribute in
// the pool, then the index entry. Tokens issued before still carry the old
// role; the authorizer applies the index entry's role to them within its
// decision TTL (auth.Authorizer.CheckUsers).
func (u *Users) patch(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
	var in RoleChange
	if err := httpx.Decode(req.Body, &in); err != nil {
		return httpx.Response{}, err
	}
	role, err := tenantRole(in.Role)
	if err != nil {
		return httpx.Response{}, err
	}
	rec, err := u.writableTenant(ctx, req)
	if err != nil {
		return httpx.Response{}, err
	}
	entry, user, err := u.member(ctx, rec, username(req))
	if err != nil {
		return httpx.Response{}, err
	}
	if isSelf(req, user) {
		return httpx.Response{}, errSelf
	}
	if err := u.Pool.SetRole(ctx, user.Username, role); err != nil {
		return httpx.Response{}, err
	}
	user.Role = role
	entry.Role, entry.UpdatedAt = string(role), u.now()
	if err := u.Registry.SaveUser(ctx, entry); err != nil {
		return httpx.Response{}, err
	}
	return httpx.Response{Status: http.StatusOK, Body: poolView(user, entry)}, nil
}

// setEnabled disables or enables a user: the index entry first (so an
// activation of the tenant meanwhile keeps the admin's choice), then the
// pool; disabling also signs the user out everywhere.
func (u *Users) setEnabled(ctx context.Context, req *httpx.Request, enabled bool) (httpx.Response, error) {
	rec, err := u.writableTenant(ctx, req)
	if err != nil {
		return httpx.Response{}, err
	}
	entry, user, err := u.member(ctx, rec, username(req))
	if err != nil {
		return httpx.Response{}, err
	}
	if !enabled && isSelf(req, user) {
		return httpx.Response{}, errSelf
	}
	entry.Disabled, entry.UpdatedAt = !enabled, u.now()
	if err := u.Registry.SaveUser(ctx, entry); err != nil {
		return httpx.Response{}, err
	}
	if err := u.Pool.SetEnabled(ctx, user.Username, enabled); err != nil {
		return httpx.Response{}, err
	}
	if !enabled {
		if err := u.Pool.SignOut(ctx, user.Username); err != nil {
			return httpx.Response{}, err
		}
	}
	user.Enabled = enabled
	return httpx.Response{Status: http.StatusOK, Body: poolView(user, entry)}, nil
}

// delete removes a user from the pool, then from the index. An entry
// whose user the pool does not have (a creation that never finished) is
// removed too.
func (u *Users) delete(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
	rec, err := u.writableTenant(ctx, req)
	if err != nil {
		return httpx.Response{}, err
	}
	name := username(req)
	_, user, err := u.member(ctx, rec, name)
	switch {
	case errors.Is(err, ErrNoSuchUser):
	case err != nil:
		return httpx.Response{}, err
	case isSelf(req, user):
		return httpx.Response{}, errSelf
	default:
		if err := u.Pool.DeleteUser(ctx, user.Username); err != nil {
			return httpx.Response{}, err
		}
	}
	if err := u.Registry.UnindexUser(ctx, rec.TenantID, name); err != nil {
		return httpx.Response{}, err
	}
	return httpx.Response{Status: http.StatusNoContent}, nil
}
