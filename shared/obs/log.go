// Package obs is the functions' telemetry: JSON request logs that never
// carry secrets or personal data, per-request metering (items written and
// DynamoDB capacity consumed, for the per-tenant metrics and the usage
// records), CloudWatch Embedded Metric Format documents, and a small X-Ray
// emitter with a TenantId annotation on every subsegment.
//
// It depends on the standard library and smithy-go only, so request-path
// functions keep their cold start: the official X-Ray SDK would cost more
// than the 6 MB / 20 ms budget allows.
package obs

import (
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// Redacted replaces a value that must not reach the logs.
const Redacted = "[redacted]"

// sensitiveKeys are attribute names whose values are never logged, compared
// without case, hyphens or underscores.
var sensitiveKeys = []string{
	"authorization", "token", "idtoken", "accesstoken", "refreshtoken", "session", "sessiontoken",
	"password", "adminpassword", "temporarypassword", "newpassword", "secret", "secretaccesskey",
	"apikey", "apikeyvalue", "xapikey", "cookie", "email", "adminemail", "username", "phone", "phonenumber",
}

var (
	// jwtRE finds a JSON Web Token (three base64url parts, header first).
	jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)
	// emailRE finds an email address anywhere in a string.
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	// bearerRE finds an Authorization header's credential.
	bearerRE = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+`)
)

func normalize(k string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "", ".", "").Replace(k))
}

// IsSensitiveKey reports whether an attribute of this name is redacted.
func IsSensitiveKey(k string) bool {
	n := normalize(k)
	for _, s := range sensitiveKeys {
		if n == s || strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// Scrub removes tokens, credentials and email addresses from free text such
// as an error message.
func Scrub(s string) string {
	if !strings.ContainsAny(s, "@.") && !strings.Contains(strings.ToLower(s), "bearer") {
		return s
	}
	s = bearerRE.ReplaceAllString(s, "$1 "+Redacted)
	s = jwtRE.ReplaceAllString(s, Redacted)
	return emailRE.ReplaceAllString(s, Redacted)
}

// redact is the slog ReplaceAttr of every logger of this package.
func redact(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.MessageKey || a.Key == slog.TimeKey || a.Key == slog.LevelKey {
		return a
	}
	if IsSensitiveKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); s != Scrub(s) {
			return slog.String(a.Key, Scrub(s))
		}
	case slog.KindAny:
		v := a.Value.Any()
		if err, ok := v.(error); ok {
			return slog.String(a.Key, Scrub(err.Error()))
		}
		if _, ok := v.(json.Marshaler); ok || v == nil {
			return a
		}
		// Structured values (maps, structs, slices) are cleaned field by field.
		b, err := json.Marshal(v)
		if err != nil {
			return slog.String(a.Key, Redacted)
		}
		var tree any
		if json.Unmarshal(b, &tree) != nil {
			return slog.String(a.Key, Redacted)
		}
		return slog.Any(a.Key, clean(tree))
	}
	return a
}

func clean(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if IsSensitiveKey(k) {
				t[k] = Redacted
			} else {
				t[k] = clean(x)
			}
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = clean(x)
		}
		return t
	case string:
		return Scrub(t)
	}
	return v
}

// NewLogger returns the functions' JSON logger: one object per line,
// sensitive attributes redacted by name (tokens, passwords, keys, emails)
// and by content (JWTs, bearer credentials, email addresses).
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: redact}))
}
