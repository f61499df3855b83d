package e2e

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/devstack"
)

// burst sends n GET /products of tn at once (6 clients) and returns the
// answers by status and how long the burst took.
func burst(t *testing.T, c *client, tn *tenant, n int) (map[int]int, time.Duration) {
	t.Helper()
	cl := &client{t: t, base: tn.APIURL, http: c.http}
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[int]int{}
	started := time.Now()
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 6 {
				r := cl.do("GET", "/products", tn.Token, nil)
				mu.Lock()
				got[r.Status]++
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	return got, time.Since(started)
}

// tierChanges registers a basic tenant, epsilon, and moves it as
// PATCH /tenants/{id} promises: basic -> premium -> basic (its API key
// moves to the new tier's usage plan, so its throttling changes at once),
// then to the silo tier (refused for a TenantAdmin; for the SystemAdmin it
// requests provisioning: the tenant gets its own API, and the platform API
// stops accepting its key), then silo -> pool (refused: that needs a data
// migration), and a rename. alpha is another tenant whose name is taken.
//
// What it does not prove: that pooled items follow a tenant to its silo
// tables (the API promises provisioning, not a data migration), nor the
// token bucket of API Gateway itself (the local usage plans stand in).
func tierChanges(t *testing.T, c *client, s *devstack.Stack, adminToken string, alpha *tenant) *tenant {
	eps := register(t, c, s, "epsilon", "basic")
	eps.APIURL = tenantConfig(t, c, "epsilon", false)["apiUrl"].(string)
	path := "/tenants/" + eps.ID
	basic := s.Spec.Config.Tiers["basic"]

	// Refusals first: none of them may change the tenant.
	before := c.do("GET", path, adminToken, nil)
	require.Equal(t, http.StatusOK, before.Status, "the SystemAdmin reads the tenant: %s", before.Body)
	r := c.do("PATCH", path, eps.Token, map[string]any{"tier": "premium"})
	assert.Equal(t, http.StatusForbidden, r.Status, "a TenantAdmin upgraded its own tenant's tier: %s", r.Body)
	r = c.do("PATCH", "/tenants/"+alpha.ID, eps.Token, map[string]any{"tier": "basic"})
	assert.Equal(t, http.StatusForbidden, r.Status, "a TenantAdmin changed another tenant's tier: %s", r.Body)
	r = c.do("PATCH", path, adminToken, map[string]any{"tier": "gold"})
	require.Equal(t, http.StatusBadRequest, r.Status, "an unknown tier must be a 400: %s", r.Body)
	assert.Contains(t, r.json(t)["error"].(map[string]any)["fields"], "tier", "the error must name the bad field")
	r = c.do("PATCH", path, adminToken, map[string]any{})
	assert.Equal(t, http.StatusBadRequest, r.Status, "a PATCH that changes nothing must be a 400: %s", r.Body)
	r = c.do("PATCH", path, adminToken, map[string]any{"tenantName": alpha.Name})
	assert.Equal(t, http.StatusConflict, r.Status, "renaming onto a taken name must be a 409: %s", r.Body)
	assert.Equal(t, "name_taken", r.code())
	r = c.do("PATCH", "/tenants/nosuchtenant", adminToken, map[string]any{"tier": "premium"})
	assert.Equal(t, http.StatusNotFound, r.Status, "an unknown tenant must be a 404: %s", r.Body)
	assert.Equal(t, string(before.Body), string(c.do("GET", path, adminToken, nil).Body), "a refused PATCH changed the tenant")

	p := c.do("POST", "/products", eps.Token, map[string]any{"name": "Pooled", "price": 100})
	require.Equal(t, http.StatusCreated, p.Status, "epsilon creates a product on the pool: %s", p.Body)

	// Pool -> pool, up: the key is on premium's plan (burst 400) at once.
	time.Sleep(time.Second) // a full bucket, whatever the registration used
	got, took := burst(t, c, eps, 60)
	t.Logf("basic: %v in %s", got, took.Round(time.Millisecond))
	assert.Greater(t, got[http.StatusTooManyRequests], 0, "a basic tenant sending 60 requests at once was never throttled")
	assert.LessOrEqual(t, float64(got[http.StatusOK]), float64(basic.BurstLimit)+basic.RateLimit*took.Seconds()+1, "a basic tenant got more than its burst and rate allow")

	r = c.do("PATCH", path, adminToken, map[string]any{"tier": "premium"})
	require.Equal(t, http.StatusOK, r.Status, "basic -> premium: %s", r.Body)
	assert.Equal(t, "premium", r.json(t)["tier"])
	assert.Equal(t, "active", r.json(t)["status"], "a pool -> pool move keeps the tenant active")
	time.Sleep(authorizerTTL + 200*time.Millisecond)
	got, took = burst(t, c, eps, 60)
	t.Logf("premium: %v in %s", got, took.Round(time.Millisecond))
	assert.Equal(t, map[int]int{http.StatusOK: 60}, got, "after basic -> premium the tenant is still throttled: its API key did not move to premium's usage plan")
	assert.Equal(t, "premium", tenantConfig(t, c, "epsilon", false)["tier"], "tenant-config must show the new tier once its cache expires")

	// Pool -> pool, down: basic's limits again.
	r = c.do("PATCH", path, adminToken, map[string]any{"tier": "basic"})
	require.Equal(t, http.StatusOK, r.Status, "premium -> basic: %s", r.Body)
	time.Sleep(authorizerTTL + 200*time.Millisecond)
	got, took = burst(t, c, eps, 60)
	t.Logf("basic again: %v in %s", got, took.Round(time.Millisecond))
	assert.Greater(t, got[http.StatusTooManyRequests], 0, "after premium -> basic the tenant is never throttled: its API key stayed on premium's usage plan")
	assert.LessOrEqual(t, float64(got[http.StatusOK]), float64(basic.BurstLimit)+basic.RateLimit*took.Seconds()+1, "after premium -> basic the tenant got more than basic's burst and rate allow")
	assert.Zero(t, got[http.StatusForbidden], "a tier change left the tenant's key on no plan of the platform API")

	// Pool -> silo: provisioning is requested; the tenant gets its own API
	// and its key serves that API only.
	r = c.do("PATCH", path, adminToken, map[string]any{"tier": "platinum"})
	require.Equal(t, http.StatusOK, r.Status, "basic -> platinum: %s", r.Body)
	assert.Equal(t, "platinum", r.json(t)["tier"])
	assert.Equal(t, "provisioning", r.json(t)["status"], "a pool -> silo move must answer that the tenant's stack is being provisioned")
	cfg := tenantConfig(t, c, "epsilon", true)
	assert.Equal(t, s.APIURL+"/silo/"+eps.ID, cfg["apiUrl"], "a tenant moved to a silo tier must get its own API")
	assert.Equal(t, "platinum", cfg["tier"])
	rec := c.do("GET", path, adminToken, nil).json(t)
	assert.Equal(t, "active", rec["status"], "the provisioned silo tenant must be active")
	pooledAPI := eps.APIURL
	eps.APIURL, eps.Tier = cfg["apiUrl"].(string), "platinum"
	time.Sleep(authorizerTTL + 200*time.Millisecond)
	sp := c.do("POST", eps.APIURL+"/products", eps.Token, map[string]any{"name": "Siloed", "price": 100})
	require.Equal(t, http.StatusCreated, sp.Status, "the tenant's token must work on its new silo API: %s", sp.Body)
	r = c.do("GET", pooledAPI+"/products", eps.Token, nil)
	assert.Equal(t, http.StatusForbidden, r.Status, "a tenant moved to its own stack is still served by the pooled API: %s", r.Body)
	got, _ = burst(t, c, eps, 60)
	assert.Equal(t, map[int]int{http.StatusOK: 60}, got, "the silo tenant's key must be on its stack's usage plan (platinum limits)")

	// Silo -> pool needs a data migration: refused, nothing changed.
	before = c.do("GET", path, adminToken, nil)
	r = c.do("PATCH", path, adminToken, map[string]any{"tier": "basic"})
	assert.Equal(t, http.StatusConflict, r.Status, "a silo -> pool move must be refused: %s", r.Body)
	assert.Equal(t, "migration_required", r.code())
	assert.Equal(t, string(before.Body), string(c.do("GET", path, adminToken, nil).Body), "a refused silo -> pool move changed the tenant")
	assert.Equal(t, http.StatusOK, c.do("GET", eps.APIURL+"/products/"+sp.json(t)["productId"].(string), eps.Token, nil).Status,
		"a refused silo -> pool move broke the tenant's own API")

	// A rename: the new name resolves to the same tenant, the old one no
	// longer does.
	r = c.do("PATCH", path, adminToken, map[string]any{"tenantName": "epsilon-two"})
	require.Equal(t, http.StatusOK, r.Status, "rename: %s", r.Body)
	assert.Equal(t, eps.ID, tenantConfig(t, c, "epsilon-two", true)["tenantId"], "the new name must resolve to the same tenant")
	assert.Eventually(t, func() bool { return c.do("GET", "/tenant-config/epsilon", "", nil).Status == http.StatusNotFound },
		15*time.Second, 100*time.Millisecond, "the old name still resolves after a rename")
	eps.Name = "epsilon-two"
	return eps
}
