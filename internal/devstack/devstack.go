package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/localdynamo"
	"github.com/tenantforge/tenantforge/internal/standin"
	"github.com/tenantforge/tenantforge/shared/apidef"
	"github.com/tenantforge/tenantforge/shared/app"
	"github.com/tenantforge/tenantforge/shared/auth"
	"github.com/tenantforge/tenantforge/shared/billing"
	"github.com/tenantforge/tenantforge/shared/controlplane"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/store"
	"github.com/tenantforge/tenantforge/shared/tenancy"
	"github.com/tenantforge/tenantforge/shared/tvm"
)

// Options configure a local stack.
type Options struct {
	// Dir is the repository root (Pulumi.yaml, node_modules, build/).
	Dir string
	// Stack is the platform stack to run; "dev" by default.
	Stack string
	// DataDir keeps cognito-local's data and the tables' snapshot across
	// restarts; "" runs on a temporary directory that Close removes.
	DataDir string
	// Port of the web app and API on 127.0.0.1; 0 picks a free one.
	Port          int
	AdminEmail    string
	AdminPassword string
	// AuthorizerTTL overrides the stack's authorizer cache (identity.
	// authorizerCacheSeconds); the suite shortens it to see suspensions.
	AuthorizerTTL *time.Duration
	// WebDir holds the built web app; Dir/build/web by default.
	WebDir string
	// Logger receives the functions' JSON logs; discarded when nil.
	Logger *slog.Logger
	// AccessLog, when set, gets one line per API request.
	AccessLog io.Writer
}

// Defaults of `make dev`.
const (
	DefaultPort          = 8080
	DefaultAdminPassword = "Tenantforge-Local-1!"
)

// Stack is a running local SaaS.
type Stack struct {
	// URL is the web app; APIURL the platform API; CognitoURL the local
	// Cognito endpoint clients use.
	URL, APIURL, CognitoURL string
	// CognitoLocalURL is cognito-local itself (admin API, no guard).
	CognitoLocalURL string
	UserPoolID      string
	ClientID        string
	AdminEmail      string
	AdminPassword   string
	Spec            *Spec

	STS       *STS
	Guard     *Guard
	Keys      *Keys
	Requests  *Recorder
	Events    *Bus
	Cognito   *cip.Client
	SignOuts  *SignOuts
	Registry  *registry.Store
	DynamoURL string

	opts      Options
	dataDir   string
	temp      bool
	cognito   *standin.Process
	dynamo    *localdynamo.Local
	server    *http.Server
	listener  net.Listener
	authz     *auth.Authorizer
	logger    *slog.Logger
	platform  *Gateway
	mu        sync.Mutex
	silos     map[string]*Gateway
	siloTable map[string]string
	tables    []Table
	stop      chan struct{}
	done      sync.WaitGroup
	closeOnce sync.Once
}

type state struct {
	UserPoolID  string `json:"userPoolId"`
	ClientID    string `json:"clientId"`
	CognitoPort int    `json:"cognitoPort"`
}

