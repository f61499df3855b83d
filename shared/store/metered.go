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

// units is the capacity one call's answer reports (0 when it reports none).
func units(c *types.ConsumedCapacity) float64 {
	if c == nil || c.CapacityUnits == nil {
		return 0
	}
	return *c.CapacityUnits
}

// read adds a read's capacity to the request's meter.
func read(ctx context.Context, c *types.ConsumedCapacity) {
	obs.MeterFrom(ctx).AddCapacity(units(c), 0)
}

// wrote adds a write's capacity and the items it wrote to the request's meter.
func wrote(ctx context.Context, items int, capacity float64) {
	meter := obs.MeterFrom(ctx)
	meter.AddCapacity(0, capacity)
	meter.AddWritten(items)
}

func (m metered) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.GetItem(ctx, in, opts...)
	if err == nil {
		read(ctx, out.ConsumedCapacity)
	}
	return out, err
}

func (m metered) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.Query(ctx, in, opts...)
	if err == nil {
		read(ctx, out.ConsumedCapacity)
	}
	return out, err
}

func (m metered) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.PutItem(ctx, in, opts...)
	if err == nil {
		wrote(ctx, 1, units(out.ConsumedCapacity))
	}
	return out, err
}

func (m metered) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.UpdateItem(ctx, in, opts...)
	if err == nil {
		wrote(ctx, 1, units(out.ConsumedCapacity))
	}
	return out, err
}

func (m metered) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.DeleteItem(ctx, in, opts...)
	if err == nil {
		wrote(ctx, 1, units(out.ConsumedCapacity))
	}
	return out, err
}

// TransactWriteItems counts the puts, updates and deletes of the
// transaction as written (condition checks write nothing).
func (m metered) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.TransactWriteItems(ctx, in, opts...)
	if err == nil {
		written, capacity := 0, 0.0
		for _, it := range in.TransactItems {
			if it.Put != nil || it.Update != nil || it.Delete != nil {
				written++
			}
		}
		for i := range out.ConsumedCapacity {
			capacity += units(&out.ConsumedCapacity[i])
		}
		wrote(ctx, written, capacity)
	}
	return out, err
}
