// Command webbuild copies the web app (web/) to build/web with
// content-hashed JavaScript and CSS names and rewritten imports (see
// internal/webbuild). `make build` runs it.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tenantforge/tenantforge/internal/webbuild"
)

func main() {
	src := flag.String("src", "web", "the web app's sources")
	out := flag.String("out", "build/web", "where to write the served tree (replaced)")
	flag.Parse()
	res, err := webbuild.Build(*src, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	total := 0
	for _, f := range res.Files {
		total += f.Size
	}
	fmt.Printf("webbuild: %d files, %.1f kB in %s\n", len(res.Files), float64(total)/1e3, *out)
}
