package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeOutputs(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "stack.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"releases": {"orders": {"functionName": "f-orders", "alias": "live", "version": "5", "application": "app", "deploymentGroup": "pool-orders"}}}`), 0o600))
	return p
}

func TestListAndDeployment(t *testing.T) {
	file := writeOutputs(t)
	var out, errOut bytes.Buffer
	require.NoError(t, run([]string{"list", "-outputs", file}, &out, &errOut))
	assert.Equal(t, "orders\tf-orders\tlive\t5\n", out.String())

	out.Reset()
	require.NoError(t, run([]string{"deployment", "-outputs", file, "-service", "orders", "-current", "4"}, &out, &errOut))
	var in map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &in), "the output must be a create-deployment request the AWS CLI reads")
	assert.Equal(t, "app", in["applicationName"])
	assert.Equal(t, "pool-orders", in["deploymentGroupName"])

	out.Reset()
	require.NoError(t, run([]string{"deployment", "-outputs", file, "-service", "orders", "-current", "5"}, &out, &errOut))
	assert.Empty(t, out.String(), "an up-to-date alias must produce no deployment")
	assert.Contains(t, errOut.String(), "already serves version 5")

	err := run([]string{"deployment", "-outputs", file, "-service", "invoices", "-current", "1"}, &out, &errOut)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no release of service "invoices"`)
	require.Error(t, run([]string{"list"}, &out, &errOut), "-outputs is required")
}
