package store

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/localdynamo"
)

// newStore runs the store against the minidyn DynamoDB emulator on
// loopback, with the data table created as the stack creates it. It
// records which tenant each client was asked for.
func newStore(t *testing.T) (*Dynamo, *[]string) {
	t.Helper()
	l := localdynamo.Start(nil)
	t.Cleanup(l.Close)
	require.NoError(t, l.CreateDataTable(context.Background(), "data"))
	var asked []string
	return NewDynamo(func(_ context.Context, tenant string) (API, error) {
		asked = append(asked, tenant)
		return l.Client, nil
	}, "data"), &asked
}

func qty(n int) *int { return &n }

func product(t *testing.T, s *Dynamo, tenant, name string, price int64) *Product {
	t.Helper()
	p, err := s.CreateProduct(context.Background(), tenant, ProductInput{Name: name, Price: json.Number(fmtInt(price))})
	require.NoError(t, err)
	return p
}

func fmtInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestProductLifecycle(t *testing.T) {
	s, asked := newStore(t)
	ctx := context.Background()
	p := product(t, s, "acme", "  Anvil ", 1999)
	assert.Len(t, p.ProductID, 32)
	assert.Equal(t, "Anvil", p.Name)
	assert.Equal(t, 1, p.Version)

	got, err := s.GetProduct(ctx, "acme", p.ProductID)
	require.NoError(t, err)
	assert.Equal(t, p, got)

	up, err := s.UpdateProduct(ctx, "acme", p.ProductID, ProductInput{Name: "Anvil XL", Price: "2999", Version: qty(1)})
	require.NoError(t, err)
	assert.Equal(t, 2, up.Version)
	assert.Equal(t, int64(2999), up.Price)

	_, err = s.UpdateProduct(ctx, "acme", p.ProductID, ProductInput{Name: "Stale", Price: "1", Version: qty(1)})
	assert.ErrorIs(t, err, ErrConflict, "an update from a stale read must be refused, not lost")

	require.NoError(t, s.DeleteProduct(ctx, "acme", p.ProductID))
	_, err = s.GetProduct(ctx, "acme", p.ProductID)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, s.DeleteProduct(ctx, "acme", p.ProductID), ErrNotFound)
	for _, tenant := range *asked {
		assert.Equal(t, "acme", tenant, "every data access must use the caller's tenant's client")
	}
}

func TestTenantsCannotReachEachOthersItems(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	p := product(t, s, "acme", "Anvil", 1999)
	_, err := s.GetProduct(ctx, "globex", p.ProductID)
	assert.ErrorIs(t, err, ErrNotFound, "tenant globex could read tenant acme's product")
	_, err = s.UpdateProduct(ctx, "globex", p.ProductID, ProductInput{Name: "Mine", Price: "1", Version: qty(1)})
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, s.DeleteProduct(ctx, "globex", p.ProductID), ErrNotFound)
	_, err = s.CreateOrder(ctx, "globex", OrderInput{ProductID: p.ProductID, Quantity: qty(1)})
	assert.ErrorIs(t, err, ErrProductMissing, "an order may only reference a product of the same tenant")
	page, err := s.ListProducts(ctx, "globex", 10, "")
	require.NoError(t, err)
	assert.Empty(t, page.Items)
	still, err := s.GetProduct(ctx, "acme", p.ProductID)
	require.NoError(t, err)
	assert.Equal(t, p, still, "the victim's data must be unchanged")
	_, err = s.GetProduct(ctx, "ACME", p.ProductID)
	assert.Error(t, err, "a malformed tenant id is refused before any access")
}

func TestListPagesWithOpaqueCursor(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for i := range 25 {
		product(t, s, "acme", "P", int64(i))
	}
	product(t, s, "globex", "other", 1)
	seen := map[string]bool{}
	next, pages := "", 0
	for {
		page, err := s.ListProducts(ctx, "acme", 10, next)
		require.NoError(t, err)
		pages++
		for _, p := range page.Items {
			assert.False(t, seen[p.ProductID], "a product came back twice")
			seen[p.ProductID] = true
		}
		if page.Next == "" {
			break
		}
		next = page.Next
		require.Less(t, pages, 10)
	}
	assert.Len(t, seen, 25, "every product exactly once, none of another tenant")
	assert.Equal(t, 3, pages)

	first, err := s.ListProducts(ctx, "acme", 10, "")
	require.NoError(t, err)
	_, err = s.ListProducts(ctx, "globex", 10, first.Next)
	assert.ErrorIs(t, err, ErrInvalidCursor, "a cursor of another tenant must be refused")
	_, err = s.ListOrders(ctx, "acme", 10, first.Next)
	assert.ErrorIs(t, err, ErrInvalidCursor, "a products cursor is no orders cursor")
	_, err = s.ListProducts(ctx, "acme", 10, "!!not-base64")
	assert.ErrorIs(t, err, ErrInvalidCursor)
	for _, bad := range []int{0, 101} {
		_, err = s.ListProducts(ctx, "acme", bad, "")
		assert.ErrorIs(t, err, ErrInvalid)
	}
}

