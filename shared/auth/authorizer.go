package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tenantforge/tenantforge/shared/obs"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// Tenant statuses the authorizer cares about.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// ErrUnauthorized is what API Gateway turns into 401: the caller is not
// authenticated. The message must be exactly "Unauthorized".
var ErrUnauthorized = errors.New("Unauthorized") //nolint:staticcheck // API Gateway matches this exact text

// ErrTenantNotFound is returned by a TenantLookup for an unknown tenant.
var ErrTenantNotFound = errors.New("tenant not found")

// Tenant is what the authorizer needs of a tenant's registry record.
type Tenant struct {
	ID          string
	Name        string
	Tier        string
	Status      string
	APIKeyValue string
	// FetchedAt is when the record was read from the registry (zero: now).
	FetchedAt time.Time
}

// TenantLookup reads a tenant from the registry.
type TenantLookup interface {
	Tenant(ctx context.Context, id string) (*Tenant, error)
}

// Decision is the outcome for one token.
type Decision struct {
	Identity *Identity
	// Tenant is nil for SystemAdmins.
	Tenant *Tenant
	// Allow is false for an authenticated caller who may call nothing
	// (suspended or unknown tenant): API Gateway answers 403.
	Allow  bool
	Reason string
	// Routes are the routes the caller may call.
	Routes  []tenancy.Route
	expires time.Time
}

// Authorizer verifies a token, checks the caller's tenant and decides what
// the caller may call. Decisions are cached per token for TTL (never past
// the token's expiry), so a suspended tenant is refused within TTL.
type Authorizer struct {
	verifier *Verifier
	tenants  TenantLookup
	users    UserLookup // nil: the token's role is trusted (CheckUsers)
	ttl      time.Duration
	now      func() time.Time

	mu    sync.Mutex
	cache map[string]*Decision

	// Logger, when set, gets one line per authorization: the decision
	// (allow, deny, unauthorized, error), tenant, role and reason; never
	// the token. The stack counts denials from these lines.
	Logger *slog.Logger
	// Tracer sends the authorizer's subsegment (obs.DefaultTracer() when
	// nil: silent outside Lambda).
	Tracer *obs.Tracer
}

// MaxCachedDecisions bounds the decision cache of one process.
const MaxCachedDecisions = 10000

// NewAuthorizer returns an authorizer caching decisions for ttl.
func NewAuthorizer(v *Verifier, tenants TenantLookup, ttl time.Duration) *Authorizer {
	return &Authorizer{verifier: v, tenants: tenants, ttl: ttl, now: v.cfg.Now, cache: map[string]*Decision{}}
}

// Decide returns the decision for an Authorization header. An error that
// wraps ErrUnauthorized means 401; any other error is the registry failing.
func (a *Authorizer) Decide(ctx context.Context, header string) (*Decision, error) {
	token, err := BearerToken(header)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	now := a.now()
	a.mu.Lock()
	if d, ok := a.cache[token]; ok && now.Before(d.expires) {
		a.mu.Unlock()
		return d, nil
	}
	a.mu.Unlock()

	id, err := a.verifier.Verify(ctx, token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	// The registry lookup below and its trace belong to the caller's tenant.
	ctx = obs.WithTenant(ctx, id.TenantID)
	obs.Current(ctx).Annotate(obs.AnnotationTenant, id.TenantID)
	d := &Decision{Identity: id, Allow: true, Routes: tenancy.RoutesFor(id.Role)}
	if id.Role != tenancy.RoleSystemAdmin {
		t, err := a.tenants.Tenant(ctx, id.TenantID)
		switch {
		case errors.Is(err, ErrTenantNotFound):
			d.Allow, d.Reason, d.Routes = false, "unknown tenant", nil
		case err != nil:
			return nil, fmt.Errorf("looking up tenant %s: %w", id.TenantID, err)
		case t.Status != StatusActive:
			d.Allow, d.Reason, d.Routes = false, "tenant is "+t.Status, nil
		default:
			d.Tenant = t
			// The registry, not the token, is the truth about the tier: a
			// tier change applies before the user's next sign-in.
			id.Tier = t.Tier
			if a.users != nil {
				if err := a.checkUser(ctx, d); err != nil {
					return nil, fmt.Errorf("looking up user %s of tenant %s: %w", id.UserID, id.TenantID, err)
				}
			}
		}
	}
	d.expires = now.Add(a.ttl)
	if d.Tenant != nil && !d.Tenant.FetchedAt.IsZero() && d.Tenant.FetchedAt.Add(a.ttl).Before(d.expires) {
		d.expires = d.Tenant.FetchedAt.Add(a.ttl) // never trust a registry answer older than the TTL
	}
	if id.Expires.Before(d.expires) {
		d.expires = id.Expires
	}
	if a.ttl > 0 {
		a.store(token, d, now)
	}
	return d, nil
}

func (a *Authorizer) store(token string, d *Decision, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.cache) >= MaxCachedDecisions {
		for k, v := range a.cache {
			if !now.Before(v.expires) {
				delete(a.cache, k)
			}
		}
		if len(a.cache) >= MaxCachedDecisions {
			clear(a.cache) // all live: start over rather than grow without bound
		}
	}
	a.cache[token] = d
}

