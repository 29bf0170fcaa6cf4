// Package config is Watchfloor's typed configuration: one tree decoded
// strictly from YAML (a misspelt key is an error with its line), filled with
// defaults and validated before anything is built.
//
// Each section of the file has its type and its own checks in a file named
// for it (redis.go, units.go, plans.go…); load.go reads and decodes,
// resolve.go fills the derived values, and Validate runs the sections.
package config

import (
	"errors"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration of one Watchfloor deployment.
type Config struct {
	// Extends names a base configuration file (relative to this one) that
	// this file overrides key by key: a deployment keeps the sample city's
	// rules and changes only what differs.
	Extends string `yaml:"extends"`
	// Deployment names this command centre; it is the hash tag of every Redis
	// key (wf:{deployment}:…), so several cities can share one Redis Cluster.
	Deployment   string     `yaml:"deployment"`
	Timezone     string     `yaml:"timezone"`
	Listen       string     `yaml:"listen"`
	OsmandListen string     `yaml:"osmand_listen"`
	DataDir      string     `yaml:"data_dir"`
	Redis        Redis      `yaml:"redis"`
	Map          Map        `yaml:"map"`
	Periods      []Period   `yaml:"sensitive_periods"`
	Categories   []Category `yaml:"categories"`
	UnitTypes    []UnitType `yaml:"unit_types"`
	Units        []Unit     `yaml:"units"`
	// UnitSets add many numbered units at once (load runs, large fleets).
	UnitSets  []UnitSet `yaml:"unit_sets"`
	Positions Positions `yaml:"positions"`
	Dispatch  Dispatch  `yaml:"dispatch"`
	// Jobs are the durable follow-up jobs of a change (plan proposals and
	// automatic dispatch after an incident is saved).
	Jobs  Jobs   `yaml:"jobs"`
	Plans []Plan `yaml:"plans"`
	// CaseKinds are the everyday grid cases (网格事件) and their time limits.
	CaseKinds    []CaseKind   `yaml:"case_kinds"`
	DailyReports DailyReports `yaml:"daily_reports"`
	Patrol       Patrol       `yaml:"patrol"`
	// Anchors is a place for YAML anchors that several entries share (the
	// approvers of the plans, say); it is not read otherwise.
	Anchors   yaml.Node  `yaml:"anchors"`
	Deadlines []Deadline `yaml:"deadlines"`
	// DeadlineWarning is how long before a reporting deadline deadline.due
	// is raised.
	DeadlineWarning time.Duration `yaml:"deadline_warning"`
	// ReportRecipients lists, per response level, the bodies an information
	// report (信息报告) goes to; when given, every level must be present.
	ReportRecipients map[string][]Recipient `yaml:"report_recipients"`
	// Duplicates says which open incidents a new call may repeat.
	Duplicates  Duplicates    `yaml:"duplicates"`
	Auth        Auth          `yaml:"auth"`
	Streams     Streams       `yaml:"streams"`
	Limits      Limits        `yaml:"limits"`
	Idempotency time.Duration `yaml:"idempotency_ttl"`
	Audit       Audit         `yaml:"audit"`
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies
	// whose ProxyHeader is believed; from any other peer it is ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// ProxyHeader names the header a trusted proxy puts the client's
	// address in (X-Forwarded-For, or X-Real-IP); empty uses the peer.
	ProxyHeader string  `yaml:"proxy_header"`
	Metrics     Metrics `yaml:"metrics"`
	// Notifications send what needs a person outside the browser (group
	// robots, e-mail, SMS).
	Notifications Notifications `yaml:"notifications"`

	// Location is Timezone resolved; set by Validate.
	Location *time.Location `yaml:"-"`
	// Dir is the directory of the configuration file; relative paths in the
	// file are resolved against it.
	Dir string `yaml:"-"`
}

// CaseKind returns the case kind with id, or nil.
func (c *Config) CaseKind(id string) *CaseKind {
	for i := range c.CaseKinds {
		if c.CaseKinds[i].ID == id {
			return &c.CaseKinds[i]
		}
	}
	return nil
}

// Category returns the category with id, or nil.
func (c *Config) Category(id string) *Category {
	for i := range c.Categories {
		if c.Categories[i].ID == id {
			return &c.Categories[i]
		}
	}
	return nil
}

// Plan returns the plan with id, or nil.
func (c *Config) Plan(id string) *Plan {
	for i := range c.Plans {
		if c.Plans[i].ID == id {
			return &c.Plans[i]
		}
	}
	return nil
}

// UnitType returns the unit type with id, or nil.
func (c *Config) UnitType(id string) *UnitType {
	for i := range c.UnitTypes {
		if c.UnitTypes[i].ID == id {
			return &c.UnitTypes[i]
		}
	}
	return nil
}

// Validate resolves the derived values (see resolve), then checks the whole
// tree section by section; every problem found is reported, each with its
// path in the file.
func (c *Config) Validate(getenv func(string) string) error {
	errs := c.resolve(getenv)
	in := c.scope(getenv != nil)
	for _, check := range c.sections() {
		errs = append(errs, check(in)...)
	}
	return errors.Join(errs...)
}

// sections are the checks of the tree, one a section, in the order their
// problems are reported.
func (c *Config) sections() []func(scope) []error {
	return []func(scope) []error{
		c.validateKeys, c.Redis.validate, c.Metrics.validate, c.Audit.validate, c.Map.validate,
		periods(c.Periods).validate, categories(c.Categories).validate, deadlines(c.Deadlines).validate,
		c.Duplicates.validate, recipients(c.ReportRecipients).validate, c.Auth.validate,
		unitTypes(c.UnitTypes).validate, units(c.Units).validate, c.Positions.validate, c.Dispatch.validate,
		c.Jobs.validate, plans(c.Plans).validate, caseKinds(c.CaseKinds).validate, c.DailyReports.validate,
		c.Patrol.validate, c.Streams.validate, c.Limits.validate, c.Notifications.validate,
	}
}
