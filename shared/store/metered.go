package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tenantforge/tenantforge/shared/obs"
)

// metered asks DynamoDB for the capacity every call consumes and adds it,
// with the items written, to the request's meter (shared/obs), so the
// per-tenant metrics and the daily usage records can attribute DynamoDB
// cost to tenants.
type metered struct{ API }

func capacity(cc ...types.ConsumedCapacity) float64 {
	var total float64
	for _, c := range cc {
		if c.CapacityUnits != nil {
			total += *c.CapacityUnits
		}
	}
	return total
}

func consumed(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}

func (m metered) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.GetItem(ctx, in, opts...)
	if err == nil {
		obs.MeterFrom(ctx).AddCapacity(capacity(consumed(out.ConsumedCapacity)...), 0)
	}
	return out, err
}

func (m metered) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.Query(ctx, in, opts...)
	if err == nil {
		obs.MeterFrom(ctx).AddCapacity(capacity(consumed(out.ConsumedCapacity)...), 0)
	}
	return out, err
}

func (m metered) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.PutItem(ctx, in, opts...)
	if err == nil {
		meter := obs.MeterFrom(ctx)
		meter.AddCapacity(0, capacity(consumed(out.ConsumedCapacity)...))
		meter.AddWritten(1)
	}
	return out, err
}

func (m metered) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.UpdateItem(ctx, in, opts...)
	if err == nil {
		meter := obs.MeterFrom(ctx)
		meter.AddCapacity(0, capacity(consumed(out.ConsumedCapacity)...))
		meter.AddWritten(1)
	}
	return out, err
}

func (m metered) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.DeleteItem(ctx, in, opts...)
	if err == nil {
		meter := obs.MeterFrom(ctx)
		meter.AddCapacity(0, capacity(consumed(out.ConsumedCapacity)...))
		meter.AddWritten(1)
	}
	return out, err
}

// TransactWriteItems counts the puts, updates and deletes of the
// transaction as written (condition checks write nothing).
func (m metered) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.TransactWriteItems(ctx, in, opts...)
	if err == nil {
		written := 0
		for _, it := range in.TransactItems {
			if it.Put != nil || it.Update != nil || it.Delete != nil {
				written++
			}
		}
		meter := obs.MeterFrom(ctx)
		meter.AddCapacity(0, capacity(out.ConsumedCapacity...))
		meter.AddWritten(written)
	}
	return out, err
}
