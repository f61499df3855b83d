// Package obstest holds what tests of the functions' telemetry
// (shared/obs) listen with: a stand-in X-Ray daemon, a UDP listener that
// reads the subsegments the functions send (it does not prove that X-Ray
// accepts them), and a Sink for the lines they log or emit.
package obstest

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Daemon listens where a tracer sends (obs.NewTracer(d.Addr())).
type Daemon struct {
	conn *net.UDPConn
}

// NewDaemon listens on a free local UDP port until the test ends.
func NewDaemon(t testing.TB) *Daemon {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &Daemon{conn: c}
}

// Addr is the daemon's address as Lambda writes AWS_XRAY_DAEMON_ADDRESS.
func (d *Daemon) Addr() string { return d.conn.LocalAddr().String() }

// Next waits up to two seconds for one datagram, checks its header line
// and returns the subsegment; msgAndArgs say what failed to send one.
func (d *Daemon) Next(t testing.TB, msgAndArgs ...any) map[string]any {
	t.Helper()
	buf := make([]byte, 65536)
	require.NoError(t, d.conn.SetReadDeadline(time.Now().Add(2*time.Second)))
	n, err := d.conn.Read(buf)
	if len(msgAndArgs) == 0 {
		msgAndArgs = []any{"the daemon received no subsegment"}
	}
	require.NoError(t, err, msgAndArgs...)
	header, body, ok := strings.Cut(string(buf[:n]), "\n")
	require.True(t, ok, "a datagram without the header line: the daemon drops it")
	assert.JSONEq(t, `{"format":"json","version":1}`, header, "the daemon needs the header line")
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	return doc
}

// Collect reads n subsegments in the order they arrive.
func (d *Daemon) Collect(t testing.TB, n int) []map[string]any {
	t.Helper()
	out := make([]map[string]any, 0, n)
	for len(out) < n {
		out = append(out, d.Next(t, "the daemon got %d subsegments, want %d", len(out), n))
	}
	return out
}

// Sink collects what functions write (log lines, metric documents); it is
// safe for concurrent writers.
type Sink struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// Lines returns what was written so far, one element per line ([""] when
// nothing was).
func (s *Sink) Lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Split(strings.TrimSpace(s.b.String()), "\n")
}
