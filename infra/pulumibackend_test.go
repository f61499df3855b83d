package infra

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tokenArn      = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tenantforge/pulumi-token-AbCdEf"
	passphraseArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tenantforge/pulumi-passphrase-AbCdEf"
)

func withBackend(backend string) map[string]string {
	return with(validPlatform(), "tenantforge:pulumiBackend", backend, "tenantforge:cicd", `{"repository":"acme/tenantforge","branch":"main"}`)
}

func TestPulumiBackendIsOffByDefault(t *testing.T) {
	cfg, err := ParseConfig("tenantforge", "dev", getter(validPlatform()))
	require.NoError(t, err)
	assert.Equal(t, PulumiBackendConfig{}, cfg.PulumiBackend)
	assert.Empty(t, cfg.PulumiBackend.URL, "without a backend there is no tenant deployer")
}

func TestPulumiBackendAccepted(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want PulumiBackendConfig
	}{
		{`{"url":"https://api.pulumi.com","accessTokenSecretArn":"` + tokenArn + `"}`, PulumiBackendConfig{URL: "https://api.pulumi.com", AccessTokenSecretArn: tokenArn}},
		{`{"url":"s3://acme-pulumi-state","passphraseSecretArn":"` + passphraseArn + `"}`, PulumiBackendConfig{URL: "s3://acme-pulumi-state", PassphraseSecretArn: passphraseArn}},
	} {
		cfg, err := ParseConfig("tenantforge", "dev", getter(withBackend(c.raw)))
		require.NoError(t, err, c.raw)
		assert.Equal(t, c.want, cfg.PulumiBackend)
		assert.NotEmpty(t, cfg.PulumiBackend.URL)
	}
}

// Each rule: the key the message must name and a piece of the fix.
func TestPulumiBackendRejects(t *testing.T) {
	for _, c := range []struct {
		name, raw, key, fix string
		config              map[string]string
	}{
		{name: "cloud without token", raw: `{"url":"https://api.pulumi.com"}`, key: "tenantforge:pulumiBackend.accessTokenSecretArn", fix: "store it in Secrets Manager"},
		{name: "bucket without passphrase", raw: `{"url":"s3://state"}`, key: "tenantforge:pulumiBackend.passphraseSecretArn", fix: "store it in Secrets Manager"},
		{name: "token in plaintext", raw: `{"url":"https://api.pulumi.com","accessToken":"pul-123"}`, key: "tenantforge:pulumiBackend", fix: `"accessToken" is not a known setting`},
		{name: "credentials in the url", raw: `{"url":"https://me:pul-123@api.pulumi.com","accessTokenSecretArn":"` + tokenArn + `"}`, key: "tenantforge:pulumiBackend.url", fix: "put the token in Secrets Manager"},
		{name: "secret that is not an ARN", raw: `{"url":"s3://state","passphraseSecretArn":"hunter2"}`, key: "tenantforge:pulumiBackend.passphraseSecretArn", fix: "not a Secrets Manager secret ARN"},
		{name: "SSM parameter instead of a secret", raw: `{"url":"https://api.pulumi.com","accessTokenSecretArn":"arn:aws:ssm:eu-west-1:123456789012:parameter/token"}`, key: "tenantforge:pulumiBackend.accessTokenSecretArn", fix: "not a Secrets Manager secret ARN"},
		{name: "local backend", raw: `{"url":"file:///tmp/state"}`, key: "tenantforge:pulumiBackend.url", fix: "not reachable from the tenant deployer"},
		{name: "unknown scheme", raw: `{"url":"ftp://state"}`, key: "tenantforge:pulumiBackend.url", fix: "use https://api.pulumi.com, s3://"},
		{name: "not a url", raw: `{"url":"state-bucket"}`, key: "tenantforge:pulumiBackend.url", fix: "s3://my-state-bucket"},
		{name: "secrets without url", raw: `{"url":"","passphraseSecretArn":"` + passphraseArn + `"}`, key: "tenantforge:pulumiBackend.url", fix: "missing while its secrets are set"},
		{name: "wrong type", raw: `{"url":5}`, key: "tenantforge:pulumiBackend", fix: "fix its type"},
		{name: "backend without repository", raw: `{"url":"s3://state","passphraseSecretArn":"` + passphraseArn + `"}`, key: "tenantforge:cicd.repository",
			fix: "the tenant deployer builds tenant stacks from the repository", config: with(validPlatform(), "tenantforge:pulumiBackend", `{"url":"s3://state","passphraseSecretArn":"`+passphraseArn+`"}`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			config := c.config
			if config == nil {
				config = withBackend(c.raw)
			}
			_, err := ParseConfig("tenantforge", "dev", getter(config))
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
