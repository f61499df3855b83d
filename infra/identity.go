package infra

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cognito"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// Identity is the one Cognito user pool of all tenants, the web app's public
// client, a group per role and the stack's SystemAdmin user.
type Identity struct {
	pulumi.ResourceState

	UserPoolID  pulumi.StringOutput `pulumi:"userPoolId"`
	UserPoolArn pulumi.StringOutput `pulumi:"userPoolArn"`
	ClientID    pulumi.StringOutput `pulumi:"clientId"`
	IssuerURL   pulumi.StringOutput `pulumi:"issuerUrl"`
	JwksURL     pulumi.StringOutput `pulumi:"jwksUrl"`
}

// IdentityArgs configures Identity.
type IdentityArgs struct {
	Namer    Namer
	Region   string
	Identity IdentityConfig
	// AdminEmail is the SystemAdmin created with the pool.
	AdminEmail string
	// DeletionProtection guards the pool (on outside dev).
	DeletionProtection bool
}

// ClientAttributes returns what the web app's client may read and write.
// The tenant, tier and role attributes are readable (they are the claims the
// authorizer trusts) and never writable, so no user can move themselves to
// another tenant or promote themselves.
func ClientAttributes() (read, write []string) {
	read = []string{"email", "email_verified", "name", tenancy.ClaimTenantID, tenancy.ClaimTenantTier, tenancy.ClaimRole}
	write = []string{"email", "name"}
	return read, write
}

