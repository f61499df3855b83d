package controlplane

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	miniserver "github.com/truora/minidyn/server"

	"github.com/tenantforge/tenantforge/internal/localdynamo"
	"github.com/tenantforge/tenantforge/internal/standin"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// keys is an in-memory API Gateway: API keys on usage plans. Like API
// Gateway, it refuses a key on a second plan (of the same stage) and
// counts plan moves.
type keys struct {
	mu      sync.Mutex
	live    map[string]string // key id -> usage plan ("" on none)
	n       int
	failing bool
	// failAttach makes putting a key on this plan fail.
	failAttach         string
	attaches, detaches int
}

func (k *keys) Attach(_ context.Context, id, plan string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	current, ok := k.live[id]
	switch {
	case !ok:
		return fmt.Errorf("NotFoundException: no API key %s", id)
	case plan == k.failAttach:
		return errors.New("TooManyRequestsException")
	case current == plan:
		return nil
	case current != "":
		return fmt.Errorf("ConflictException: key %s is on usage plan %s of the same stage", id, current)
	}
	k.attaches++
	k.live[id] = plan
	return nil
}

func (k *keys) Detach(_ context.Context, id, plan string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.live[id] == plan {
		k.detaches++
		k.live[id] = ""
	}
	return nil
}

func (k *keys) plan(id string) string { k.mu.Lock(); defer k.mu.Unlock(); return k.live[id] }

func (k *keys) Create(_ context.Context, tenantID, plan string) (string, string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.failing {
		return "", "", errors.New("TooManyRequestsException")
	}
	k.n++
	id := fmt.Sprintf("key%d", k.n)
	k.live[id] = plan
	return id, "value-of-" + tenantID, nil
}

func (k *keys) Delete(_ context.Context, id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.live, id)
	return nil
}

func (k *keys) count() int { k.mu.Lock(); defer k.mu.Unlock(); return len(k.live) }

// events is an in-memory event bus.
type events struct {
	mu        sync.Mutex
	published []string
	failOn    string
}

func (e *events) Publish(_ context.Context, detailType string, detail any) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if detailType == e.failOn {
		return errors.New("eventbridge unavailable")
	}
	e.published = append(e.published, fmt.Sprintf("%s:%s", detailType, detail.(TenantEvent).TenantName))
	return nil
}

// faultyDirectory fails on demand around the real cognito-local directory.
type faultyDirectory struct {
	Directory
	failCreate  bool
	afterCreate func()
}

func (f *faultyDirectory) CreateTenantAdmin(ctx context.Context, email, password string, t *registry.Record) error {
	if f.failCreate {
		return errors.New("cognito: TooManyRequestsException")
	}
	err := f.Directory.CreateTenantAdmin(ctx, email, password, t)
	if err == nil && f.afterCreate != nil {
		f.afterCreate()
	}
	return err
}

type fixture struct {
	reg    *Registrar
	store  *registry.Store
	db     *miniserver.Server
	cip    *cip.Client
	pool   *standin.UserPool
	dir    *faultyDirectory
	keys   *keys
	events *events
	dynamo *dynamodb.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	proc, err := standin.StartCognitoLocal(ctx, "../..", t.TempDir(), 0)
	require.NoError(t, err)
	t.Cleanup(proc.Stop)
	client := standin.CognitoClient(proc.URL)
	pool, err := standin.CreateUserPool(ctx, client, "test", []string{"email", tenancy.ClaimTenantID, tenancy.ClaimRole}, []string{"email"})
	require.NoError(t, err)
	local := localdynamo.Start(nil)
	t.Cleanup(local.Close)
	require.NoError(t, local.CreateRegistryTable(ctx, "registry"))
	store := registry.New(local.Client, "registry")
	f := &fixture{
		store: store, db: local.Server, cip: client, pool: pool,
		dir:  &faultyDirectory{Directory: &CognitoDirectory{Client: client, UserPoolID: pool.ID, Index: store}},
		keys: &keys{live: map[string]string{}}, events: &events{}, dynamo: local.Client,
	}
	f.reg = &Registrar{Registry: f.store, Directory: f.dir, Keys: f.keys, Events: f.events, Tiers: map[string]TierPlan{
		"basic":    {Deployment: tenancy.DeploymentPool, UsagePlanID: "plan-basic"},
		"platinum": {Deployment: tenancy.DeploymentSilo, UsagePlanID: "plan-platinum"},
	}}
	return f
}

const password = "Correct-Horse-9-Battery"

