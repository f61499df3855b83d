package httpx

import (
	"fmt"
	"strconv"
)

// Page sizes of the list routes.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// Page reads a list route's ?limit= (DefaultPageSize when absent, else a
// whole number from 1 to MaxPageSize) and ?next= (the cursor the previous
// page gave out, "" for the first).
func (r *Request) Page() (limit int, next string, err error) {
	limit, err = r.Count("limit", DefaultPageSize, MaxPageSize)
	if err != nil {
		return 0, "", err
	}
	return limit, r.Query["next"], nil
}

// Count reads a query parameter that counts something: def when absent,
// else a whole number from 1 to max; anything else is a 400 naming it.
func (r *Request) Count(name string, def, max int) (int, error) {
	raw, ok := r.Query[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > max {
		return 0, Invalid(map[string]string{name: fmt.Sprintf("must be a whole number from 1 to %d", max)})
	}
	return n, nil
}
