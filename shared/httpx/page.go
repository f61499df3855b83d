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
	limit = DefaultPageSize
	if raw, ok := r.Query["limit"]; ok {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > MaxPageSize {
			return 0, "", Invalid(map[string]string{"limit": fmt.Sprintf("must be a whole number from 1 to %d", MaxPageSize)})
		}
		limit = n
	}
	return limit, r.Query["next"], nil
}