func (f *fixture) signIn(t *testing.T, email string) error {
	_, err := f.cip.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: aws.String(f.pool.ClientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	return err
}

func (f *fixture) users(t *testing.T) int {
	out, err := f.cip.ListUsers(context.Background(), &cip.ListUsersInput{UserPoolId: aws.String(f.pool.ID)})
	require.NoError(t, err)
	return len(out.Users)
}

// indexed lists the usernames in every tenant's user index, as
// "<tenantId>/<username>".
func (f *fixture) indexed(t *testing.T) []string {
	t.Helper()
	out, err := f.dynamo.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("registry"), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	names := []string{}
	for _, item := range out.Items {
		if pk := item["pk"].(*dtypes.AttributeValueMemberS).Value; strings.HasPrefix(pk, "USER#") {
			names = append(names, item["tenantId"].(*dtypes.AttributeValueMemberS).Value+"/"+item["username"].(*dtypes.AttributeValueMemberS).Value)
		}
	}
	slices.Sort(names)
	return names
}

func reg(name, email, tier string) Registration {
	return Registration{TenantName: name, AdminEmail: email, AdminPassword: password, Tier: tier}
}

func TestRegisterPooledTenant(t *testing.T) {
	f := newFixture(t)
	rec, err := f.reg.Register(context.Background(), reg("acme", "admin@acme.example", "basic"))
	require.NoError(t, err)
	assert.Equal(t, registry.StatusActive, rec.Status)
	assert.Regexp(t, `^t[0-9a-f]{12}$`, rec.TenantID)
	assert.Equal(t, "plan-basic", f.keys.live[rec.APIKeyID], "the tenant's key is on its tier's plan")
	assert.Equal(t, "value-of-"+rec.TenantID, rec.APIKeyValue)
	assert.Equal(t, []string{"TenantRegistered:acme"}, f.events.published)

	stored, err := f.store.GetByName(context.Background(), "acme")
	require.NoError(t, err)
	assert.Equal(t, rec, stored)
	require.NoError(t, f.signIn(t, "admin@acme.example"), "the admin signs in with the password chosen at registration")
	user, err := f.cip.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool.ID), Username: aws.String("admin@acme.example")})
	require.NoError(t, err)
	assert.Equal(t, rec.TenantID, attribute(user.UserAttributes, tenancy.ClaimTenantID))
	assert.Equal(t, "TenantAdmin", attribute(user.UserAttributes, tenancy.ClaimRole))
	assert.Equal(t, "basic", attribute(user.UserAttributes, tenancy.ClaimTenantTier))
	// (cognito-local files members by their internal username, so the
	// group is read from its member list.)
	members, err := f.cip.ListUsersInGroup(context.Background(), &cip.ListUsersInGroupInput{UserPoolId: aws.String(f.pool.ID), GroupName: aws.String("TenantAdmin")})
	require.NoError(t, err)
	require.Len(t, members.Users, 1, "the admin must be in the TenantAdmin group")
	assert.Equal(t, "admin@acme.example", attribute(members.Users[0].Attributes, "email"))
	assert.Equal(t, []string{rec.TenantID + "/admin@acme.example"}, f.indexed(t), "the admin must be in the tenant's user index, or suspension would miss it")
}

func TestRegisterSiloTenantRequestsProvisioning(t *testing.T) {
	f := newFixture(t)
	rec, err := f.reg.Register(context.Background(), reg("globex", "admin@globex.example", "platinum"))
	require.NoError(t, err)
	assert.Equal(t, registry.StatusProvisioning, rec.Status)
	assert.Equal(t, []string{"TenantRegistered:globex", "TenantProvisioningRequested:globex"}, f.events.published)
}

func TestTheSameRequestTwiceGivesOneTenant(t *testing.T) {
	f := newFixture(t)
	_, err := f.reg.Register(context.Background(), reg("acme", "admin@acme.example", "basic"))
	require.NoError(t, err)
	_, err = f.reg.Register(context.Background(), reg("acme", "admin@acme.example", "basic"))
	assert.ErrorIs(t, err, ErrNameTaken)
	assert.Equal(t, 1, f.users(t))
	assert.Equal(t, 1, f.keys.count())
}

func TestRacingRegistrationsOfOneNameHaveOneWinner(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.reg.Register(context.Background(), reg("acme", fmt.Sprintf("admin%d@acme.example", i), "basic"))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			assert.ErrorIs(t, err, ErrNameTaken)
		}
	}
	assert.Equal(t, 1, won)
	assert.Equal(t, 1, f.users(t), "losers must leave no user behind")
	assert.Equal(t, 1, f.keys.count(), "losers must leave no API key behind")
}

