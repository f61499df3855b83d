package main

import (
	"testing"

	"github.com/tenantforge/tenantforge/internal/plannedenv"
)

// The function starts with exactly the environment the repo's stacks give
// it, in the pool group and in a silo stack, and reads every variable they
// set (the metrics namespace through the shared layer's extension). Not
// proven: that the values name real resources (the plan's are synthesised).
func TestSetupTakesThePlannedEnvironment(t *testing.T) {
	plannedenv.Check(t, "../..", "orders", func() error { _, err := setup(); return err })
}
