package tenantctl

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteText writes the report as a table, one line per stack.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WAVE\tTENANT\tSTACK\tOUTCOME\tERROR")
	row := func(s StackResult) {
		tenant := s.TenantID
		if tenant == "" {
			tenant = "(platform)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", s.Wave, tenant, s.Stack, s.Outcome, s.Error)
	}
	row(r.Platform)
	for _, s := range r.Tenants {
		row(s)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	updated, failed, skipped := 0, 0, 0
	for _, s := range r.Tenants {
		switch s.Outcome {
		case OutcomeUpdated:
			updated++
		case OutcomeFailed:
			failed++
		default:
			skipped++
		}
	}
	verdict := "rollout complete"
	if r.Failed {
		verdict = "rollout stopped"
	}
	_, err := fmt.Fprintf(w, "%s: platform %s; tenant stacks: %d updated, %d failed, %d skipped\n", verdict, r.Platform.Outcome, updated, failed, skipped)
	return err
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
