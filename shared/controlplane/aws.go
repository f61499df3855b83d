package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// CognitoDirectory is the Directory of a Cognito user pool.
type CognitoDirectory struct {
	Client     *cip.Client
	UserPoolID string
	// Index is the per-tenant user index (registry.Store.TenantUsers):
	// Cognito cannot list a tenant's users.
	Index *registry.Store
}

// CreateTenantAdmin creates the tenant's first admin.
func (d *CognitoDirectory) CreateTenantAdmin(ctx context.Context, email, password string, t *registry.Record) error {
	attrs := []ciptypes.AttributeType{
		{Name: aws.String("email"), Value: aws.String(email)},
		{Name: aws.String("email_verified"), Value: aws.String("true")},
		{Name: aws.String(tenancy.ClaimTenantID), Value: aws.String(t.TenantID)},
		{Name: aws.String(tenancy.ClaimTenantTier), Value: aws.String(t.Tier)},
		{Name: aws.String(tenancy.ClaimRole), Value: aws.String(string(tenancy.RoleTenantAdmin))},
	}
	_, err := d.Client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(d.UserPoolID), Username: aws.String(email),
		UserAttributes: attrs, MessageAction: ciptypes.MessageActionTypeSuppress,
	})
	var exists *ciptypes.UsernameExistsException
	if errors.As(err, &exists) {
		// A retry of the same registration finds its own user; anyone
		// else's user is not ours to take.
		user, gerr := d.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(d.UserPoolID), Username: aws.String(email)})
		if gerr != nil {
			return gerr
		}
		if attribute(user.UserAttributes, tenancy.ClaimTenantID) != t.TenantID {
			return ErrEmailTaken
		}
	} else if err != nil {
		return err
	}
	if _, err := d.Client.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(d.UserPoolID), Username: aws.String(email), Password: aws.String(password), Permanent: true,
	}); err != nil {
		return err
	}
	_, err = d.Client.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
		UserPoolId: aws.String(d.UserPoolID), Username: aws.String(email), GroupName: aws.String(string(tenancy.RoleTenantAdmin)),
	})
	return err
}

// DeleteUser deletes a user; a user already gone is fine.
func (d *CognitoDirectory) DeleteUser(ctx context.Context, email string) error {
	_, err := d.Client.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(d.UserPoolID), Username: aws.String(email)})
	var gone *ciptypes.UserNotFoundException
	if errors.As(err, &gone) {
		return nil
	}
	return err
}

func attribute(attrs []ciptypes.AttributeType, name string) string {
	for _, a := range attrs {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// GatewayKeys are API keys of API Gateway.
type GatewayKeys struct {
	Client *apigateway.Client
}

// Create makes the tenant's key and puts it on the usage plan; if the
// plan refuses it, the key is deleted again.
func (g *GatewayKeys) Create(ctx context.Context, tenantID, usagePlanID string) (string, string, error) {
	raw := make([]byte, 30)
	_, _ = rand.Read(raw)
	value := base64.RawURLEncoding.EncodeToString(raw)
	key, err := g.Client.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{
		Name: aws.String("tenant-" + tenantID), Enabled: true, Value: aws.String(value),
		Description: aws.String("tenantforge tenant " + tenantID), Tags: map[string]string{"tenant-id": tenantID},
	})
	if err != nil {
		return "", "", err
	}
	if _, err := g.Client.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{
		UsagePlanId: aws.String(usagePlanID), KeyId: key.Id, KeyType: aws.String("API_KEY"),
	}); err != nil {
		_ = g.Delete(ctx, aws.ToString(key.Id))
		return "", "", err
	}
	return aws.ToString(key.Id), value, nil
}

// Delete removes a key; a key already gone is fine.
func (g *GatewayKeys) Delete(ctx context.Context, id string) error {
	_, err := g.Client.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: aws.String(id)})
	var gone *agtypes.NotFoundException
	if errors.As(err, &gone) {
		return nil
	}
	return err
}

// Attach puts a key on a usage plan; a key already on it is fine. (API
// Gateway answers a conflict both for that and for a key still on another
// plan of the same stage, so a conflict is checked against the plan.)
func (g *GatewayKeys) Attach(ctx context.Context, id, usagePlanID string) error {
	_, err := g.Client.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{
		UsagePlanId: aws.String(usagePlanID), KeyId: aws.String(id), KeyType: aws.String("API_KEY"),
	})
	var conflict *agtypes.ConflictException
	if errors.As(err, &conflict) {
		if _, gerr := g.Client.GetUsagePlanKey(ctx, &apigateway.GetUsagePlanKeyInput{UsagePlanId: aws.String(usagePlanID), KeyId: aws.String(id)}); gerr == nil {
			return nil
		}
	}
	return err
}

