// Package devstack runs the whole SaaS on this machine (`make dev` and the
// end-to-end suite): cognito-local and the minidyn DynamoDB emulator on
// loopback, a local API Gateway that routes with the same OpenAPI
// definitions, runs the real authorizer and the real handlers in-process,
// and throttles per API key from the tiers' usage plans. What it creates
// (tables, user pool, client, groups, the SystemAdmin, usage plans) is read
// from the program itself, run offline under the recording mock for the
// platform stack (and, for each silo tenant, for that tenant's stack), so
// there is no second list to keep in step with infra/.
package devstack

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
	"github.com/tenantforge/tenantforge/internal/plan"
	"github.com/tenantforge/tenantforge/internal/stackconfig"
)

// Resource types the local stack reads from the plan.
const (
	typeTable      = "aws:dynamodb/table:Table"
	typeTableItem  = "aws:dynamodb/tableItem:TableItem"
	typeUserPool   = "aws:cognito/userPool:UserPool"
	typeClient     = "aws:cognito/userPoolClient:UserPoolClient"
	typeGroup      = "aws:cognito/userGroup:UserGroup"
	typeUser       = "aws:cognito/user:User"
	typeUserGroup  = "aws:cognito/userInGroup:UserInGroup"
	typeUsagePlan  = "aws:apigateway/usagePlan:UsagePlan"
	platformRefKey = "local/tenantforge/"
)

// Table is a DynamoDB table as the stack creates it.
type Table struct {
	Name     string
	HashKey  string
	RangeKey string
	// Tenancy is the table's "tenancy" tag: pool, silo, or "" (registry).
	Tenancy string
	Indexes []Index `json:",omitempty"`
}

// Index is a global secondary index of a table.
type Index struct {
	Name, HashKey, RangeKey, Projection string
}

// Attribute is a custom attribute of the user pool.
type Attribute struct {
	Name, Type     string
	Mutable        bool
	MinLen, MaxLen string
}

// UserPool is the user pool, its web client and its groups.
type UserPool struct {
	Name           string
	UsernameAttrs  []string
	Schema         []Attribute
	MinPassword    int
	AdminOnly      bool
	ClientName     string
	AuthFlows      []string
	ReadAttrs      []string
	WriteAttrs     []string
	Groups         []Group
	IDTokenMinutes int
}

// Group is a Cognito group.
type Group struct {
	Name, Description string
	Precedence        int
}

// User is a user the stack creates (the SystemAdmin).
type User struct {
	Email      string
	Attributes map[string]string
	Groups     []string
}

// Limits are a usage plan's throttle and quota.
type Limits struct {
	Tier        string
	Rate        float64
	Burst       int
	QuotaPerDay int
}

// Spec is what the local stack creates, read from the platform stack's plan.
type Spec struct {
	Project, Stack, Region string
	Config                 *infra.Config
	Tables                 []Table
	RegistryTable          string
	PooledTable            string
	// UsageTable holds the daily usage records SystemAdmins read.
	UsageTable string
	Pool       UserPool
	Admin      User
	// Plans are the usage plans by id; PlanIDs the registry item's map of
	// tier to plan id.
	Plans   map[string]Limits
	PlanIDs map[string]string

	project  *stackconfig.Project
	config   map[string]string
	dir      string
	artifact infra.Artifacts
	outputs  map[string]any
}

