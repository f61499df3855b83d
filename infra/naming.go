package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Length limits AWS puts on physical names, by kind of resource.
const (
	MaxS3BucketName    = 63
	MaxLambdaName      = 64
	MaxIAMRoleName     = 64
	MaxDynamoTableName = 255
	MaxEventBusName    = 256
	MaxTrailName       = 128
	MaxLogGroupName    = 512
)

// Namer derives physical names from the project, the stack and a role
// ("registry", "data", "audit"). Names are deterministic, lowercase, use only
// letters, digits and hyphens, and fit the limit of the resource kind: a name
// that would be too long keeps its readable head and ends in a hash of the
// whole name, so two long names never collide.
type Namer struct {
	Project string
	Stack   string
}

var nonNameChars = regexp.MustCompile(`[^a-z0-9]+`)

// Name returns "<project>-<stack>-<role>" within max characters.
func (n Namer) Name(role string, max int) string {
	return FitName(n.Project+"-"+n.Stack+"-"+role, max)
}

// FitName makes any derived name a valid name of at most max characters:
// lowercase letters, digits and hyphens, the readable head kept and a hash
// of the whole name appended when it has to be cut.
func FitName(name string, max int) string {
	full := strings.Trim(nonNameChars.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(full) <= max {
		return full
	}
	sum := sha256.Sum256([]byte(full))
	suffix := hex.EncodeToString(sum[:])[:8]
	head := strings.TrimRight(full[:max-len(suffix)-1], "-")
	return head + "-" + suffix
}