// A failure at any step leaves nothing behind: the name is free again, and
// no user, key or event remains.
func TestFailuresAreCompensated(t *testing.T) {
	for name, inject := range map[string]func(f *fixture){
		"cognito":            func(f *fixture) { f.dir.failCreate = true },
		"api gateway":        func(f *fixture) { f.keys.failing = true },
		"first event":        func(f *fixture) { f.events.failOn = "TenantRegistered" },
		"provisioning event": func(f *fixture) { f.events.failOn = "TenantProvisioningRequested" },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			inject(f)
			_, err := f.reg.Register(context.Background(), reg("acme", "admin@acme.example", "platinum"))
			require.ErrorIs(t, err, ErrUnavailable)
			_, err = f.store.GetByName(context.Background(), "acme")
			assert.ErrorIs(t, err, registry.ErrNotFound, "the name must be free again")
			assert.Zero(t, f.users(t), "no orphan user")
			assert.Zero(t, f.keys.count(), "no orphan API key")
			assert.Empty(t, f.indexed(t), "no orphan user index entry")

			f.dir.failCreate, f.keys.failing, f.events.failOn = false, false, ""
			f.events.published = nil
			rec, err := f.reg.Register(context.Background(), reg("acme", "admin@acme.example", "platinum"))
			require.NoError(t, err, "after the fault a new attempt must succeed")
			assert.Equal(t, registry.StatusProvisioning, rec.Status)
		})
	}
}

// When the registry itself fails mid-way, compensation cannot release the
// name: the record stays "registering" and the same request completes it.
func TestARetryCompletesWhatACrashLeft(t *testing.T) {
	f := newFixture(t)
	f.dir.afterCreate = func() { f.db.EmulateFailure(miniserver.FailureConditionInternalServerError) }
	_, err := f.reg.Register(context.Background(), reg("acme", "admin@acme.example", "basic"))
	require.ErrorIs(t, err, ErrUnavailable)
	f.db.EmulateFailure(miniserver.FailureConditionNone)
	f.dir.afterCreate = nil

	stuck, err := f.store.GetByName(context.Background(), "acme")
	require.NoError(t, err)
	assert.Equal(t, registry.StatusRegistering, stuck.Status)

	_, err = f.reg.Register(context.Background(), reg("acme", "someone@else.example", "basic"))
	assert.ErrorIs(t, err, ErrNameTaken, "another admin cannot take over a half-done registration")

	rec, err := f.reg.Register(context.Background(), reg("acme", "admin@acme.example", "basic"))
	require.NoError(t, err, "the same request completes the registration")
	assert.Equal(t, stuck.TenantID, rec.TenantID)
	assert.Equal(t, registry.StatusActive, rec.Status)
	assert.Equal(t, 1, f.users(t))
	assert.Equal(t, 1, f.keys.count())
	assert.Equal(t, []string{rec.TenantID + "/admin@acme.example"}, f.indexed(t), "the retry keeps one index entry")
	require.NoError(t, f.signIn(t, "admin@acme.example"))
}

func TestAnotherTenantsAdminEmailIsRefused(t *testing.T) {
	f := newFixture(t)
	_, err := f.reg.Register(context.Background(), reg("acme", "admin@shared.example", "basic"))
	require.NoError(t, err)
	_, err = f.reg.Register(context.Background(), reg("globex", "admin@shared.example", "basic"))
	assert.ErrorIs(t, err, ErrEmailTaken)
	_, err = f.store.GetByName(context.Background(), "globex")
	assert.ErrorIs(t, err, registry.ErrNotFound, "the refused registration must not keep its name")
	assert.Equal(t, 1, f.keys.count())
	assert.Len(t, f.indexed(t), 1, "the refused registration must not keep an index entry")
	require.NoError(t, f.signIn(t, "admin@shared.example"), "the first tenant's admin is untouched")
}

func TestValidationNamesEveryBadField(t *testing.T) {
	f := &Registrar{Tiers: map[string]TierPlan{"basic": {}, "premium": {}}}
	err := f.Validate(Registration{TenantName: "A", AdminEmail: "nope", AdminPassword: "short", Tier: "gold"})
	var fe FieldErrors
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "must be 3-63 lowercase letters, digits or inner hyphens", fe["tenantName"])
	assert.Contains(t, fe["adminEmail"], "plain email address")
	assert.Contains(t, fe["adminPassword"], "at least 12 characters")
	assert.Equal(t, "must be one of the tiers: basic, premium", fe["tier"])
	for _, p := range []string{"alllowercase1!", "ALLUPPERCASE1!", "NoDigitsHere!!", "NoSymbols12345", "Sh0rt!"} {
		assert.NotEmpty(t, PasswordProblem(p), p)
	}
	assert.Empty(t, PasswordProblem(password))
}
