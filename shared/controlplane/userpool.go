package controlplane

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// Errors of the user pool.
var (
	ErrNoSuchUser      = errors.New("no such user in the user pool")
	ErrUserExists      = errors.New("a user with this username exists in the user pool")
	ErrInvalidPassword = errors.New("the user pool refused the password")
)

// PoolUser is a user as the user pool knows it.
type PoolUser struct {
	Username  string // the email the user signs in with
	Sub       string
	TenantID  string
	Tier      string
	Role      tenancy.Role
	Enabled   bool
	Status    string // FORCE_CHANGE_PASSWORD until the first sign-in, then CONFIRMED
	CreatedAt time.Time
}

// NewUser is a user to create in a tenant.
type NewUser struct {
	Email    string
	TenantID string
	Tier     string
	Role     tenancy.Role
	// TemporaryPassword, if set, is the password of the first sign-in and
	// no invitation is sent (the admin hands it over); else the pool makes
	// one and emails it.
	TemporaryPassword string
}

// CreateUser creates a user who must choose a new password at the first
// sign-in (NEW_PASSWORD_REQUIRED), with the tenant attributes set by the
// admin API and the group of its role. If the group cannot be set, the user
// is deleted again.
func (d *CognitoDirectory) CreateUser(ctx context.Context, u NewUser) (*PoolUser, error) {
	in := &cip.AdminCreateUserInput{
		UserPoolId: aws.String(d.UserPoolID), Username: aws.String(u.Email),
		UserAttributes: []ciptypes.AttributeType{
			{Name: aws.String("email"), Value: aws.String(u.Email)},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
			{Name: aws.String(tenancy.ClaimTenantID), Value: aws.String(u.TenantID)},
			{Name: aws.String(tenancy.ClaimTenantTier), Value: aws.String(u.Tier)},
			{Name: aws.String(tenancy.ClaimRole), Value: aws.String(string(u.Role))},
		},
		DesiredDeliveryMediums: []ciptypes.DeliveryMediumType{ciptypes.DeliveryMediumTypeEmail},
	}
	if u.TemporaryPassword != "" {
		in.TemporaryPassword = aws.String(u.TemporaryPassword)
		in.MessageAction = ciptypes.MessageActionTypeSuppress
	}
	out, err := d.Client.AdminCreateUser(ctx, in)
	var exists *ciptypes.UsernameExistsException
	var badPassword *ciptypes.InvalidPasswordException
	switch {
	case errors.As(err, &exists):
		return nil, ErrUserExists
	case errors.As(err, &badPassword):
		return nil, fmt.Errorf("%w: %s", ErrInvalidPassword, badPassword.ErrorMessage())
	case err != nil:
		return nil, err
	}
	if _, err := d.Client.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
		UserPoolId: aws.String(d.UserPoolID), Username: aws.String(u.Email), GroupName: aws.String(string(u.Role)),
	}); err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if derr := d.DeleteUser(cctx, u.Email); derr != nil {
			return nil, fmt.Errorf("adding %s to group %s: %w (and deleting the user again failed: %v)", u.Email, u.Role, err, derr)
		}
		return nil, fmt.Errorf("adding %s to group %s: %w", u.Email, u.Role, err)
	}
	return poolUser(out.User.Attributes, out.User.Enabled, string(out.User.UserStatus), out.User.UserCreateDate, u.Email), nil
}

func poolUser(attrs []ciptypes.AttributeType, enabled bool, status string, created *time.Time, username string) *PoolUser {
	return &PoolUser{
		Username: username, Sub: attribute(attrs, "sub"),
		TenantID: attribute(attrs, tenancy.ClaimTenantID), Tier: attribute(attrs, tenancy.ClaimTenantTier),
		Role: tenancy.Role(attribute(attrs, tenancy.ClaimRole)), Enabled: enabled, Status: status, CreatedAt: aws.ToTime(created),
	}
}

func noSuchUser(err error) error {
	var gone *ciptypes.UserNotFoundException
	if errors.As(err, &gone) {
		return ErrNoSuchUser
	}
	return err
}

// GetUser reads a user; ErrNoSuchUser if there is none.
func (d *CognitoDirectory) GetUser(ctx context.Context, username string) (*PoolUser, error) {
	out, err := d.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(d.UserPoolID), Username: aws.String(username)})
	if err != nil {
		return nil, noSuchUser(err)
	}
	return poolUser(out.UserAttributes, out.Enabled, string(out.UserStatus), out.UserCreateDate, username), nil
}

// SetRole gives a user a tenant role: the group of the new role first, then
// the custom:role attribute that tokens carry, then out of the other tenant
// role's group. Each step is idempotent, so a retry completes a partial
// change. SystemAdmin is never given.
func (d *CognitoDirectory) SetRole(ctx context.Context, username string, role tenancy.Role) error {
	if role != tenancy.RoleTenantAdmin && role != tenancy.RoleTenantUser {
		return fmt.Errorf("controlplane: role %q is not a tenant role", role)
	}
	pool, user := aws.String(d.UserPoolID), aws.String(username)
	if _, err := d.Client.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, Username: user, GroupName: aws.String(string(role))}); err != nil {
		return noSuchUser(err)
	}
	if _, err := d.Client.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: pool, Username: user,
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String(tenancy.ClaimRole), Value: aws.String(string(role))}}}); err != nil {
		return noSuchUser(err)
	}
	other := tenancy.RoleTenantUser
	if role == tenancy.RoleTenantUser {
		other = tenancy.RoleTenantAdmin
	}
	_, err := d.Client.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: pool, Username: user, GroupName: aws.String(string(other))})
	return noSuchUser(err)
}

// SetEnabled enables or disables a user; ErrNoSuchUser if there is none.
func (d *CognitoDirectory) SetEnabled(ctx context.Context, username string, enabled bool) error {
	var err error
	if enabled {
		_, err = d.Client.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: aws.String(d.UserPoolID), Username: aws.String(username)})
	} else {
		_, err = d.Client.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(d.UserPoolID), Username: aws.String(username)})
	}
	return noSuchUser(err)
}

// SignOut revokes a user's refresh tokens and access tokens everywhere
// (AdminUserGlobalSignOut). ID tokens already issued stay valid for Cognito
// until they expire; the authorizer refuses them once the user's index
// entry says disabled (auth.Authorizer.CheckUsers).
func (d *CognitoDirectory) SignOut(ctx context.Context, username string) error {
	_, err := d.Client.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(d.UserPoolID), Username: aws.String(username)})
	return noSuchUser(err)
}
