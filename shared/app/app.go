// Package app is the SaaS application's HTTP surface: the products and
// orders services as routers over API Gateway proxy events. The Lambda
// mains in lambdas/products and lambdas/orders only wire them.
package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/store"
	"github.com/tenantforge/tenantforge/shared/tenancy"
	"github.com/tenantforge/tenantforge/shared/tvm"
	"github.com/tenantforge/tenantforge/shared/usage"
)

// Products is what the products service needs of the store.
type Products interface {
	CreateProduct(ctx context.Context, tenantID string, in store.ProductInput) (*store.Product, error)
	GetProduct(ctx context.Context, tenantID, id string) (*store.Product, error)
	ListProducts(ctx context.Context, tenantID string, limit int, after string) (store.Page[store.Product], error)
	UpdateProduct(ctx context.Context, tenantID, id string, in store.ProductInput) (*store.Product, error)
	DeleteProduct(ctx context.Context, tenantID, id string) error
}

// Orders is what the orders service needs of the store.
type Orders interface {
	CreateOrder(ctx context.Context, tenantID string, in store.OrderInput) (*store.Order, error)
	GetOrder(ctx context.Context, tenantID, id string) (*store.Order, error)
	ListOrders(ctx context.Context, tenantID string, limit int, after string) (store.Page[store.Order], error)
	UpdateOrder(ctx context.Context, tenantID, id string, in store.OrderInput) (*store.Order, error)
	DeleteOrder(ctx context.Context, tenantID, id string) error
}

// mapErrors turns the domain's and the token vendor's errors into API
// errors.
func mapErrors(err error) *httpx.Error {
	var invalid *store.ValidationError
	switch {
	case errors.As(err, &invalid):
		return httpx.Invalid(invalid.Fields)
	case errors.Is(err, store.ErrNotFound):
		return httpx.ErrNotFound
	case errors.Is(err, store.ErrConflict):
		return httpx.Errorf(http.StatusConflict, "version_conflict", "the item changed since you read it; read it again and retry")
	case errors.Is(err, store.ErrProductMissing):
		return httpx.Invalid(map[string]string{"productId": "must be the productId of one of your products"})
	case errors.Is(err, store.ErrInvalidCursor):
		return httpx.ErrInvalidCursor
	case errors.Is(err, tvm.ErrUnavailable):
		return httpx.ErrUnavailable
	case errors.Is(err, tvm.ErrInvalidTenant), errors.Is(err, ErrWrongTenant):
		return httpx.ErrForbidden
	}
	return nil
}

// ErrWrongTenant is returned by a silo function's client source for any
// tenant but its own.
var ErrWrongTenant = errors.New("this function serves another tenant")

func newRouter(service string, logger *slog.Logger, meter *usage.Reporter) *httpx.Router {
	return &httpx.Router{Service: service, Logger: logger, Mappers: []httpx.Mapper{mapErrors}, Permitted: tenancy.Allowed, Usage: meter}
}

// NewProducts returns the products service; meter may be nil.
func NewProducts(s Products, logger *slog.Logger, meter *usage.Reporter) *httpx.Router {
	r := newRouter("products", logger, meter)
	r.Handle("GET", "/products", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		limit, next, err := req.Page()
		if err != nil {
			return httpx.Response{}, err
		}
		page, err := s.ListProducts(ctx, req.Caller.TenantID, limit, next)
		return httpx.Response{Status: http.StatusOK, Body: page}, err
	})
	r.Handle("POST", "/products", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		var in store.ProductInput
		if err := httpx.Decode(req.Body, &in); err != nil {
			return httpx.Response{}, err
		}
		p, err := s.CreateProduct(ctx, req.Caller.TenantID, in)
		return httpx.Response{Status: http.StatusCreated, Body: p}, err
	})
	r.Handle("GET", "/products/{productId}", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		p, err := s.GetProduct(ctx, req.Caller.TenantID, req.Params["productId"])
		return httpx.Response{Status: http.StatusOK, Body: p}, err
	})
	r.Handle("PUT", "/products/{productId}", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		var in store.ProductInput
		if err := httpx.Decode(req.Body, &in); err != nil {
			return httpx.Response{}, err
		}
		p, err := s.UpdateProduct(ctx, req.Caller.TenantID, req.Params["productId"], in)
		return httpx.Response{Status: http.StatusOK, Body: p}, err
	})
	r.Handle("DELETE", "/products/{productId}", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		return httpx.Response{Status: http.StatusNoContent}, s.DeleteProduct(ctx, req.Caller.TenantID, req.Params["productId"])
	})
	return r
}

// NewOrders returns the orders service; meter may be nil.
func NewOrders(s Orders, logger *slog.Logger, meter *usage.Reporter) *httpx.Router {
	r := newRouter("orders", logger, meter)
	r.Handle("GET", "/orders", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		limit, next, err := req.Page()
		if err != nil {
			return httpx.Response{}, err
		}
		page, err := s.ListOrders(ctx, req.Caller.TenantID, limit, next)
		return httpx.Response{Status: http.StatusOK, Body: page}, err
	})
	r.Handle("POST", "/orders", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		var in store.OrderInput
		if err := httpx.Decode(req.Body, &in); err != nil {
			return httpx.Response{}, err
		}
		o, err := s.CreateOrder(ctx, req.Caller.TenantID, in)
		return httpx.Response{Status: http.StatusCreated, Body: o}, err
	})
	r.Handle("GET", "/orders/{orderId}", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		o, err := s.GetOrder(ctx, req.Caller.TenantID, req.Params["orderId"])
		return httpx.Response{Status: http.StatusOK, Body: o}, err
	})
	r.Handle("PUT", "/orders/{orderId}", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		var in store.OrderInput
		if err := httpx.Decode(req.Body, &in); err != nil {
			return httpx.Response{}, err
		}
		o, err := s.UpdateOrder(ctx, req.Caller.TenantID, req.Params["orderId"], in)
		return httpx.Response{Status: http.StatusOK, Body: o}, err
	})
	r.Handle("DELETE", "/orders/{orderId}", func(ctx context.Context, req *httpx.Request) (httpx.Response, error) {
		return httpx.Response{Status: http.StatusNoContent}, s.DeleteOrder(ctx, req.Caller.TenantID, req.Params["orderId"])
	})
	return r
}
