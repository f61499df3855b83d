package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/tenantforge/tenantforge/shared/awsenv"
	"github.com/tenantforge/tenantforge/shared/obs"
	"github.com/tenantforge/tenantforge/shared/store"
	"github.com/tenantforge/tenantforge/shared/tenancy"
	"github.com/tenantforge/tenantforge/shared/tvm"
)

// StoreFromEnv builds the data store of an application function from its
// environment: TABLE_NAME, and TENANCY=pool with TENANT_ROLE_ARN (every
// access through the tenant's STS session) or TENANCY=silo with TENANT_ID
// (the function's own role, for its one tenant).
func StoreFromEnv(_ context.Context) (*store.Dynamo, error) {
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		return nil, errors.New("TABLE_NAME must be set")
	}
	awsCfg, err := awsenv.Config()
	if err != nil {
		return nil, err
	}
	switch mode := os.Getenv("TENANCY"); mode {
	case tenancy.DeploymentPool:
		role := os.Getenv("TENANT_ROLE_ARN")
		if role == "" {
			return nil, errors.New("TENANT_ROLE_ARN must be set when TENANCY=pool")
		}
		vendor := tvm.New(sts.NewFromConfig(awsCfg), role, awsCfg)
		return store.NewDynamo(PoolClients(vendor), table), nil
	case tenancy.DeploymentSilo:
		tenant := os.Getenv("TENANT_ID")
		if !tenancy.ValidSlug(tenant) {
			return nil, fmt.Errorf("TENANT_ID=%q must be the silo tenant's id when TENANCY=silo", tenant)
		}
		return store.NewDynamo(SiloClient(dynamodb.NewFromConfig(awsCfg), tenant), table), nil
	default:
		return nil, fmt.Errorf("TENANCY=%q must be pool or silo", mode)
	}
}

// RequireEnv reads the variables a function cannot start without; the
// error names the first one missing.
func RequireEnv(keys ...string) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		if out[k] = os.Getenv(k); out[k] == "" {
			return nil, fmt.Errorf("%s must be set", k)
		}
	}
	return out, nil
}

// TierDeployments reads TIER_DEPLOYMENTS, the JSON map of each tier to its
// deployment model (pool or silo) the stack gives the control plane.
func TierDeployments(raw string) (map[string]string, error) {
	var deployments map[string]string
	if err := json.Unmarshal([]byte(raw), &deployments); err != nil || len(deployments) == 0 {
		return nil, fmt.Errorf("TIER_DEPLOYMENTS must be a JSON map of tier to pool or silo: %v", err)
	}
	return deployments, nil
}

// Logger is the functions' JSON logger: secrets and personal data redacted.
func Logger() *slog.Logger { return obs.NewLogger(os.Stdout) }