// NewIdentity registers the user pool, its client, groups and admin user.
func NewIdentity(ctx *pulumi.Context, name string, args *IdentityArgs, opts ...pulumi.ResourceOption) (*Identity, error) {
	if args == nil {
		return nil, errors.New("identity: args are required")
	}
	if args.AdminEmail == "" || args.Region == "" {
		return nil, errors.New("identity: AdminEmail and Region are required")
	}
	c := &Identity{}
	if err := ctx.RegisterComponentResource("tenantforge:identity:Identity", name, c, opts...); err != nil {
		return nil, err
	}
	id := args.Identity
	deletion := "INACTIVE"
	if args.DeletionProtection {
		deletion = "ACTIVE"
	}
	tier := "ESSENTIALS"
	if id.AdvancedSecurity != AdvancedSecurityOff {
		tier = "PLUS" // threat protection is a Plus feature
	}
	custom := func(attr string, maxLen int) cognito.UserPoolSchemaArgs {
		return cognito.UserPoolSchemaArgs{
			Name:              pulumi.String(attr),
			AttributeDataType: pulumi.String("String"),
			// Mutable for the admin API (a tier change updates the tier);
			// the client's write attributes keep users from changing it.
			Mutable: pulumi.Bool(true),
			StringAttributeConstraints: &cognito.UserPoolSchemaStringAttributeConstraintsArgs{
				MinLength: pulumi.String("1"),
				MaxLength: pulumi.String(fmt.Sprint(maxLen)),
			},
		}
	}
	pool, err := cognito.NewUserPool(ctx, name+"-users", &cognito.UserPoolArgs{
		Name:                          pulumi.String(args.Namer.Name("users", 128)),
		UsernameAttributes:            pulumi.StringArray{pulumi.String("email")},
		AutoVerifiedAttributes:        pulumi.StringArray{pulumi.String("email")},
		UsernameConfiguration:         &cognito.UserPoolUsernameConfigurationArgs{CaseSensitive: pulumi.Bool(false)},
		UserPoolTier:                  pulumi.String(tier),
		DeletionProtection:            pulumi.String(deletion),
		MfaConfiguration:              pulumi.String("OPTIONAL"),
		SoftwareTokenMfaConfiguration: &cognito.UserPoolSoftwareTokenMfaConfigurationArgs{Enabled: pulumi.Bool(true)},
		PasswordPolicy: &cognito.UserPoolPasswordPolicyArgs{
			MinimumLength:                 pulumi.Int(12),
			RequireLowercase:              pulumi.Bool(true),
			RequireUppercase:              pulumi.Bool(true),
			RequireNumbers:                pulumi.Bool(true),
			RequireSymbols:                pulumi.Bool(true),
			TemporaryPasswordValidityDays: pulumi.Int(3),
		},
		AccountRecoverySetting: &cognito.UserPoolAccountRecoverySettingArgs{
			RecoveryMechanisms: cognito.UserPoolAccountRecoverySettingRecoveryMechanismArray{
				cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs{Name: pulumi.String("verified_email"), Priority: pulumi.Int(1)},
			},
		},
		// Users come only from registration and tenant admins (admin API).
		AdminCreateUserConfig: &cognito.UserPoolAdminCreateUserConfigArgs{AllowAdminCreateUserOnly: pulumi.Bool(true)},
		UserPoolAddOns:        &cognito.UserPoolUserPoolAddOnsArgs{AdvancedSecurityMode: pulumi.String(id.AdvancedSecurity)},
		Schemas: cognito.UserPoolSchemaArray{
			custom(tenancy.AttrTenantID, 63),
			custom(tenancy.AttrTenantTier, 31),
			custom(tenancy.AttrRole, 31),
		},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	read, write := ClientAttributes()
	client, err := cognito.NewUserPoolClient(ctx, name+"-web", &cognito.UserPoolClientArgs{
		Name:           pulumi.String(args.Namer.Name("web", 128)),
		UserPoolId:     pool.ID(),
		GenerateSecret: pulumi.Bool(false),
		// With refresh token rotation on, refresh goes through
		// GetTokensFromRefreshToken instead of the REFRESH_TOKEN_AUTH flow.
		ExplicitAuthFlows:          pulumi.ToStringArray([]string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"}),
		RefreshTokenRotation:       &cognito.UserPoolClientRefreshTokenRotationArgs{Feature: pulumi.String("ENABLED"), RetryGracePeriodSeconds: pulumi.Int(10)},
		PreventUserExistenceErrors: pulumi.String("ENABLED"),
		EnableTokenRevocation:      pulumi.Bool(true),
		IdTokenValidity:            pulumi.Int(id.IDTokenMinutes),
		AccessTokenValidity:        pulumi.Int(id.IDTokenMinutes),
		RefreshTokenValidity:       pulumi.Int(id.RefreshTokenDays),
		TokenValidityUnits: &cognito.UserPoolClientTokenValidityUnitsArgs{
			IdToken: pulumi.String("minutes"), AccessToken: pulumi.String("minutes"), RefreshToken: pulumi.String("days"),
		},
		ReadAttributes:  pulumi.ToStringArray(read),
		WriteAttributes: pulumi.ToStringArray(write),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	groups := map[tenancy.Role]*cognito.UserGroup{}
	for i, role := range tenancy.Roles {
		g, err := cognito.NewUserGroup(ctx, name+"-"+string(role), &cognito.UserGroupArgs{
			Name:        pulumi.String(string(role)),
			UserPoolId:  pool.ID(),
			Precedence:  pulumi.Int(i),
			Description: pulumi.String(roleDescriptions[role]),
		}, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		groups[role] = g
	}
	admin, err := cognito.NewUser(ctx, name+"-system-admin", &cognito.UserArgs{
		UserPoolId: pool.ID(),
		Username:   pulumi.String(args.AdminEmail),
		Attributes: pulumi.StringMap{
			"email":              pulumi.String(args.AdminEmail),
			"email_verified":     pulumi.String("true"),
			tenancy.AttrTenantID: pulumi.String(tenancy.SystemTenantID),
			tenancy.AttrRole:     pulumi.String(string(tenancy.RoleSystemAdmin)),
		},
		// Cognito emails a temporary password; the first sign-in sets a new one.
		DesiredDeliveryMediums: pulumi.StringArray{pulumi.String("EMAIL")},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	if _, err := cognito.NewUserInGroup(ctx, name+"-system-admin-group", &cognito.UserInGroupArgs{
		UserPoolId: pool.ID(),
		Username:   admin.Username,
		GroupName:  groups[tenancy.RoleSystemAdmin].Name,
	}, pulumi.Parent(c)); err != nil {
		return nil, err
	}

	c.UserPoolID = pool.ID().ToStringOutput()
	c.UserPoolArn = pool.Arn
	c.ClientID = client.ID().ToStringOutput()
	c.IssuerURL = pulumi.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", args.Region, pool.ID())
	c.JwksURL = pulumi.Sprintf("%s/.well-known/jwks.json", c.IssuerURL)
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"userPoolId": c.UserPoolID, "userPoolArn": c.UserPoolArn, "clientId": c.ClientID,
		"issuerUrl": c.IssuerURL, "jwksUrl": c.JwksURL,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

var roleDescriptions = map[tenancy.Role]string{
	tenancy.RoleSystemAdmin: "Platform operators: manage tenants, never read tenant business data",
	tenancy.RoleTenantAdmin: "Manage their own tenant's users and data",
	tenancy.RoleTenantUser:  "Use their own tenant's application",
}
