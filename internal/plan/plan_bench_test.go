package plan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tenantforge/tenantforge/infra"
)

// BenchmarkPlanRepository measures `make plan`'s core: running the program
// for every stack file of the repository under the recording mock.
func BenchmarkPlanRepository(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "authorizer.zip"), []byte("PK"), 0o644); err != nil {
		b.Fatal(err)
	}
	p := &Planner{Dir: "../..", Artifacts: infra.Artifacts{Dir: dir}}
	for b.Loop() {
		stacks, err := p.PlanAll()
		if err != nil {
			b.Fatal(err)
		}
		if len(stacks) < 2 {
			b.Fatalf("planned %d stacks, want the platform and the example tenant", len(stacks))
		}
	}
}
