package plan

import (
	"testing"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/lambdabuild"
)

// BenchmarkPlanRepository measures `make plan`'s core: running the program
// for every stack file of the repository under the recording mock.
func BenchmarkPlanRepository(b *testing.B) {
	dir, err := lambdabuild.WriteStandIns("../..", b.TempDir())
	if err != nil {
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
