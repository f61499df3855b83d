package controlplane

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/registry"
)

// Identity is what a client needs to sign in to a tenant.
type Identity struct {
	UserPoolID  string `json:"userPoolId"`
	AppClientID string `json:"appClientId"`
	Region      string `json:"region"`
	Endpoint    string `json:"endpoint"`
}

// TenantConfig is the body of GET /tenant-config/{tenantName}.
type TenantConfig struct {
	TenantID   string   `json:"tenantId"`
	TenantName string   `json:"tenantName"`
	Tier       string   `json:"tier"`
	APIURL     string   `json:"apiUrl"`
	Identity   Identity `json:"identity"`
}

// Public serves the public control-plane routes.
type Public struct {
	Registrar *Registrar
	Registry  *registry.Store
	Identity  Identity
	// PlatformAPIURL is the API of pooled tenants; "" means the API the
	// request came through.
	PlatformAPIURL string
	// CacheTTL is how long a tenant configuration is cached.
	CacheTTL time.Duration
	Now      func() time.Time

	mu    sync.Mutex
	cache map[string]cachedConfig
}

type cachedConfig struct {
	config  *TenantConfig
	expires time.Time
}

func mapErrors(err error) *httpx.Error {
	var fields FieldErrors
	switch {
	case errors.As(err, &fields):
		return httpx.Invalid(fields)
	case errors.Is(err, ErrNameTaken):
		return httpx.Errorf(http.StatusConflict, "name_taken", "a tenant with this name exists; choose another name")
	case errors.Is(err, ErrEmailTaken):
		return httpx.Errorf(http.StatusConflict, "email_taken", "this email is the admin of another tenant; use another email")
	case errors.Is(err, ErrUnavailable):
		return httpx.ErrUnavailable
	}
	return nil
}

// Router returns the router of the public routes.
func (p *Public) Router(logger *slog.Logger) *httpx.Router {
	r := &httpx.Router{Service: "registration", Logger: logger, Mappers: []httpx.Mapper{mapErrors}}
	r.HandlePublic("POST", "/registrations", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		var in Registration
		if err := httpx.Decode(req.Body, &in); err != nil {
			return httpx.Response{}, err
		}
		rec, err := p.Registrar.Register(ctx, in)
		if err != nil {
			return httpx.Response{}, err
		}
		p.forget(rec.Name) // this instance may hold the name's 404 from before
		return httpx.Response{Status: http.StatusCreated, Body: map[string]string{
			"tenantId": rec.TenantID, "tenantName": rec.Name, "tier": rec.Tier, "status": rec.Status,
		}}, nil
	})
	r.HandlePublic("GET", "/tenant-config/{tenantName}", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		cfg, err := p.TenantConfig(ctx, req.Params["tenantName"])
		if err != nil {
			return httpx.Response{}, err
		}
		if cfg.APIURL == "" && req.Event != nil {
			// A pooled tenant uses the API this request came through.
			c := *cfg
			c.APIURL = "https://" + req.Event.RequestContext.DomainName + "/" + req.Event.RequestContext.Stage
			cfg = &c
		}
		return httpx.Response{Status: http.StatusOK, Body: cfg}, nil
	})
	return r
}

// forget drops a name's cached answer.
func (p *Public) forget(name string) {
	p.mu.Lock()
	delete(p.cache, name)
	p.mu.Unlock()
}

// TenantConfig returns what a client needs to sign in to a tenant. Unknown,
// unfinished and deleted tenants are all the same 404, so the route tells
// nothing beyond whether a usable tenant has that name.
func (p *Public) TenantConfig(ctx context.Context, name string) (*TenantConfig, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	p.mu.Lock()
	if c, ok := p.cache[name]; ok && now().Before(c.expires) {
		p.mu.Unlock()
		if c.config == nil {
			return nil, httpx.ErrNotFound
		}
		return c.config, nil
	}
	p.mu.Unlock()

	var cfg *TenantConfig
	rec, err := p.Registry.GetByName(ctx, name)
	switch {
	case errors.Is(err, registry.ErrNotFound):
	case err != nil:
		return nil, httpx.ErrUnavailable
	case rec.Status == registry.StatusActive || rec.Status == registry.StatusSuspended || rec.Status == registry.StatusProvisioning:
		api := p.PlatformAPIURL
		if rec.APIURL != "" {
			api = rec.APIURL // a silo tenant's own API
		}
		cfg = &TenantConfig{TenantID: rec.TenantID, TenantName: rec.Name, Tier: rec.Tier, APIURL: api, Identity: p.Identity}
	}
	p.mu.Lock()
	if p.cache == nil || len(p.cache) > 10000 {
		p.cache = map[string]cachedConfig{}
	}
	ttl := p.CacheTTL
	if cfg == nil {
		ttl = min(ttl, 5*time.Second) // a name registered just now soon resolves
	}
	p.cache[name] = cachedConfig{config: cfg, expires: now().Add(ttl)}
	p.mu.Unlock()
	if cfg == nil {
		return nil, httpx.ErrNotFound
	}
	return cfg, nil
}
