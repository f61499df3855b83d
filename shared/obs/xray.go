package obs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// Tracer sends X-Ray subsegments to the X-Ray daemon over UDP, as the X-Ray
// SDKs do, under the trace Lambda started for the invocation. A nil Tracer
// does nothing: outside Lambda (no daemon address) tracing is silent.
type Tracer struct {
	conn net.Conn
	now  func() time.Time
}

// EnvDaemonAddress and EnvTraceID are the variables Lambda sets when active
// tracing is on.
const (
	EnvDaemonAddress = "AWS_XRAY_DAEMON_ADDRESS"
	EnvTraceID       = "_X_AMZN_TRACE_ID"
)

// NewTracer returns a tracer for a daemon address as Lambda writes it
// ("169.254.79.129:2000" or "udp:127.0.0.1:2000 tcp:127.0.0.1:2000"), or
// nil when there is no UDP address.
func NewTracer(daemon string) *Tracer {
	var udp string
	for _, f := range strings.Fields(daemon) {
		switch {
		case strings.HasPrefix(f, "udp:"):
			udp = strings.TrimPrefix(f, "udp:")
		case !strings.Contains(f, "tcp:") && udp == "":
			udp = f
		}
	}
	if udp == "" {
		return nil
	}
	conn, err := net.Dial("udp", udp)
	if err != nil {
		return nil
	}
	return &Tracer{conn: conn, now: time.Now}
}

var defaultTracer = sync.OnceValue(func() *Tracer { return NewTracer(os.Getenv(EnvDaemonAddress)) })

// DefaultTracer is the process's tracer from AWS_XRAY_DAEMON_ADDRESS.
func DefaultTracer() *Tracer { return defaultTracer() }

// TraceHeader is a parsed X-Amzn-Trace-Id header.
type TraceHeader struct {
	Root, Parent string
	Sampled      bool
}

// ParseTraceHeader reads "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".
func ParseTraceHeader(h string) TraceHeader {
	var t TraceHeader
	for _, part := range strings.Split(h, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			t.Root = v
		case "Parent":
			t.Parent = v
		case "Sampled":
			t.Sampled = v == "1"
		}
	}
	return t
}

// Subsegment is one timed piece of work inside the invocation's trace.
type Subsegment struct {
	tracer *Tracer
	mu     sync.Mutex
	doc    segmentDoc
}

type segmentDoc struct {
	Name        string            `json:"name"`
	ID          string            `json:"id"`
	TraceID     string            `json:"trace_id"`
	ParentID    string            `json:"parent_id"`
	Type        string            `json:"type"`
	StartTime   float64           `json:"start_time"`
	EndTime     float64           `json:"end_time"`
	Namespace   string            `json:"namespace,omitempty"`
	Error       bool              `json:"error,omitempty"`
	Fault       bool              `json:"fault,omitempty"`
	Throttle    bool              `json:"throttle,omitempty"`
	Annotations map[string]any    `json:"annotations,omitempty"`
	AWS         map[string]any    `json:"aws,omitempty"`
	HTTP        map[string]any    `json:"http,omitempty"`
	Cause       map[string]string `json:"cause,omitempty"`
}

type segmentKey struct{}

// AnnotationTenant is the annotation naming the tenant (indexed by X-Ray,
// so traces can be filtered with annotation.TenantId = "acme").
const AnnotationTenant = "TenantId"

// lambdaTraceKey is the context key under which aws-lambda-go puts the
// invocation's trace header.
const lambdaTraceKey = "x-amzn-trace-id"

// WithTraceHeader returns a context carrying a trace header as aws-lambda-go
// passes it to the handler (for callers that invoke handlers themselves:
// local runs and tests).
func WithTraceHeader(ctx context.Context, header string) context.Context {
	//lint:ignore SA1029 the key is aws-lambda-go's, a plain string
	return context.WithValue(ctx, lambdaTraceKey, header)
}

// traceOf returns the trace and parent a new subsegment belongs to: the
// enclosing subsegment, else the invocation's header (aws-lambda-go puts
// it in the context and in _X_AMZN_TRACE_ID).
func traceOf(ctx context.Context) (root, parent string, ok bool) {
	if s, _ := ctx.Value(segmentKey{}).(*Subsegment); s != nil {
		return s.doc.TraceID, s.doc.ID, true
	}
	h, _ := ctx.Value(lambdaTraceKey).(string)
	if h == "" {
		h = os.Getenv(EnvTraceID)
	}
	t := ParseTraceHeader(h)
	if t.Root == "" || t.Parent == "" || !t.Sampled {
		return "", "", false
	}
	return t.Root, t.Parent, true
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func epoch(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

// Start begins a subsegment named name under the current trace. It returns
// a nil Subsegment (whose methods do nothing) when the tracer is nil or the
// invocation is not sampled.
func (t *Tracer) Start(ctx context.Context, name string) (context.Context, *Subsegment) {
	if t == nil {
		return ctx, nil
	}
	root, parent, ok := traceOf(ctx)
	if !ok {
		return ctx, nil
	}
	s := &Subsegment{tracer: t, doc: segmentDoc{
		Name: name, ID: newID(), TraceID: root, ParentID: parent, Type: "subsegment", StartTime: epoch(t.now()),
	}}
	if tenant := TenantFrom(ctx); tenant != "" {
		s.doc.Annotations = map[string]any{AnnotationTenant: tenant}
	}
	return context.WithValue(ctx, segmentKey{}, s), s
}

// Current returns the innermost subsegment of ctx, or nil.
func Current(ctx context.Context) *Subsegment {
	s, _ := ctx.Value(segmentKey{}).(*Subsegment)
	return s
}

// Annotate adds an indexed annotation.
func (s *Subsegment) Annotate(key string, value any) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.doc.Annotations == nil {
		s.doc.Annotations = map[string]any{}
	}
	s.doc.Annotations[key] = value
}

// Header is the X-Amzn-Trace-Id header to propagate downstream.
func (s *Subsegment) Header() string {
	if s == nil {
		return ""
	}
	return "Root=" + s.doc.TraceID + ";Parent=" + s.doc.ID + ";Sampled=1"
}

// SetStatus records an HTTP status: 429 is a throttle, 4xx an error, 5xx a fault.
func (s *Subsegment) SetStatus(status int) {
	if s == nil || status == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc.HTTP = map[string]any{"response": map[string]any{"status": status}}
	switch {
	case status == 429:
		s.doc.Throttle, s.doc.Error = true, true
	case status >= 500:
		s.doc.Fault = true
	case status >= 400:
		s.doc.Error = true
	}
}

// End sends the subsegment; err, when set, marks it a fault (its message
// scrubbed of tokens and emails).
func (s *Subsegment) End(err error) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.doc.EndTime = epoch(s.tracer.now())
	if err != nil {
		if !s.doc.Error && !s.doc.Throttle {
			s.doc.Fault = true
		}
		s.doc.Cause = map[string]string{"message": Scrub(err.Error())}
	}
	body, mErr := json.Marshal(s.doc)
	s.mu.Unlock()
	if mErr != nil {
		return
	}
	// Best effort, as the X-Ray SDKs: a lost datagram loses a subsegment, never a request.
	_, _ = s.tracer.conn.Write(append([]byte("{\"format\":\"json\",\"version\":1}\n"), body...))
}
