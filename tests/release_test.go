package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeCLIs puts stand-ins for the pulumi and aws CLIs first on PATH: pulumi
// prints the given stack outputs, aws answers get-alias with the serving
// version, create-deployment with an id, and the wait with waitExit. Every
// call is appended to the returned log file.
func fakeCLIs(t *testing.T, outputs map[string]string, serving map[string]string, waitExit int) (string, string) {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "calls.log")
	for stack, out := range outputs {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "outputs-"+stack+".json"), []byte(out), 0o600))
	}
	var aliases strings.Builder
	for fn, v := range serving {
		aliases.WriteString("    " + fn + ") echo " + v + " ;;\n")
	}
	pulumi := `#!/usr/bin/env bash
echo "pulumi $*" >> "` + log + `"
stack=""
while [ $# -gt 0 ]; do [ "$1" = --stack ] && stack=$2; shift; done
cat "` + dir + `/outputs-$stack.json"
`
	aws := `#!/usr/bin/env bash
printf 'aws' >> "` + log + `"; printf ' %q' "$@" >> "` + log + `"; echo >> "` + log + `"
case "$1 $2" in
  "lambda get-alias")
    case "$4" in
` + aliases.String() + `    esac ;;
  "deploy create-deployment") echo d-$(( RANDOM % 1000 + 1000 )) ;;
  "deploy wait") exit ` + string(rune('0'+waitExit)) + ` ;;
  "deploy get-deployment") echo "Stopped	alarm fired" ;;
esac
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pulumi"), []byte(pulumi), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "aws"), []byte(aws), 0o755))
	return dir, log
}

func releaseOutputs(prefix, products, orders string) string {
	rel := func(svc, v string) map[string]string {
		return map[string]string{"functionName": prefix + "-" + svc, "alias": "live", "version": v, "application": prefix + "-release", "deploymentGroup": svc}
	}
	b, _ := json.Marshal(map[string]any{"releases": map[string]any{"products": rel("products", products), "orders": rel("orders", orders)}})
	return string(b)
}

func runRelease(t *testing.T, path string, stacks ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is needed to run .ci/release-lambdas")
	}
	cmd := exec.Command(filepath.Join(repoRoot, ".ci", "release-lambdas"), stacks...)
	cmd.Env = append(os.Environ(), "PATH="+path+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// make release deploys exactly the aliases that are behind, across the
// platform and tenant stacks, with the AppSpec inline. Not proven here:
// CodeDeploy's own behaviour (traffic shifting, alarm rollback).
func TestReleaseDeploysOnlyAliasesThatAreBehind(t *testing.T) {
	dir, log := fakeCLIs(t,
		map[string]string{"dev": releaseOutputs("tf-dev-pool", "4", "7"), "dev-tenant-acme": releaseOutputs("tf-acme-silo", "2", "2")},
		map[string]string{"tf-dev-pool-products": "3", "tf-dev-pool-orders": "7", "tf-acme-silo-products": "1", "tf-acme-silo-orders": "2"}, 0)
	out, err := runRelease(t, dir, "dev", "dev-tenant-acme")
	require.NoError(t, err, "release failed: %s", out)
	calls, err := os.ReadFile(log)
	require.NoError(t, err)
	var creates []map[string]any
	waits := 0
	for _, line := range strings.Split(strings.TrimSpace(string(calls)), "\n") {
		if strings.HasPrefix(line, "aws deploy create-deployment --cli-input-json ") {
			arg := strings.TrimPrefix(line, "aws deploy create-deployment --cli-input-json ")
			// printf %q quotes the JSON for the shell; unquote it with bash.
			raw, err := exec.Command("bash", "-c", "printf '%s' "+strings.TrimSuffix(arg, " --query deploymentId --output text")).Output()
			require.NoError(t, err)
			var req map[string]any
			require.NoError(t, json.Unmarshal(raw, &req), "create-deployment got no JSON request: %s", raw)
			creates = append(creates, req)
		}
		if strings.HasPrefix(line, "aws deploy wait deployment-successful") {
			waits++
		}
	}
	require.Len(t, creates, 2, "exactly the two aliases behind their new version must be released; got %s", calls)
	assert.Equal(t, 2, waits, "every deployment must be waited for")
	var groups []string
	for _, c := range creates {
		groups = append(groups, c["applicationName"].(string)+"/"+c["deploymentGroupName"].(string))
		content := c["revision"].(map[string]any)["appSpecContent"].(map[string]any)["content"].(string)
		assert.Contains(t, content, `"Alias":"live"`)
	}
	assert.ElementsMatch(t, []string{"tf-dev-pool-release/products", "tf-acme-silo-release/products"}, groups)
	assert.Contains(t, out, "tf-dev-pool-products:live 3 -> 4")
}

func TestReleaseFailsWhenADeploymentRollsBack(t *testing.T) {
	dir, _ := fakeCLIs(t, map[string]string{"dev": releaseOutputs("tf-dev-pool", "4", "7")},
		map[string]string{"tf-dev-pool-products": "3", "tf-dev-pool-orders": "6"}, 1)
	out, err := runRelease(t, dir, "dev")
	require.Error(t, err, "a rolled-back release must fail the pipeline's deploy stage")
	assert.Contains(t, out, "did not succeed (rolled back)")
	assert.Contains(t, out, "alarm fired", "the reason must reach the build log")
}

func TestReleaseWithNothingBehindDeploysNothing(t *testing.T) {
	dir, log := fakeCLIs(t, map[string]string{"dev": releaseOutputs("tf-dev-pool", "4", "7")},
		map[string]string{"tf-dev-pool-products": "4", "tf-dev-pool-orders": "7"}, 0)
	out, err := runRelease(t, dir, "dev")
	require.NoError(t, err, "an up-to-date stack must not fail the deploy: %s", out)
	calls, err := os.ReadFile(log)
	require.NoError(t, err)
	assert.NotContains(t, string(calls), "create-deployment", "redeploying serving versions would run needless canaries")
	assert.Contains(t, out, "already serves version 4")
}
