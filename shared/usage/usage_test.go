package usage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/shared/obs"
	"github.com/tenantforge/tenantforge/shared/obs/obstest"
)

// extensionsAPI is a stand-in of the Lambda Extensions API: it hands out
// the events the test releases, one per /event/next.
type extensionsAPI struct {
	events     chan string
	registered chan string
	// stop releases a pending /event/next when the test ends, so a failed
	// assertion ends the test instead of leaving ts.Close waiting on it.
	stop chan struct{}
}

func (a *extensionsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/2020-01-01/extension/register":
		a.registered <- r.Header.Get("Lambda-Extension-Name")
		w.Header().Set("Lambda-Extension-Identifier", "ext-1")
		_, _ = w.Write([]byte(`{"functionName":"f"}`))
	case "/2020-01-01/extension/event/next":
		if r.Header.Get("Lambda-Extension-Identifier") != "ext-1" {
			http.Error(w, "unknown extension", http.StatusForbidden)
			return
		}
		select {
		case ev := <-a.events:
			_, _ = fmt.Fprintf(w, `{"eventType":%q}`, ev)
		case <-a.stop:
			http.Error(w, "the test ended", http.StatusServiceUnavailable)
		}
	default:
		http.NotFound(w, r)
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func TestExtensionFlushesPerTenantAfterEachInvocation(t *testing.T) {
	api := &extensionsAPI{events: make(chan string), registered: make(chan string, 1), stop: make(chan struct{})}
	ts := httptest.NewServer(api)
	defer ts.Close()
	defer close(api.stop) // runs before ts.Close
	// Waits are generous: the suite shares two cores with the end-to-end
	// and browser tests, and only the order of events is under test here.
	const wait = 15 * time.Second
	release := func(ev string) {
		t.Helper()
		select {
		case api.events <- ev:
		case <-time.After(wait):
			t.Fatalf("the extension never asked for the next event (%s)", ev)
		}
	}
	out := &obstest.Sink{}
	ext := &Extension{API: strings.TrimPrefix(ts.URL, "http://"), Name: "tenantforge-usage", Addr: freeAddr(t), Out: out, Namespace: "tf-test",
		Now: func() time.Time { return time.UnixMilli(1_790_000_000_000) }}
	done := make(chan error, 1)
	go func() { done <- ext.Run(context.Background()) }()
	select {
	case name := <-api.registered:
		assert.Equal(t, "tenantforge-usage", name)
	case err := <-done:
		t.Fatalf("the extension stopped before registering: %v", err)
	case <-time.After(wait):
		t.Fatal("the extension never registered")
	}

	release("INVOKE") // invocation 1 starts
	rep := NewReporter(ext.Addr)
	require.Eventually(t, func() bool {
		return rep.Report(context.Background(), Record{TenantID: "acme", Tier: "basic", Service: "orders", Status: 201, LatencyMs: 4,
			ItemsWritten: 1, ReadCapacity: 0.5, WriteCapacity: 2})
	},
		wait, 10*time.Millisecond, "the function must reach the extension")
	assert.True(t, rep.Report(context.Background(), Record{TenantID: "acme", Tier: "basic", Service: "orders", Status: 500, LatencyMs: 10}))
	assert.True(t, rep.Report(context.Background(), Record{TenantID: "globex", Tier: "premium", Service: "orders", Status: 404, LatencyMs: 2}))
	assert.Equal(t, []string{""}, out.Lines(), "nothing is written while the invocation runs")

	release("INVOKE") // invocation 2 starts: invocation 1's response is out
	require.Eventually(t, func() bool { return len(out.Lines()) == 2 }, wait, 10*time.Millisecond,
		"invocation 1's records must be flushed once invocation 2 starts")
	for _, l := range out.Lines() {
		require.NoError(t, obs.ValidateEMF([]byte(l)), "CloudWatch would drop this line: %s", l)
	}
	var acme map[string]any
	require.NoError(t, json.Unmarshal([]byte(out.Lines()[0]), &acme))
	assert.Equal(t, "acme", acme["tenant_id"])
	assert.Equal(t, "basic", acme["tier"])
	assert.Equal(t, "orders", acme["service"])
	assert.Equal(t, float64(2), acme["Requests"])
	assert.Equal(t, float64(1), acme["ServerErrors"])
	assert.Equal(t, float64(0), acme["ClientErrors"])
	assert.Equal(t, []any{4.0, 10.0}, acme["Latency"], "latency samples, so p99 per tenant can be computed")
	assert.Equal(t, float64(1), acme["ItemsWritten"])
	assert.Equal(t, 0.5, acme["ConsumedReadCapacity"])
	assert.Equal(t, float64(2), acme["ConsumedWriteCapacity"])
	emf := acme["_aws"].(map[string]any)
	assert.Equal(t, float64(1_790_000_000_000), emf["Timestamp"])
	metric := emf["CloudWatchMetrics"].([]any)[0].(map[string]any)
	assert.Equal(t, "tf-test", metric["Namespace"], "the namespace comes from the stack's config")
	assert.Equal(t, []any{[]any{"tenant_id", "tier", "service"}, []any{"tier", "service"}, []any{"tenant_id"}}, metric["Dimensions"])
	for _, m := range metric["Metrics"].([]any) {
		assert.Contains(t, acme, m.(map[string]any)["Name"], "every declared metric must have a value in the line (EMF)")
	}
	var globex map[string]any
	require.NoError(t, json.Unmarshal([]byte(out.Lines()[1]), &globex))
	assert.Equal(t, float64(1), globex["ClientErrors"])

	assert.True(t, rep.Report(context.Background(), Record{TenantID: "acme", Tier: "basic", Service: "orders", Status: 200, LatencyMs: 1}))
	release("SHUTDOWN")
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(wait):
		t.Fatal("the extension did not stop on SHUTDOWN")
	}
	assert.Len(t, out.Lines(), 3, "shutdown flushes what is left")
}

