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
	if usagePlanID == "" {
		return aws.ToString(key.Id), value, nil // a silo key, planned by tenantctl
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

// SetTenantUsersEnabled disables or enables every user of a tenant. Cognito
// cannot filter users on custom attributes, so the pool's users are read
// page by page and matched on custom:tenant_id.
func (d *CognitoDirectory) SetTenantUsersEnabled(ctx context.Context, tenantID string, enabled bool) (int, error) {
	changed := 0
	var token *string
	for {
		page, err := d.Client.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(d.UserPoolID), PaginationToken: token})
		if err != nil {
			return changed, err
		}
		for _, u := range page.Users {
			if attribute(u.Attributes, tenancy.ClaimTenantID) != tenantID {
				continue
			}
			if enabled {
				_, err = d.Client.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: aws.String(d.UserPoolID), Username: u.Username})
			} else {
				_, err = d.Client.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(d.UserPoolID), Username: u.Username})
			}
			if err != nil {
				return changed, err
			}
			changed++
		}
		if page.PaginationToken == nil || *page.PaginationToken == "" {
			return changed, nil
		}
		token = page.PaginationToken
	}
}