// Start runs the local SaaS. Close stops it.
func Start(ctx context.Context, opts Options) (s *Stack, err error) {
	if opts.Stack == "" {
		opts.Stack = "dev"
	}
	if opts.AdminPassword == "" {
		opts.AdminPassword = DefaultAdminPassword
	}
	if msg := controlplane.PasswordProblem(opts.AdminPassword); msg != "" {
		return nil, fmt.Errorf("TENANTFORGE_ADMIN_PASSWORD %s", msg)
	}
	if opts.WebDir == "" {
		opts.WebDir = filepath.Join(opts.Dir, "build", "web")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	spec, err := LoadSpec(opts.Dir, opts.Stack, infra.Artifacts{Dir: filepath.Join(opts.Dir, infra.DefaultArtifactsDir)})
	if err != nil {
		return nil, err
	}
	s = &Stack{Spec: spec, opts: opts, logger: logger, Requests: &Recorder{Log: opts.AccessLog}, silos: map[string]*Gateway{}, siloTable: map[string]string{}, stop: make(chan struct{})}
	defer func() {
		if err != nil {
			s.Close()
			s = nil
		}
	}()
	s.dataDir = opts.DataDir
	if s.dataDir == "" {
		if s.dataDir, err = os.MkdirTemp("", "tenantforge-dev-"); err != nil {
			return s, err
		}
		s.temp = true
	}
	if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
		return s, err
	}
	s.listener, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(opts.Port))
	if err != nil {
		return s, fmt.Errorf("port %d is busy (%v): stop what uses it or choose another with TENANTFORGE_DEV_PORT", opts.Port, err)
	}
	s.URL = "http://" + s.listener.Addr().String()
	s.APIURL, s.CognitoURL = s.URL+"/api", s.URL+"/cognito/"

	st := s.readState()
	port := st.CognitoPort
	if port != 0 && !portFree(port) {
		port = 0
	}
	if s.cognito, err = standin.StartCognitoLocal(ctx, opts.Dir, filepath.Join(s.dataDir, "cognito"), port); err != nil {
		return s, err
	}
	s.CognitoLocalURL = s.cognito.URL
	s.Cognito = standin.CognitoClient(s.cognito.URL)
	if err := s.userPool(ctx, st); err != nil {
		return s, err
	}
	s.AdminEmail = spec.Admin.Email
	if opts.AdminEmail != "" {
		s.AdminEmail = opts.AdminEmail
		spec.Admin.Email = opts.AdminEmail
		spec.Admin.Attributes["email"] = opts.AdminEmail
	}
	s.AdminPassword = opts.AdminPassword
	if err := seedAdmin(ctx, s.Cognito, s.UserPoolID, spec.Admin, s.AdminPassword); err != nil {
		return s, err
	}
	if err := s.startDynamo(); err != nil {
		return s, err
	}
	if err := s.wire(); err != nil {
		return s, err
	}
	if err := s.restoreTenants(ctx); err != nil {
		return s, err
	}
	mux := http.NewServeMux()
	cg, err := newCognitoGuard(s.cognito.URL, spec.Pool.WriteAttrs, spec.Pool.AdminOnly)
	if err != nil {
		return s, err
	}
	cg.disabled = func(ctx context.Context, username string) bool {
		u, err := s.Cognito.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(s.UserPoolID), Username: aws.String(username)})
		return err == nil && !u.Enabled
	}
	mux.Handle("/cognito/", http.StripPrefix("/cognito", cg))
	mux.HandleFunc("/api/silo/", s.serveSilo)
	mux.Handle("/api/", http.StripPrefix("/api", s.platform))
	mux.HandleFunc("/config.json", s.serveConfig)
	mux.Handle("/", s.web())
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(s.listener) }()
	if !s.temp {
		s.done.Add(1)
		go s.snapshots()
	}
	return s, nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func (s *Stack) statePath() string { return filepath.Join(s.dataDir, "state.json") }

func (s *Stack) readState() state {
	var st state
	if b, err := os.ReadFile(s.statePath()); err == nil {
		_ = json.Unmarshal(b, &st)
	}
	return st
}

// userPool reuses the pool a previous run created, or creates it.
func (s *Stack) userPool(ctx context.Context, st state) error {
	if st.UserPoolID != "" {
		if _, err := s.Cognito.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(st.UserPoolID)}); err == nil {
			s.UserPoolID, s.ClientID = st.UserPoolID, st.ClientID
		}
	}
	if s.UserPoolID == "" {
		var err error
		if s.UserPoolID, s.ClientID, err = createUserPool(ctx, s.Cognito, s.Spec.Pool); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(state{UserPoolID: s.UserPoolID, ClientID: s.ClientID, CognitoPort: s.cognito.Port})
	return os.WriteFile(s.statePath(), b, 0o600)
}

func (s *Stack) snapshotPath() string { return filepath.Join(s.dataDir, "dynamodb.json") }

