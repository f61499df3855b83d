package app

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tenantforge/tenantforge/shared/store"
	"github.com/tenantforge/tenantforge/shared/tvm"
)

// PoolClients gives each tenant a DynamoDB client whose credentials are
// that tenant's STS session: a pooled function has no data permissions of
// its own. Clients are kept per tenant; their credentials renew through
// the vendor.
func PoolClients(v *tvm.Vendor, optFns ...func(*dynamodb.Options)) store.ClientFor {
	var mu sync.Mutex
	clients := map[string]*dynamodb.Client{}
	return func(ctx context.Context, tenantID string) (store.API, error) {
		mu.Lock()
		c, ok := clients[tenantID]
		mu.Unlock()
		if ok {
			// Fail now rather than mid-request if the session cannot be renewed.
			if _, err := v.Credentials(ctx, tenantID); err != nil {
				return nil, err
			}
			return c, nil
		}
		cfg, err := v.Config(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		c = dynamodb.NewFromConfig(cfg, optFns...)
		mu.Lock()
		clients[tenantID] = c
		mu.Unlock()
		return c, nil
	}
}

// SiloClient is a silo function's source of clients: its own client, for
// its own tenant only.
func SiloClient(db store.API, tenantID string) store.ClientFor {
	return func(_ context.Context, caller string) (store.API, error) {
		if caller != tenantID {
			return nil, fmt.Errorf("%w: caller %s, function of %s", ErrWrongTenant, caller, tenantID)
		}
		return db, nil
	}
}
