package httpx

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every list route reads its page the same way: a default size, a bound,
// and the cursor passed through. Not proven: that a cursor is valid (the
// stores check their own).
func TestPageReadsLimitAndCursor(t *testing.T) {
	limit, next, err := (&Request{Query: map[string]string{}}).Page()
	require.NoError(t, err)
	assert.Equal(t, DefaultPageSize, limit, "a list without ?limit= would not get the documented default page")
	assert.Empty(t, next)

	limit, next, err = (&Request{Query: map[string]string{"limit": "100", "next": "abc"}}).Page()
	require.NoError(t, err)
	assert.Equal(t, 100, limit)
	assert.Equal(t, "abc", next, "the cursor must reach the store, or every page would be the first")

	for _, bad := range []string{"0", "101", "-1", "ten", ""} {
		_, _, err := (&Request{Query: map[string]string{"limit": bad}}).Page()
		var apiErr *Error
		require.True(t, errors.As(err, &apiErr), "limit=%q must be refused as a 400, not read", bad)
		assert.Equal(t, 400, apiErr.Status)
		assert.Equal(t, "must be a whole number from 1 to 100", apiErr.Fields["limit"], "limit=%q", bad)
	}
}

// Any counting query parameter (?days= of the usage route) reads the same
// way as ?limit=, with its own default and bound.
func TestCountNamesTheParameter(t *testing.T) {
	n, err := (&Request{Query: map[string]string{}}).Count("days", 30, 400)
	require.NoError(t, err)
	assert.Equal(t, 30, n, "the usage route without ?days= would not return the documented month")
	n, err = (&Request{Query: map[string]string{"days": "400"}}).Count("days", 30, 400)
	require.NoError(t, err)
	assert.Equal(t, 400, n)
	_, err = (&Request{Query: map[string]string{"days": "401"}}).Count("days", 30, 400)
	var apiErr *Error
	require.True(t, errors.As(err, &apiErr), "days=401 must be refused as a 400")
	assert.Equal(t, map[string]string{"days": "must be a whole number from 1 to 400"}, apiErr.Fields, "the error must name the parameter and its bounds")
}