// startDynamo runs the emulator behind the guard, creates the platform's
// tables and restores the last snapshot (with the silo tables in it).
func (s *Stack) startDynamo() error {
	s.STS = newSTS(str(s.Spec.outputs[infra.OutTenantRoleArn]))
	s.dynamo = localdynamo.Start(func(next http.Handler) http.Handler {
		s.Guard = newGuard(s.STS, s.Spec.RegistryTable, s.Spec.PooledTable, s.Spec.UsageTable, next)
		return s.Guard
	})
	s.DynamoURL = s.dynamo.URL
	for _, t := range s.Spec.Tables {
		if err := createTable(s.dynamo.Server, t); err != nil {
			return fmt.Errorf("creating table %s: %w", t.Name, err)
		}
	}
	s.tables = slices.Clone(s.Spec.Tables)
	if !s.temp {
		restored, n, err := loadSnapshot(s.dynamo.Server, s.snapshotPath())
		if err != nil {
			return err
		}
		for _, t := range restored {
			s.addTable(t)
		}
		s.logger.Info("restored the local tables", "items", n)
	}
	// The usage plan ids the registration function reads. Silo tiers get
	// a plan of their own once the tenant's stack exists; until then their
	// keys sit on a local holding plan with the tier's limits, which no
	// API accepts.
	ids := maps.Clone(s.Spec.PlanIDs)
	plans := maps.Clone(s.Spec.Plans)
	for name, tier := range s.Spec.Config.Tiers {
		if tier.Deployment == tenancy.DeploymentSilo {
			ids[name] = pendingPlan(name)
			plans[ids[name]] = Limits{Tier: name, Rate: tier.RateLimit, Burst: tier.BurstLimit, QuotaPerDay: tier.QuotaPerDay}
		}
	}
	s.Keys = newKeys(plans)
	b, _ := json.Marshal(ids)
	_, err := raw(s.dynamo.Server, "PutItem", map[string]any{"TableName": s.Spec.RegistryTable, "Item": map[string]any{
		tenancy.RegistryPartitionKey: map[string]string{"S": registry.UsagePlansKey}, "plans": map[string]string{"S": string(b)},
	}})
	return err
}

func pendingPlan(tier string) string { return "local-pending-" + tier }

func (s *Stack) addTable(t Table) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.tables, func(x Table) bool { return x.Name == t.Name }) {
		s.tables = append(s.tables, t)
	}
}

// dynamoClient is a DynamoDB client of the emulator signed with key, whose
// calls carry the gateway's request id.
func (s *Stack) dynamoClient(key string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: s.Spec.Region, BaseEndpoint: aws.String(s.DynamoURL),
		Credentials: aws.NewCredentialsCache(staticKey(key))}, TagRequests)
}

type staticKey string

func (k staticKey) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: string(k), SecretAccessKey: "local", Source: "devstack"}, nil
}

func (s *Stack) ttl() time.Duration {
	if s.opts.AuthorizerTTL != nil {
		return *s.opts.AuthorizerTTL
	}
	return time.Duration(s.Spec.Config.Identity.AuthorizerCacheSeconds) * time.Second
}

// wire builds the functions as their mains do, with local clients: the
// authorizer, the pool group (through the STS stand-in), the control plane.
func (s *Stack) wire() error {
	issuer := s.cognito.URL + "/" + s.UserPoolID
	verifier, err := auth.NewVerifier(auth.VerifierConfig{Issuer: issuer, ClientIDs: []string{s.ClientID}, Leeway: 5 * time.Second},
		auth.NewKeySet(issuer+"/.well-known/jwks.json", 30*time.Second))
	if err != nil {
		return err
	}
	platformDB := s.dynamoClient(PlatformKey)
	s.Registry = registry.New(platformDB, s.Spec.RegistryTable)
	ttl := s.ttl()
	s.authz = auth.NewAuthorizer(verifier, auth.NewCachedTenants(auth.RegistryTenants{Store: s.Registry}, ttl, nil), ttl).
		CheckUsers(auth.RegistryUsers{Store: s.Registry})

	base := aws.Config{Region: s.Spec.Region, Credentials: staticKey(PlatformKey)}
	vendor := tvm.New(s.STS, str(s.Spec.outputs[infra.OutTenantRoleArn]), base)
	pooled := store.NewDynamo(app.PoolClients(vendor, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(s.DynamoURL) }, TagRequests), s.Spec.PooledTable)

	tiers := map[string]controlplane.TierPlan{}
	for name, t := range s.Spec.Config.Tiers {
		tiers[name] = controlplane.TierPlan{Deployment: t.Deployment}
	}
	s.Events = &Bus{provision: s.provisionLater, deprovision: s.deprovisionLater}
	s.SignOuts = &SignOuts{}
	directory := &controlplane.CognitoDirectory{Client: adminCognito(s.Cognito, s.SignOuts), UserPoolID: s.UserPoolID, Index: s.Registry}
	public := &controlplane.Public{
		Registrar: &controlplane.Registrar{Registry: s.Registry, Directory: directory, Keys: s.Keys, Events: s.Events,
			Tiers: tiers, PlanIDs: s.Registry.UsagePlans, Logger: s.logger},
		Registry:       s.Registry,
		Identity:       controlplane.Identity{UserPoolID: s.UserPoolID, AppClientID: s.ClientID, Region: s.Spec.Region, Endpoint: s.CognitoURL},
		PlatformAPIURL: s.APIURL,
		CacheTTL:       ttl,
	}
	deployments := map[string]string{}
	for name, t := range tiers {
		deployments[name] = t.Deployment
	}
	tenants := &controlplane.Tenants{Registry: s.Registry, Users: directory,
		Usage: &billing.Store{DB: s.dynamoClient(TenantsKey), Table: s.Spec.UsageTable}, Lifecycle: controlplane.Lifecycle{
			Keys: s.Keys, Events: s.Events, Purger: &store.Purger{DB: s.dynamoClient(TenantsKey), Table: s.Spec.PooledTable},
			Tiers: deployments, PlanIDs: s.Registry.UsagePlans, Logger: s.logger,
		}}
	users := &controlplane.Users{Registry: s.Registry, Pool: directory, Logger: s.logger}
	functions := map[string]Function{
		"products":     app.NewProducts(pooled, s.logger, nil).Serve,
		"orders":       app.NewOrders(pooled, s.logger, nil).Serve,
		"registration": public.Router(s.logger).Serve,
		"tenants":      tenants.Router(s.logger).Serve,
		"users":        users.Router(s.logger).Serve,
	}
	def, err := apidef.Merge(apidef.Application, apidef.ControlPlane)
	if err != nil {
		return err
	}
	platformPlans := map[string]bool{}
	for id := range s.Spec.Plans {
		platformPlans[id] = true
	}
	s.platform, err = newGateway("platform", "localapi01", s.Spec.Region, def, functions, s.authz.Handle, s.Keys,
		func(id string) bool { return platformPlans[id] }, s.Requests)
	return err
}

