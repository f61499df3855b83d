// Command users serves a tenant's user management (shared/controlplane):
// list, create, read, change the role of, disable, enable and delete
// users. A TenantAdmin manages its own tenant; a SystemAdmin names the
// tenant with ?tenantId=. Environment: REGISTRY_TABLE, USER_POOL_ID.
package main

import (
	"errors"
	"os"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tenantforge/tenantforge/shared/app"
	"github.com/tenantforge/tenantforge/shared/awsenv"
	"github.com/tenantforge/tenantforge/shared/controlplane"
	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/registry"
)

func main() { app.Serve("users", setup) }

func setup() (*httpx.Router, error) {
	table, pool := os.Getenv("REGISTRY_TABLE"), os.Getenv("USER_POOL_ID")
	if table == "" || pool == "" {
		return nil, errors.New("REGISTRY_TABLE and USER_POOL_ID must be set")
	}
	cfg, err := awsenv.Config()
	if err != nil {
		return nil, err
	}
	store := registry.New(dynamodb.NewFromConfig(cfg), table)
	u := &controlplane.Users{
		Registry: store,
		Pool:     &controlplane.CognitoDirectory{Client: cip.NewFromConfig(cfg), UserPoolID: pool, Index: store},
	}
	return u.Router(app.Logger()), nil
}
