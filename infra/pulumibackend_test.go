package infra

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	backendTokenArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tenantforge/pulumi-token-AbCdEf"
	passphraseArn   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tenantforge/pulumi-passphrase-AbCdEf"
)

// withBackend is a platform stack with a repository (so the pipeline and
// the tenant deployer run) and the given backend.
func withBackend(backend string) map[string]string {
	return with(validPlatform(), "tenantforge:pulumiBackend", backend, "tenantforge:cicd", `{"repository":"acme/tenantforge","branch":"main"}`)
}

func TestPulumiBackendDefaultsToPulumiCloud(t *testing.T) {
	cfg, err := ParseConfig("tenantforge", "dev", ConfigFrom(validPlatform()))
	require.NoError(t, err, "without a repository nothing logs in to the backend, so no credentials are needed")
	assert.Equal(t, PulumiBackendConfig{}, cfg.PulumiBackend)
	assert.True(t, cfg.PulumiBackend.IsPulumiCloud())
}

func TestPulumiBackendAccepted(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want PulumiBackendConfig
	}{
		{`{"url":"","accessTokenSecretArn":"` + backendTokenArn + `"}`, PulumiBackendConfig{AccessTokenSecretArn: backendTokenArn}},
		{`{"url":"https://api.pulumi.com","accessTokenSecretArn":"` + backendTokenArn + `"}`, PulumiBackendConfig{URL: "https://api.pulumi.com", AccessTokenSecretArn: backendTokenArn}},
		{`{"url":"s3://acme-pulumi-state","passphraseSecretArn":"` + passphraseArn + `"}`, PulumiBackendConfig{URL: "s3://acme-pulumi-state", PassphraseSecretArn: passphraseArn}},
	} {
		cfg, err := ParseConfig("tenantforge", "dev", ConfigFrom(withBackend(c.raw)))
		require.NoError(t, err, c.raw)
		assert.Equal(t, c.want, cfg.PulumiBackend)
	}
}

// Each rule: the key the message must name and a piece of the fix.
func TestPulumiBackendRejects(t *testing.T) {
	for _, c := range []struct{ name, raw, key, fix string }{
		{"cloud without token", `{"url":"https://api.pulumi.com"}`, "tenantforge:pulumiBackend.accessTokenSecretArn", "store it in Secrets Manager"},
		{"default cloud without token", `{"url":""}`, "tenantforge:pulumiBackend.accessTokenSecretArn", "store it in Secrets Manager"},
		{"bucket without passphrase", `{"url":"s3://state"}`, "tenantforge:pulumiBackend.passphraseSecretArn", "store it in Secrets Manager"},
		{"token in plaintext", `{"url":"https://api.pulumi.com","accessToken":"pul-123"}`, "tenantforge:pulumiBackend", `"accessToken" is not a known setting`},
		{"token in the url", `{"url":"https://api.pulumi.com/?token=pul-123","accessTokenSecretArn":"` + backendTokenArn + `"}`, "tenantforge:pulumiBackend.url", "put the token in Secrets Manager"},
		{"secret that is not an ARN", `{"url":"s3://state","passphraseSecretArn":"hunter2"}`, "tenantforge:pulumiBackend.passphraseSecretArn", "not a Secrets Manager secret ARN"},
		{"SSM parameter instead of a secret", `{"url":"https://api.pulumi.com","accessTokenSecretArn":"arn:aws:ssm:eu-west-1:123456789012:parameter/token"}`, "tenantforge:pulumiBackend.accessTokenSecretArn", "not a Secrets Manager secret ARN"},
		{"local backend", `{"url":"file:///tmp/state","passphraseSecretArn":"` + passphraseArn + `"}`, "tenantforge:pulumiBackend.url", "not reachable from the tenant deployer"},
		{"unknown scheme", `{"url":"ftp://state"}`, "tenantforge:pulumiBackend.url", "is not a Pulumi backend URL"},
		{"not a url", `{"url":"state-bucket"}`, "tenantforge:pulumiBackend.url", "s3://bucket"},
		{"wrong type", `{"url":5}`, "tenantforge:pulumiBackend", "fix its type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig("tenantforge", "dev", ConfigFrom(withBackend(c.raw)))
			require.Error(t, err, "an unusable or leaky backend config was accepted: the deployer would fail at run time or a secret would sit in plaintext")
			var ce *ConfigError
			require.True(t, errors.As(err, &ce))
			found := false
			for _, p := range ce.Problems {
				if len(p) > len(c.key) && p[:len(c.key)+1] == c.key+":" {
					found = true
					assert.Contains(t, p, c.fix)
				}
			}
			assert.True(t, found, "no problem names %s: %v", c.key, ce.Problems)
		})
	}
}