// Detach takes a key off a usage plan; a key not on it is fine.
func (g *GatewayKeys) Detach(ctx context.Context, id, usagePlanID string) error {
	_, err := g.Client.DeleteUsagePlanKey(ctx, &apigateway.DeleteUsagePlanKeyInput{UsagePlanId: aws.String(usagePlanID), KeyId: aws.String(id)})
	var gone *agtypes.NotFoundException
	if errors.As(err, &gone) {
		return nil
	}
	return err
}

// EventBus publishes to an EventBridge bus.
type EventBus struct {
	Client *eventbridge.Client
	Bus    string
}

// Source is the source of the control plane's events.
const Source = "tenantforge.controlplane"

// Publish puts one event on the bus.
func (b *EventBus) Publish(ctx context.Context, detailType string, detail any) error {
	body, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	out, err := b.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(b.Bus), Source: aws.String(Source), DetailType: aws.String(detailType), Detail: aws.String(string(body)),
	}}})
	if err != nil {
		return err
	}
	if out.FailedEntryCount > 0 {
		return fmt.Errorf("eventbridge refused %s: %s", detailType, aws.ToString(out.Entries[0].ErrorMessage))
	}
	return nil
}

// SetTenantUsersEnabled disables or enables every user of a tenant, walking
// the tenant's user index. Enabling skips users their tenant's admin
// disabled, so activating a tenant does not undo that. A user in the index
// but not in the pool (a creation that never finished) is skipped.
func (d *CognitoDirectory) SetTenantUsersEnabled(ctx context.Context, tenantID string, enabled bool) (int, error) {
	return d.eachTenantUser(ctx, tenantID, func(u registry.UserEntry) error {
		if enabled && u.Disabled {
			return errSkip
		}
		return d.SetEnabled(ctx, u.Username, enabled)
	})
}

// SetTenantUsersTier writes the tenant's new tier into each of its users'
// custom:tenant_tier (the authorizer reads the tier from the registry, so
// this only brings the users' tokens in line at their next sign-in).
func (d *CognitoDirectory) SetTenantUsersTier(ctx context.Context, tenantID, tier string) (int, error) {
	return d.eachTenantUser(ctx, tenantID, func(u registry.UserEntry) error {
		_, err := d.Client.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
			UserPoolId: aws.String(d.UserPoolID), Username: aws.String(u.Username),
			UserAttributes: []ciptypes.AttributeType{{Name: aws.String(tenancy.ClaimTenantTier), Value: aws.String(tier)}},
		})
		return noSuchUser(err)
	})
}

// DeleteTenantUsers disables every user of a tenant, then deletes each one
// from the pool and then from the index: a failure half-way leaves users
// that cannot sign in and are still indexed, and the same call again
// finishes. A user already gone from the pool is fine.
func (d *CognitoDirectory) DeleteTenantUsers(ctx context.Context, tenantID string) (int, error) {
	if _, err := d.SetTenantUsersEnabled(ctx, tenantID, false); err != nil {
		return 0, err
	}
	deleted := 0
	err := d.Index.TenantUsers(ctx, tenantID, func(u registry.UserEntry) error {
		if err := d.DeleteUser(ctx, u.Username); err != nil {
			return err
		}
		if err := d.Index.UnindexUser(ctx, tenantID, u.Username); err != nil && !errors.Is(err, registry.ErrUserNotFound) {
			return err
		}
		deleted++
		return nil
	})
	return deleted, err
}

// errSkip tells eachTenantUser that fn left a user alone on purpose.
var errSkip = errors.New("skipped")

// eachTenantUser calls fn with every user in the tenant's index and counts
// the users fn changed. A user in the index but no longer in the pool (a
// creation that never finished) is skipped.
func (d *CognitoDirectory) eachTenantUser(ctx context.Context, tenantID string, fn func(registry.UserEntry) error) (int, error) {
	if d.Index == nil {
		return 0, errors.New("controlplane: CognitoDirectory.Index (the tenant user index) is not set")
	}
	changed := 0
	err := d.Index.TenantUsers(ctx, tenantID, func(u registry.UserEntry) error {
		switch err := fn(u); {
		case errors.Is(err, errSkip), errors.Is(err, ErrNoSuchUser):
			return nil
		case err != nil:
			return err
		}
		changed++
		return nil
	})
	return changed, err
}
