// Package httpx is the HTTP layer the application functions share: a router
// from method and route to handler over API Gateway proxy events, strict
// JSON bodies, the error format of the API and a JSON access log.
package httpx

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an API error: a status, a snake_case code and a message, and
// for invalid input, a message per field.
type Error struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Errorf returns an API error.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a 400 naming each bad field and what is wrong with it.
func Invalid(fields map[string]string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Message: "the request has invalid fields; see fields", Fields: fields}
}

// Common errors.
var (
	ErrNotFound    = &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such resource"}
	ErrForbidden   = &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "you may not do this"}
	ErrUnavailable = &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "a dependency is unavailable; retry shortly"}
	// ErrInvalidCursor answers a list's ?next= that the list did not give out.
	ErrInvalidCursor = &Error{Status: http.StatusBadRequest, Code: "invalid_cursor", Message: "next is not a cursor this list gave out; start again without it"}
	errInternal      = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "something went wrong on our side"}
	errNoRoute       = &Error{Status: http.StatusNotFound, Code: "no_route", Message: "no such route"}
	errMethod        = &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "the route does not take this method"}
	errNoCaller      = &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "the request carries no authorized caller"}
	errUnsupported   = &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send the body as application/json"}
	errBodyTooLarge  = &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: "the body is larger than the API accepts"}
)

// Mapper turns a domain error into an API error, or returns nil when it
// does not know it.
type Mapper func(error) *Error

func asAPIError(err error, mappers []Mapper) *Error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	for _, m := range mappers {
		if e := m(err); e != nil {
			return e
		}
	}
	return errInternal
}