// Handle is the Lambda handler of a REQUEST authorizer.
func (a *Authorizer) Handle(ctx context.Context, req events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	header := req.Headers["Authorization"]
	if header == "" {
		header = req.Headers["authorization"]
	}
	start := time.Now()
	tracer := a.Tracer
	if tracer == nil {
		tracer = obs.DefaultTracer()
	}
	ctx, seg := tracer.Start(ctx, "authorizer")
	d, err := a.Decide(ctx, header)
	outcome, tenant, role, reason := "allow", "", "", ""
	switch {
	case errors.Is(err, ErrUnauthorized):
		outcome, reason = "unauthorized", err.Error()
	case err != nil:
		outcome, reason = "error", err.Error()
	default:
		tenant, role, reason = d.Identity.TenantID, string(d.Identity.Role), d.Reason
		if !d.Allow {
			outcome = "deny"
		}
		seg.Annotate(obs.AnnotationTenant, tenant)
	}
	seg.Annotate("decision", outcome)
	if outcome == "error" {
		seg.End(err)
	} else {
		seg.End(nil)
	}
	if a.Logger != nil {
		level := slog.LevelInfo
		if outcome == "error" {
			level = slog.LevelError
		}
		a.Logger.Log(ctx, level, "authorization", "decision", outcome, "tenant_id", tenant, "role", role, "reason", reason,
			"method", req.HTTPMethod, "route", req.Resource, "request_id", req.RequestContext.RequestID,
			"latency_ms", float64(time.Since(start).Microseconds())/1000)
	}
	if errors.Is(err, ErrUnauthorized) {
		return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
	}
	if err != nil {
		return events.APIGatewayCustomAuthorizerResponse{}, err
	}
	return d.Response(req.MethodArn), nil
}

// Response renders the decision for API Gateway: an IAM policy allowing the
// caller's routes on this API and stage (or denying everything), the
// context the handlers read, and the tenant's API key for its usage plan.
func (d *Decision) Response(methodArn string) events.APIGatewayCustomAuthorizerResponse {
	id := d.Identity
	resp := events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: id.UserID,
		Context: map[string]any{
			"tenantId": id.TenantID,
			"tier":     id.Tier,
			"role":     string(id.Role),
			"userId":   id.UserID,
		},
	}
	prefix := apiPrefix(methodArn)
	stmt := events.IAMPolicyStatement{Action: []string{"execute-api:Invoke"}, Effect: "Deny", Resource: []string{prefix + "*"}}
	if d.Allow && len(d.Routes) > 0 {
		stmt.Effect, stmt.Resource = "Allow", nil
		for _, r := range d.Routes {
			stmt.Resource = append(stmt.Resource, prefix+r.Method+"/"+resourcePath(r, id))
		}
	}
	resp.PolicyDocument = events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: []events.IAMPolicyStatement{stmt}}
	if d.Allow && d.Tenant != nil {
		resp.UsageIdentifierKey = d.Tenant.APIKeyValue
	}
	return resp
}

// apiPrefix turns "arn:aws:execute-api:r:a:api/stage/GET/x" into
// "arn:aws:execute-api:r:a:api/stage/".
func apiPrefix(methodArn string) string {
	parts := strings.SplitN(methodArn, "/", 3)
	if len(parts) < 2 {
		return methodArn + "/"
	}
	return parts[0] + "/" + parts[1] + "/"
}
