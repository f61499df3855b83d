package infra

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNameIsDeterministicAndReadable(t *testing.T) {
	n := Namer{Project: "tenantforge", Stack: "dev"}
	assert.Equal(t, "tenantforge-dev-registry", n.Name("registry", MaxDynamoTableName))
	assert.Equal(t, n.Name("registry", 63), n.Name("registry", 63), "the same inputs must give the same name, or every run would replace resources")
	assert.Equal(t, "tenantforge-org-dev-tenant-acme-data", Namer{Project: "TenantForge", Stack: "org/dev_tenant.acme"}.Name("data", 63),
		"characters AWS rejects in names must become hyphens")
}

func TestNameFitsTheLimitAndStaysUnique(t *testing.T) {
	n := Namer{Project: "tenantforge", Stack: "production-tenant-" + strings.Repeat("a", 50)}
	a := n.Name("products-function", MaxLambdaName)
	b := n.Name("orders-function", MaxLambdaName)
	assert.LessOrEqual(t, len(a), MaxLambdaName, "a Lambda name over 64 characters fails at deploy time")
	assert.Len(t, a, MaxLambdaName)
	assert.NotEqual(t, a, b, "two long names sharing a prefix must not collide after truncation")
	assert.Regexp(t, regexp.MustCompile(`^[a-z0-9-]+-[0-9a-f]{8}$`), a)
	assert.True(t, strings.HasPrefix(a, "tenantforge-production-tenant-"), "the readable head of the name must survive truncation")
	assert.Equal(t, a, n.Name("products-function", MaxLambdaName))
}

func TestNameNeverEndsWithHyphenBeforeHash(t *testing.T) {
	// A cut that lands just after a hyphen must not leave "--".
	n := Namer{Project: "p", Stack: strings.Repeat("ab-", 30)}
	got := n.Name("x", 40)
	assert.NotContains(t, got, "--")
	assert.LessOrEqual(t, len(got), 40)
}
