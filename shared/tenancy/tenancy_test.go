package tenancy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidSlug(t *testing.T) {
	for s, ok := range map[string]bool{
		"acme": true, "a-1": true, "abc": true, strings.Repeat("a", 63): true,
		"ab": false, strings.Repeat("a", 64): false, "Acme": false, "-acme": false, "acme-": false,
		"ac_me": false, "": false, SystemTenantID: false, "acme corp": false,
	} {
		assert.Equal(t, ok, ValidSlug(s), "%q", s)
	}
}

func TestRoles(t *testing.T) {
	for _, r := range Roles {
		assert.True(t, r.Valid())
	}
	assert.False(t, Role("Admin").Valid())
	assert.False(t, Role("").Valid())
}

func TestUserKeysShareTheLeadingKeyPrefix(t *testing.T) {
	assert.Equal(t, "USER#acme#ann@acme.example", UserItemKey("acme", "ann@acme.example"))
	assert.Equal(t, "USER#acme", TenantUsersKey("acme"))
	// The users function's policy allows leading keys "USER#*" only: both
	// keys must start with the prefix or the index would be out of reach.
	assert.True(t, strings.HasPrefix(UserItemKey("acme", "x"), UserKeyPrefix))
	assert.True(t, strings.HasPrefix(TenantUsersKey("acme"), UserKeyPrefix))
}
