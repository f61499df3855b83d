package infra

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDashboardBodyNeedsItsBasics(t *testing.T) {
	_, err := DashboardBody(DashboardSpec{Region: "eu-west-1", TopTenants: 10})
	assert.Error(t, err, "a dashboard without a namespace would show nothing")
}

func TestDashboardWidgetsDoNotOverlap(t *testing.T) {
	body, err := DashboardBody(DashboardSpec{Region: "eu-west-1", Namespace: "tenantforge", TopTenants: 5, Tiers: []string{"basic", "premium"},
		Services: []string{"orders"}, APIs: []string{"api"}, Functions: []string{"f"}, Tables: []string{"t"}})
	require.NoError(t, err)
	var doc struct {
		Widgets []struct{ X, Y, Width, Height int } `json:"widgets"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	cells := map[[2]int]bool{}
	for _, w := range doc.Widgets {
		assert.LessOrEqual(t, w.X+w.Width, 24, "a widget runs off the 24-column grid")
		for x := w.X; x < w.X+w.Width; x++ {
			for y := w.Y; y < w.Y+w.Height; y++ {
				assert.False(t, cells[[2]int{x, y}], "widgets overlap at %d,%d: CloudWatch would move them", x, y)
				cells[[2]int{x, y}] = true
			}
		}
	}
	assert.NotContains(t, body, "Provisioning outcomes", "without provisioning rules (a silo stack) the row is left out")
}
