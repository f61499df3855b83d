// Package store is the application's data: products and orders of a
// tenant, validated here and kept in DynamoDB (PK tenantId, SK
// "PRODUCT#<id>" / "ORDER#<id>"). Every operation takes the caller's
// tenant id and only ever touches that partition.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sentinel errors of the domain.
var (
	ErrNotFound       = errors.New("not found")
	ErrConflict       = errors.New("version conflict")
	ErrProductMissing = errors.New("the order's product does not exist")
	ErrInvalidCursor  = errors.New("invalid cursor")
	ErrInvalid        = errors.New("invalid input")
)

// Limits of the domain.
const (
	MaxNameLength = 200
	MaxSKULength  = 64
	MaxQuantity   = 10000
	DefaultLimit  = 20
	MaxLimit      = 100
)

// ValidationError lists what is wrong, field by field.
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for f, m := range e.Fields {
		parts = append(parts, f+" "+m)
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Product is a tenant's product. Price is in cents.
type Product struct {
	ProductID string `json:"productId" dynamodbav:"productId"`
	Name      string `json:"name" dynamodbav:"name"`
	Price     int64  `json:"price" dynamodbav:"price"`
	SKU       string `json:"sku,omitempty" dynamodbav:"sku,omitempty"`
	Version   int    `json:"version" dynamodbav:"version"`
	CreatedAt string `json:"createdAt" dynamodbav:"createdAt"`
	UpdatedAt string `json:"updatedAt" dynamodbav:"updatedAt"`
}

// Order is a tenant's order of one product; UnitPrice is the product's
// price when the order was placed or last changed.
type Order struct {
	OrderID   string `json:"orderId" dynamodbav:"orderId"`
	ProductID string `json:"productId" dynamodbav:"productId"`
	Quantity  int    `json:"quantity" dynamodbav:"quantity"`
	UnitPrice int64  `json:"unitPrice" dynamodbav:"unitPrice"`
	Total     int64  `json:"total" dynamodbav:"total"`
	Version   int    `json:"version" dynamodbav:"version"`
	CreatedAt string `json:"createdAt" dynamodbav:"createdAt"`
	UpdatedAt string `json:"updatedAt" dynamodbav:"updatedAt"`
}

// ProductInput is the body of POST and PUT /products.
type ProductInput struct {
	Name  string      `json:"name"`
	Price json.Number `json:"price"`
	SKU   string      `json:"sku,omitempty"`
	// Version is required on PUT: the version the client read.
	Version *int `json:"version,omitempty"`
}

// OrderInput is the body of POST and PUT /orders.
type OrderInput struct {
	ProductID string `json:"productId"`
	Quantity  *int   `json:"quantity"`
	Version   *int   `json:"version,omitempty"`
}

// ValidProduct checks a product input and returns its price in cents.
func ValidProduct(in ProductInput, update bool) (int64, error) {
	f := map[string]string{}
	name := strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxNameLength {
		f["name"] = fmt.Sprintf("must be 1 to %d characters", MaxNameLength)
	}
	var price int64
	switch {
	case in.Price == "":
		f["price"] = "is required: an integer number of cents"
	default:
		p, err := in.Price.Int64()
		switch {
		case err != nil:
			f["price"] = "must be an integer number of cents, e.g. 1999 for 19.99"
		case p < 0:
			f["price"] = "must not be negative"
		default:
			price = p
		}
	}
	if len(in.SKU) > MaxSKULength {
		f["sku"] = fmt.Sprintf("must be at most %d characters", MaxSKULength)
	}
	if update && in.Version == nil {
		f["version"] = "is required: send the version you read, so concurrent changes are not lost"
	}
	if len(f) > 0 {
		return 0, &ValidationError{Fields: f}
	}
	return price, nil
}

// ValidOrder checks an order input.
func ValidOrder(in OrderInput, update bool) error {
	f := map[string]string{}
	if !validID(in.ProductID) {
		f["productId"] = "must be the productId of one of your products"
	}
	switch {
	case in.Quantity == nil:
		f["quantity"] = fmt.Sprintf("is required: 1 to %d", MaxQuantity)
	case *in.Quantity < 1 || *in.Quantity > MaxQuantity:
		f["quantity"] = fmt.Sprintf("must be 1 to %d", MaxQuantity)
	}
	if update && in.Version == nil {
		f["version"] = "is required: send the version you read, so concurrent changes are not lost"
	}
	if len(f) > 0 {
		return &ValidationError{Fields: f}
	}
	return nil
}

// validID reports whether s looks like an id this store issued.
func validID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