// LoadSpec plans the platform stack (Pulumi.<stack>.yaml in dir) offline
// and reads what the local stack must create from it.
func LoadSpec(dir, stack string, artifacts infra.Artifacts) (*Spec, error) {
	project, err := stackconfig.LoadProject(dir)
	if err != nil {
		return nil, err
	}
	sc, err := project.LoadStack(dir, stack)
	if err != nil {
		return nil, fmt.Errorf("reading the %s stack: %w", stack, err)
	}
	cfg, err := infra.ParseConfig(project.Name, stack, infra.ConfigFrom(sc.Config))
	if err != nil {
		return nil, err
	}
	if cfg.IsTenantStack() {
		return nil, fmt.Errorf("stack %s is a tenant stack; the local SaaS runs a platform stack", stack)
	}
	stacks, err := (&plan.Planner{Dir: dir, Artifacts: artifacts}).Plan(stack)
	if err != nil {
		return nil, fmt.Errorf("planning the %s stack offline: %w", stack, err)
	}
	rec := stacks[0].Recording
	s := &Spec{Project: project.Name, Stack: stack, Region: cfg.Region, Config: cfg, Plans: map[string]Limits{},
		project: project, config: sc.Config, dir: dir, artifact: artifacts, outputs: rec.Outputs}
	s.Tables = tablesOf(rec)
	s.RegistryTable, _ = rec.Outputs[infra.OutRegistryTableName].(string)
	s.PooledTable, _ = rec.Outputs[infra.OutPooledTableName].(string)
	s.UsageTable, _ = rec.Outputs[infra.OutUsageTableName].(string)
	if s.RegistryTable == "" || s.PooledTable == "" || s.UsageTable == "" {
		return nil, fmt.Errorf("the %s plan exports no registry, pooled or usage table name", stack)
	}
	if err := s.readIdentity(rec); err != nil {
		return nil, err
	}
	maps.Copy(s.Plans, plansOf(rec))
	for _, item := range rec.OfType(typeTableItem) {
		if ids, ok := planIDsOf(item); ok {
			s.PlanIDs = ids
		}
	}
	if s.PlanIDs == nil {
		return nil, fmt.Errorf("the %s plan publishes no usage plan ids to the registry", stack)
	}
	return s, nil
}

func tablesOf(rec *mockcloud.Recording) []Table {
	var out []Table
	for _, t := range rec.OfType(typeTable) {
		tbl := Table{Name: str(t.Input("name")), HashKey: str(t.Input("hashKey")), RangeKey: str(t.Input("rangeKey"))}
		if tags, ok := t.Input("tags").(map[string]any); ok {
			tbl.Tenancy = str(tags["tenancy"])
		}
		for _, raw := range anys(t.Input("globalSecondaryIndexes")) {
			gsi, _ := raw.(map[string]any)
			tbl.Indexes = append(tbl.Indexes, Index{Name: str(gsi["name"]), HashKey: str(gsi["hashKey"]), RangeKey: str(gsi["rangeKey"]), Projection: str(gsi["projectionType"])})
		}
		out = append(out, tbl)
	}
	return out
}

func plansOf(rec *mockcloud.Recording) map[string]Limits {
	out := map[string]Limits{}
	for _, p := range rec.OfType(typeUsagePlan) {
		th, _ := p.Input("throttleSettings").(map[string]any)
		q, _ := p.Input("quotaSettings").(map[string]any)
		tier := p.Name[strings.LastIndex(p.Name, "-")+1:]
		out[p.ID] = Limits{Tier: tier, Rate: num(th["rateLimit"]), Burst: int(num(th["burstLimit"])), QuotaPerDay: int(num(q["limit"]))}
	}
	return out
}

// planIDsOf reads the registry item in which the stack publishes the usage
// plan id of each tier.
func planIDsOf(item *mockcloud.Resource) (map[string]string, bool) {
	var doc map[string]map[string]string
	if json.Unmarshal([]byte(str(item.Input("item"))), &doc) != nil || doc["plans"]["S"] == "" {
		return nil, false
	}
	var ids map[string]string
	if json.Unmarshal([]byte(doc["plans"]["S"]), &ids) != nil {
		return nil, false
	}
	return ids, true
}