func (s *Stack) siloURL(tenantID string) string { return s.APIURL + "/silo/" + tenantID }

// serveSilo routes /api/silo/<tenantId>/... to that silo tenant's API.
func (s *Stack) serveSilo(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/api/silo/")
	tenant, path, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	gw := s.silos[tenant]
	s.mu.Unlock()
	if gw == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"code":"no_such_api","message":"no silo tenant API here: the tenant is unknown or not provisioned yet"}}`)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + path
	gw.ServeHTTP(w, r2)
}

// Bus is the local lifecycle event bus: it keeps the events and, for
// TenantProvisioningRequested, runs the local equivalent of the tenant
// deployer.
type Bus struct {
	mu          sync.Mutex
	events      []PublishedEvent
	provision   func(controlplane.TenantEvent)
	deprovision func(controlplane.TenantEvent)
}

// PublishedEvent is one event on the local bus.
type PublishedEvent struct {
	DetailType string
	Detail     any
}

// Publish implements controlplane.Events.
func (b *Bus) Publish(_ context.Context, detailType string, detail any) error {
	b.mu.Lock()
	b.events = append(b.events, PublishedEvent{DetailType: detailType, Detail: detail})
	b.mu.Unlock()
	if ev, ok := detail.(controlplane.TenantEvent); ok {
		switch detailType {
		case controlplane.EventProvisioningRequested:
			b.provision(ev)
		case controlplane.EventDeprovisioningRequested:
			b.deprovision(ev)
		}
	}
	return nil
}

// Published returns the events so far.
func (b *Bus) Published() []PublishedEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.events)
}

func (s *Stack) provisionLater(ev controlplane.TenantEvent) {
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		// After the registration's response, as the deployer runs after it.
		time.Sleep(50 * time.Millisecond)
		if err := s.provision(context.Background(), ev.TenantID); err != nil {
			s.logger.Error("local provisioning failed", "tenant_id", ev.TenantID, "error", err.Error())
		}
	}()
}

func (s *Stack) deprovisionLater(ev controlplane.TenantEvent) {
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		time.Sleep(50 * time.Millisecond)
		if err := s.siloDown(ev.TenantID); err != nil {
			s.logger.Error("local deprovisioning failed", "tenant_id", ev.TenantID, "error", err.Error())
		}
	}()
}

// siloDown does locally what removing a silo tenant's stack does: its API
// and its table are gone.
func (s *Stack) siloDown(tenantID string) error {
	s.mu.Lock()
	delete(s.silos, tenantID)
	table := s.siloTable[tenantID]
	delete(s.siloTable, tenantID)
	s.tables = slices.DeleteFunc(s.tables, func(t Table) bool { return t.Name == table })
	s.mu.Unlock()
	if table == "" {
		return nil
	}
	s.Guard.removeSilo(table)
	s.Guard.writes.Add(1) // the next snapshot leaves the table out
	return deleteTable(s.dynamo.Server, table)
}

// provision does locally what the tenant deployer does on AWS: plan the
// tenant's stack, create its table and API, put the tenant's key on the
// stack's usage plan, and mark the tenant active with its own API URL.
// Only a silo tenant that is provisioning is provisioned: the event is at
// least once and runs after the request that sent it, so it may find the
// tenant offboarded (or offboarding) meanwhile, and must not bring it, its
// API or its deleted API key back.
func (s *Stack) provision(ctx context.Context, tenantID string) error {
	upped := false
	for attempt := 0; attempt < 5; attempt++ {
		rec, err := s.Registry.Get(ctx, tenantID)
		if err != nil {
			return err
		}
		if rec.Status != registry.StatusProvisioning || s.Spec.Config.Tiers[rec.Tier].Deployment != tenancy.DeploymentSilo {
			s.logger.Info("local provisioning: nothing to do", "tenant_id", tenantID, "status", rec.Status, "tier", rec.Tier)
			if upped && (rec.Status == registry.StatusOffboarding || rec.Status == registry.StatusDeleted) {
				// Offboarded while this run brought the silo up: take
				// down what it brought up, the key included.
				if rec.APIKeyID != "" {
					_ = s.Keys.Delete(ctx, rec.APIKeyID)
				}
				return s.siloDown(tenantID)
			}
			return nil
		}
		upped = true
		silo, err := s.siloUp(rec)
		if err != nil {
			rec.Status, rec.Reason = registry.StatusProvisioningFailed, err.Error()
			_ = s.Registry.Update(ctx, rec, rec.Version)
			return err
		}
		rec.Status, rec.SiloStack, rec.APIURL = registry.StatusActive, silo.Stack, s.siloURL(tenantID)
		rec.UpdatedAt = time.Now().UTC().Format(time.RFC3339)
		err = s.Registry.Update(ctx, rec, rec.Version)
		if !errors.Is(err, registry.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("tenant %s changed during provisioning five times", tenantID)
}

// siloUp creates (or, after a restart, re-creates) a silo tenant's table,
// plan and API.
func (s *Stack) siloUp(rec *registry.Record) (*SiloStack, error) {
	silo, err := s.Spec.PlanSilo(rec.TenantID, rec.Name, rec.Tier)
	if err != nil {
		return nil, err
	}
	if err := createTable(s.dynamo.Server, silo.Table); err != nil {
		return nil, fmt.Errorf("creating %s: %w", silo.Table.Name, err)
	}
	s.addTable(silo.Table)
	s.Guard.addSilo(silo.Table.Name, rec.TenantID)
	s.Keys.AddPlan(silo.PlanID, silo.Limits)
	if rec.APIKeyID != "" {
		s.Keys.restore(rec.APIKeyID, rec.APIKeyValue, rec.TenantID, silo.PlanID)
		if err := s.Keys.Move(rec.APIKeyID, silo.PlanID); err != nil {
			return nil, err
		}
	}
	db := store.NewDynamo(app.SiloClient(s.dynamoClient(siloPrefix+rec.TenantID), rec.TenantID), silo.Table.Name)
	functions := map[string]Function{
		"products": app.NewProducts(db, s.logger, nil).Serve,
		"orders":   app.NewOrders(db, s.logger, nil).Serve,
	}
	planID := silo.PlanID
	gw, err := newGateway("silo:"+rec.TenantID, "silo"+rec.TenantID, s.Spec.Region, apidef.Application, functions, s.authz.Handle, s.Keys,
		func(id string) bool { return id == planID }, s.Requests)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.silos[rec.TenantID] = gw
	s.siloTable[rec.TenantID] = silo.Table.Name
	s.mu.Unlock()
	return silo, nil
}

// restoreTenants puts the keys of the tenants in the registry back on
// their plans and brings up the silo tenants' APIs after a restart.
func (s *Stack) restoreTenants(ctx context.Context) error {
	next := ""
	for {
		recs, after, err := s.Registry.List(ctx, 100, next)
		if err != nil {
			return fmt.Errorf("reading the restored registry: %w", err)
		}
		for i := range recs {
			rec := &recs[i]
			tier := s.Spec.Config.Tiers[rec.Tier]
			switch {
			case rec.Status == registry.StatusDeleted:
			case tier.Deployment == tenancy.DeploymentSilo && rec.SiloStack != "":
				if _, err := s.siloUp(rec); err != nil {
					return err
				}
				if url := s.siloURL(rec.TenantID); rec.APIURL != url {
					// The local stack moved to another port.
					rec.APIURL = url
					if err := s.Registry.Update(ctx, rec, rec.Version); err != nil {
						return fmt.Errorf("updating the API URL of %s: %w", rec.TenantID, err)
					}
				}
			case tier.Deployment == tenancy.DeploymentSilo:
				s.Keys.restore(rec.APIKeyID, rec.APIKeyValue, rec.TenantID, pendingPlan(rec.Tier))
				if rec.Status == registry.StatusProvisioning {
					s.provisionLater(controlplane.TenantEvent{TenantID: rec.TenantID, TenantName: rec.Name, Tier: rec.Tier})
				}
			case rec.APIKeyID != "":
				s.Keys.restore(rec.APIKeyID, rec.APIKeyValue, rec.TenantID, s.Spec.PlanIDs[rec.Tier])
			}
		}
		if after == "" {
			return nil
		}
		next = after
	}
}

// Snapshot writes the tables to the data directory now.
func (s *Stack) Snapshot() error {
	if s.temp || s.dynamo == nil {
		return nil
	}
	s.mu.Lock()
	tables := slices.Clone(s.tables)
	s.mu.Unlock()
	return saveSnapshot(s.dynamo.Server, tables, s.snapshotPath())
}

// snapshots saves the tables two seconds after writes, so a crash loses
// at most that much.
func (s *Stack) snapshots() {
	defer s.done.Done()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	saved := s.Guard.writes.Load()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			if n := s.Guard.writes.Load(); n != saved {
				if err := s.Snapshot(); err != nil {
					s.logger.Error("snapshot failed", "error", err.Error())
					continue
				}
				saved = n
			}
		}
	}
}

// Close stops the server and the stand-ins, after a last snapshot.
func (s *Stack) Close() {
	s.closeOnce.Do(func() {
		close(s.stop)
		if s.server != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = s.server.Shutdown(ctx)
			cancel()
		} else if s.listener != nil {
			s.listener.Close()
		}
		s.done.Wait()
		if err := s.Snapshot(); err != nil {
			s.logger.Error("final snapshot failed", "error", err.Error())
		}
		if s.dynamo != nil {
			s.dynamo.Close()
		}
		if s.cognito != nil {
			s.cognito.Stop()
		}
		if s.temp && s.dataDir != "" {
			os.RemoveAll(s.dataDir)
		}
	})
}

// CognitoPID is cognito-local's process id.
func (s *Stack) CognitoPID() int {
	if s.cognito == nil {
		return 0
	}
	return s.cognito.PID()
}

func (s *Stack) serveConfig(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	// config.json as the stack writes it next to the app on AWS.
	_ = json.NewEncoder(w).Encode(infra.RuntimeConfig{APIBase: "/api", Region: s.Spec.Region, Tiers: s.Spec.Config.Tiers,
		Identity: infra.RuntimeIdentity{UserPoolID: s.UserPoolID, AppClientID: s.ClientID, Region: s.Spec.Region, Endpoint: s.CognitoURL}})
}

const placeholder = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tenantforge (local)</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>tenantforge is running locally</h1>
<p>The web app is not built yet (<code>build/web</code> is missing): run <code>make build</code>, then reload.</p>
<p>The API is at <a href="/api/tenant-config/example"><code>/api/</code></a>, its configuration at <a href="/config.json"><code>/config.json</code></a>.</p>
</body></html>
`

// web serves the built web app; paths without a file get index.html (the
// app routes in the browser), and without a build, a placeholder page.
func (s *Stack) web() http.Handler {
	files := http.FileServer(http.Dir(s.opts.WebDir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		index := filepath.Join(s.opts.WebDir, "index.html")
		if _, err := os.Stat(index); err != nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, placeholder)
			return
		}
		clean := filepath.Clean("/" + r.URL.Path)
		if info, err := os.Stat(filepath.Join(s.opts.WebDir, clean)); err != nil || info.IsDir() && clean != "/" {
			http.ServeFile(w, r, index)
			return
		}
		files.ServeHTTP(w, r)
	})
}