func TestOrdersKeepThePriceAtOrderTime(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	p := product(t, s, "acme", "Anvil", 1999)
	o, err := s.CreateOrder(ctx, "acme", OrderInput{ProductID: p.ProductID, Quantity: qty(3)})
	require.NoError(t, err)
	assert.Equal(t, int64(1999), o.UnitPrice)
	assert.Equal(t, int64(5997), o.Total)

	_, err = s.UpdateProduct(ctx, "acme", p.ProductID, ProductInput{Name: "Anvil", Price: "2500", Version: qty(1)})
	require.NoError(t, err)
	got, err := s.GetOrder(ctx, "acme", o.OrderID)
	require.NoError(t, err)
	assert.Equal(t, int64(1999), got.UnitPrice, "a price change must not rewrite existing orders")

	up, err := s.UpdateOrder(ctx, "acme", o.OrderID, OrderInput{ProductID: p.ProductID, Quantity: qty(2), Version: qty(1)})
	require.NoError(t, err)
	assert.Equal(t, int64(2500), up.UnitPrice, "a changed order is priced when it changes")
	assert.Equal(t, 2, up.Version)
	_, err = s.UpdateOrder(ctx, "acme", o.OrderID, OrderInput{ProductID: p.ProductID, Quantity: qty(5), Version: qty(1)})
	assert.ErrorIs(t, err, ErrConflict)

	require.NoError(t, s.DeleteProduct(ctx, "acme", p.ProductID))
	_, err = s.CreateOrder(ctx, "acme", OrderInput{ProductID: p.ProductID, Quantity: qty(1)})
	assert.ErrorIs(t, err, ErrProductMissing)
	page, err := s.ListOrders(ctx, "acme", 10, "")
	require.NoError(t, err)
	assert.Len(t, page.Items, 1)
	require.NoError(t, s.DeleteOrder(ctx, "acme", o.OrderID))
}

func TestValidationNamesTheFields(t *testing.T) {
	long := make([]byte, 201)
	for i := range long {
		long[i] = 'a'
	}
	cases := map[string]struct {
		in     ProductInput
		update bool
		fields []string
	}{
		"empty name":        {ProductInput{Name: " ", Price: "1"}, false, []string{"name"}},
		"long name":         {ProductInput{Name: string(long), Price: "1"}, false, []string{"name"}},
		"fractional price":  {ProductInput{Name: "a", Price: "19.99"}, false, []string{"price"}},
		"negative price":    {ProductInput{Name: "a", Price: "-1"}, false, []string{"price"}},
		"missing price":     {ProductInput{Name: "a"}, false, []string{"price"}},
		"update no version": {ProductInput{Name: "a", Price: "1"}, true, []string{"version"}},
	}
	for name, tc := range cases {
		_, err := ValidProduct(tc.in, tc.update)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, name)
		for _, f := range tc.fields {
			assert.Contains(t, ve.Fields, f, name)
		}
		assert.ErrorIs(t, err, ErrInvalid)
	}
	for name, in := range map[string]OrderInput{
		"zero quantity": {ProductID: "0123456789abcdef0123456789abcdef", Quantity: qty(0)},
		"huge quantity": {ProductID: "0123456789abcdef0123456789abcdef", Quantity: qty(10001)},
		"bad product":   {ProductID: "../etc", Quantity: qty(1)},
	} {
		assert.ErrorIs(t, ValidOrder(in, false), ErrInvalid, name)
	}
	assert.NoError(t, ValidOrder(OrderInput{ProductID: "0123456789abcdef0123456789abcdef", Quantity: qty(10000)}, false))
}
