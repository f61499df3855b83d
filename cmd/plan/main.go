// Command plan renders what `pulumi up` would create for every stack file of
// the project, offline: it runs the program under the recording mock and
// writes build/plan/<stack>.json, .md, .dot and, where Graphviz is
// installed, .svg. With -golden DIR it also writes the normalised plan
// snapshots the tests compare against (`make plan-update`).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/plan"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "plan:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", ".", "project directory (holds Pulumi.yaml and the stack files)")
	out := flag.String("out", "build/plan", "where to write the plan files")
	artifacts := flag.String("artifacts", infra.DefaultArtifactsDir, "directory of the Lambda packages (`make build`)")
	golden := flag.String("golden", "", "also write the normalised snapshots into this directory")
	flag.Parse()

	start := time.Now()
	planner := &plan.Planner{Dir: *dir, Artifacts: infra.Artifacts{Dir: *artifacts}}
	stacks, err := planner.PlanAll()
	if err != nil {
		return err
	}
	for _, s := range stacks {
		files, err := s.Document.Write(*out)
		if err != nil {
			return err
		}
		svg := "no .svg: install Graphviz for the diagram"
		if files.SVG != "" {
			svg = files.SVG
		}
		fmt.Printf("%-24s %3d resources  %s  %s  %s  %s\n", s.Name, len(s.Document.Resources), files.JSON, files.Markdown, files.Dot, svg)
		if *golden != "" {
			snap, err := plan.Snapshot(s.Document, *dir)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(*golden, 0o755); err != nil {
				return err
			}
			path := filepath.Join(*golden, s.Name+".json")
			if err := os.WriteFile(path, snap, 0o644); err != nil {
				return err
			}
			fmt.Printf("%-24s snapshot updated: %s\n", "", path)
		}
	}
	fmt.Printf("planned %d stacks in %s\n", len(stacks), time.Since(start).Round(time.Millisecond))
	return nil
}