func (s *Spec) readIdentity(rec *mockcloud.Recording) error {
	pools, clients, users := rec.OfType(typeUserPool), rec.OfType(typeClient), rec.OfType(typeUser)
	if len(pools) != 1 || len(clients) != 1 || len(users) != 1 {
		return fmt.Errorf("the plan must have one user pool, one client and one admin user; it has %d, %d, %d", len(pools), len(clients), len(users))
	}
	p, c, u := pools[0], clients[0], users[0]
	s.Pool = UserPool{Name: str(p.Input("name")), UsernameAttrs: strs(p.Input("usernameAttributes")), ClientName: str(c.Input("name")),
		AuthFlows: strs(c.Input("explicitAuthFlows")), ReadAttrs: strs(c.Input("readAttributes")), WriteAttrs: strs(c.Input("writeAttributes")),
		IDTokenMinutes: int(num(c.Input("idTokenValidity")))}
	if pp, ok := p.Input("passwordPolicy").(map[string]any); ok {
		s.Pool.MinPassword = int(num(pp["minimumLength"]))
	}
	if ac, ok := p.Input("adminCreateUserConfig").(map[string]any); ok {
		s.Pool.AdminOnly, _ = ac["allowAdminCreateUserOnly"].(bool)
	}
	for _, raw := range anys(p.Input("schemas")) {
		a, _ := raw.(map[string]any)
		c, _ := a["stringAttributeConstraints"].(map[string]any)
		mutable, _ := a["mutable"].(bool)
		s.Pool.Schema = append(s.Pool.Schema, Attribute{Name: str(a["name"]), Type: str(a["attributeDataType"]), Mutable: mutable,
			MinLen: str(c["minLength"]), MaxLen: str(c["maxLength"])})
	}
	for _, g := range rec.OfType(typeGroup) {
		s.Pool.Groups = append(s.Pool.Groups, Group{Name: str(g.Input("name")), Description: str(g.Input("description")), Precedence: int(num(g.Input("precedence")))})
	}
	slices.SortFunc(s.Pool.Groups, func(a, b Group) int { return a.Precedence - b.Precedence })
	s.Admin = User{Email: str(u.Input("username")), Attributes: map[string]string{}}
	custom := map[string]bool{}
	for _, a := range s.Pool.Schema {
		custom[a.Name] = true
	}
	attrs, _ := u.Input("attributes").(map[string]any)
	for k, v := range attrs {
		if custom[k] {
			k = "custom:" + k // the provider takes custom attributes without their prefix
		}
		s.Admin.Attributes[k] = str(v)
	}
	for _, ug := range rec.OfType(typeUserGroup) {
		if str(ug.Input("username")) == s.Admin.Email || ug.Input("username") == nil {
			s.Admin.Groups = append(s.Admin.Groups, str(ug.Input("groupName")))
		}
	}
	return nil
}

// SiloStack is what a silo tenant's stack creates that the local stack needs.
type SiloStack struct {
	Stack  string
	Table  Table
	PlanID string
	Limits Limits
}

// PlanSilo plans the stack of a silo tenant, as the tenant deployer would
// create it (same project, the platform's config plus the tenant), and reads
// its data table and usage plan.
func (s *Spec) PlanSilo(tenantID, name, tier string) (*SiloStack, error) {
	stack := s.Stack + "-tenant-" + tenantID
	cfg := maps.Clone(s.config)
	for _, k := range []string{"adminEmail", "web", "cicd", "auditTrail", "vpc"} {
		delete(cfg, s.Project+":"+k) // platform-only keys
	}
	tenant, _ := json.Marshal(map[string]string{"id": tenantID, "name": name, "tier": tier})
	cfg[s.Project+":tenant"] = string(tenant)
	ref := platformRefKey + s.Stack
	cfg[s.Project+":platformStack"] = ref
	rec, err := mockcloud.Run(mockcloud.Options{Project: s.Project, Stack: stack, Config: cfg,
		StackOutputs: map[string]map[string]any{ref: s.outputs}}, infra.Program(s.artifact))
	if err != nil {
		return nil, fmt.Errorf("planning the silo stack %s: %w", stack, err)
	}
	tables := tablesOf(rec)
	plans := plansOf(rec)
	if len(tables) != 1 || len(plans) != 1 {
		return nil, fmt.Errorf("silo stack %s: want one table and one usage plan, the plan has %d and %d", stack, len(tables), len(plans))
	}
	out := &SiloStack{Stack: stack, Table: tables[0]}
	for id, l := range plans {
		out.PlanID, out.Limits = id, l
	}
	return out, nil
}

func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func num(v any) float64 {
	switch t := v.(type) {
	case float64:
		return t
	case int:
		return float64(t)
	case string:
		var f float64
		fmt.Sscan(t, &f)
		return f
	}
	return 0
}

func anys(v any) []any { a, _ := v.([]any); return a }

func strs(v any) []string {
	var out []string
	for _, e := range anys(v) {
		out = append(out, str(e))
	}
	return out
}
