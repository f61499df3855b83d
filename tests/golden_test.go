package tests

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/plan"
)

// The golden plans are the reviewed inventory of what each stack creates. A
// change to the program's resources fails here with a diff until the change
// is reviewed and `make plan-update` records it.
func TestPlanMatchesGoldenSnapshot(t *testing.T) {
	stacks := planRepo(t)
	var planned []string
	for _, s := range stacks {
		planned = append(planned, s.Name+".json")
		got, err := plan.Snapshot(s.Document, repoRoot)
		require.NoError(t, err)
		want, err := os.ReadFile(filepath.Join("golden", s.Name+".json"))
		if os.IsNotExist(err) {
			t.Errorf("stack %s has no golden plan: run `make plan-update` and commit tests/golden/%s.json", s.Name, s.Name)
			continue
		}
		require.NoError(t, err)
		if string(want) != string(got) {
			diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
				A: difflib.SplitLines(string(want)), B: difflib.SplitLines(string(got)),
				FromFile: "tests/golden/" + s.Name + ".json", ToFile: "program", Context: 3,
			})
			t.Errorf("the resources of stack %s changed; review the diff and run `make plan-update` if it is intended:\n%s", s.Name, diff)
		}
	}
	entries, err := os.ReadDir("golden")
	require.NoError(t, err)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !slices.Contains(planned, e.Name()) {
			t.Errorf("tests/golden/%s belongs to no stack file any more: delete it", e.Name())
		}
	}
}