func TestManyRequestsSplitLatencySamplesAcrossValidLines(t *testing.T) {
	out := &obstest.Sink{}
	ext := &Extension{Out: out, Now: func() time.Time { return time.UnixMilli(1_790_000_000_000) }}
	for i := range 250 {
		ext.add(Record{TenantID: "acme", Tier: "basic", Service: "orders", Status: 200, LatencyMs: float64(i)})
	}
	require.NoError(t, ext.Flush())
	lines := out.Lines()
	require.Len(t, lines, 3, "250 samples need three lines of at most 100")
	total := 0
	for i, l := range lines {
		require.NoError(t, obs.ValidateEMF([]byte(l)))
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &doc))
		total += len(doc["Latency"].([]any))
		if i > 0 {
			assert.NotContains(t, doc, "Requests", "requests must be counted once, not once per line")
		}
	}
	assert.Equal(t, 250, total, "every latency sample must be published")
}

func TestReportingWithoutTheExtensionIsQuickAndHarmless(t *testing.T) {
	rep := NewReporter(freeAddr(t))
	start := time.Now()
	assert.False(t, rep.Report(context.Background(), Record{TenantID: "acme", Status: 200}))
	assert.Less(t, time.Since(start), Timeout+50*time.Millisecond)
	var nilRep *Reporter
	assert.False(t, nilRep.Report(context.Background(), Record{TenantID: "acme"}))
}

func TestExtensionRejectsBadRecords(t *testing.T) {
	ext := &Extension{Out: &bytes.Buffer{}}
	for _, body := range []string{`{`, `{"status":200}`} {
		rec := httptest.NewRecorder()
		ext.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/usage", strings.NewReader(body)))
		assert.Equal(t, http.StatusBadRequest, rec.Code)
	}
	rec := httptest.NewRecorder()
	ext.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/other", nil))
	assert.Equal(t, http.StatusNotFound, rec.Code)
}
