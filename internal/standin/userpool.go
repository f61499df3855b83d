package standin

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// CognitoClient returns a Cognito client for cognito-local at url.
func CognitoClient(url string) *cip.Client {
	return cip.New(cip.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"}, nil
		}),
	})
}

// UserPool is a user pool made like the Identity component makes the real
// one: email sign-in, the tenant attributes, a group per role and a web
// client that reads but cannot write the tenant attributes.
type UserPool struct {
	ID       string
	ClientID string
}

// CreateUserPool creates the pool in cognito-local. read and write are the
// client's attributes (infra.ClientAttributes).
func CreateUserPool(ctx context.Context, client *cip.Client, name string, read, write []string) (*UserPool, error) {
	var schema []ciptypes.SchemaAttributeType
	for _, attr := range []string{tenancy.AttrTenantID, tenancy.AttrTenantTier, tenancy.AttrRole} {
		schema = append(schema, ciptypes.SchemaAttributeType{Name: aws.String(attr), AttributeDataType: ciptypes.AttributeDataTypeString, Mutable: aws.Bool(true)})
	}
	pool, err := client.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String(name), UsernameAttributes: []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail}, Schema: schema,
	})
	if err != nil {
		return nil, err
	}
	for _, role := range tenancy.Roles {
		if _, err := client.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool.UserPool.Id, GroupName: aws.String(string(role))}); err != nil {
			return nil, err
		}
	}
	app, err := client.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("web"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth},
		ReadAttributes:    read, WriteAttributes: write,
	})
	if err != nil {
		return nil, err
	}
	return &UserPool{ID: *pool.UserPool.Id, ClientID: *app.UserPoolClient.ClientId}, nil
}
