package config

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/vocab"
)

// edit is one case of a section's checks: a change to a valid section and
// the errors its check must then report, exactly and in order.
type edit[T any] struct {
	name string
	edit func(*T)
	want []string
}

// checkSection runs the cases of one section: the valid section (built
// afresh for each case, so no case sees another's change) passes, and each
// edit reports exactly its errors.
func checkSection[T any](t *testing.T, valid func() T, check func(T) []error, cases []edit[T]) {
	t.Helper()
	if errs := check(valid()); len(errs) > 0 {
		t.Fatalf("the valid section is refused: %v", errors.Join(errs...))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := valid()
			c.edit(&s)
			got := []string{}
			for _, err := range check(s) {
				got = append(got, err.Error())
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// testScope has the ids the cases refer to: unit type car, unit u1 in team
// a, category fire.
var testScope = scope{
	unitTypes: map[string]bool{"car": true}, units: map[string]bool{"u1": true},
	teams: map[string]bool{"a": true}, categories: map[string]bool{"fire": true}, env: true,
}

// with gives a check the test scope.
func with[T any](check func(T, scope) []error) func(T) []error {
	return func(s T) []error { return check(s, testScope) }
}

func TestKeysChecks(t *testing.T) {
	checkSection(t, func() Config { return *Defaults() }, with(func(c Config, in scope) []error { return c.validateKeys(in) }), []edit[Config]{
		{"deployment", func(c *Config) { c.Deployment = "Luohu" }, []string{`deployment: "Luohu" must be 1–32 lowercase letters, digits, - or _`}},
		{"listen", func(c *Config) { c.Listen = "8080" }, []string{`listen: "8080" is not host:port: address 8080: missing port in address`}},
		{"osmandListen", func(c *Config) { c.OsmandListen = "" }, []string{`osmand_listen: "" is not host:port: missing port in address`}},
		{"trustedProxy", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "10.0.0.0/33"} },
			[]string{`trusted_proxies[1]: "10.0.0.0/33" is not an address or CIDR range`}},
		{"proxyHeader", func(c *Config) { c.ProxyHeader = "X-Client" }, []string{`proxy_header: "X-Client" must be X-Forwarded-For, X-Real-IP or empty`}},
		{"proxyHeaderRealIP", func(c *Config) { c.ProxyHeader = "x-real-ip" }, nil},
		{"deadlineWarning", func(c *Config) { c.DeadlineWarning = -time.Second }, []string{"deadline_warning: must not be negative"}},
		{"idempotency", func(c *Config) { c.Idempotency = time.Second }, []string{"idempotency_ttl: at least 1m"}},
	})
}

func TestRedisChecks(t *testing.T) {
	checkSection(t, func() Redis { return Defaults().Redis }, with(Redis.validate), []edit[Redis]{
		{"url", func(r *Redis) { r.URL = "" }, []string{"redis.url: required"}},
		{"appendfsync", func(r *Redis) { r.AppendFsync = "sometimes" },
			[]string{`redis.appendfsync: "sometimes" must be always, everysec, no or empty (the least durability required of Redis)`}},
		{"appendfsyncAlways", func(r *Redis) { r.AppendFsync = "always" }, nil},
		{"durability", func(r *Redis) { r.Durability = "" }, []string{`redis.durability: "" must be require or warn`}},
		{"sentinel", func(r *Redis) { r.Sentinel.Addrs = []string{"127.0.0.1:26379"} }, []string{"redis.sentinel.master: required with sentinel addresses"}},
		{"waitReplicas", func(r *Redis) { r.WaitReplicas, r.WaitTimeout = 1, 0 }, []string{"redis: wait_replicas not negative, and wait_timeout positive with it"}},
		{"negativeReplicas", func(r *Redis) { r.WaitReplicas = -1 }, []string{"redis: wait_replicas not negative, and wait_timeout positive with it"}},
		{"ping", func(r *Redis) { r.PingInterval = 0 }, []string{"redis.ping_interval: must be positive"}},
		{"memoryAlarm", func(r *Redis) { r.MemoryAlarm = 1 }, []string{"redis.memory_alarm: a share of maxmemory from 0 (off) to below 1, such as 0.8"}},
		{"memoryCheck", func(r *Redis) { r.MemoryCheck = time.Millisecond }, []string{"redis.memory_check: at least 10ms"}},
	})
}

func TestMetricsAndAuditChecks(t *testing.T) {
	checkSection(t, func() Metrics { return Metrics{TokenEnv: "MT", Token: "0123456789abcdef"} }, with(Metrics.validate), []edit[Metrics]{
		{"shortToken", func(m *Metrics) { m.Token = "short" }, []string{"metrics.token_env: MT must hold a token of at least 16 characters"}},
		{"noTokenEnv", func(m *Metrics) { m.TokenEnv, m.Token = "", "" }, nil},
		{"mutexFraction", func(m *Metrics) { m.MutexProfileFraction = -1 },
			[]string{"metrics.mutex_profile_fraction: -1 must be 0 (off) to 1000000 (one contended lock in that many sampled)"}},
		{"mutexFractionTooLarge", func(m *Metrics) { m.MutexProfileFraction = 1_000_001 },
			[]string{"metrics.mutex_profile_fraction: 1000001 must be 0 (off) to 1000000 (one contended lock in that many sampled)"}},
		{"mutexFractionOne", func(m *Metrics) { m.MutexProfileFraction = 1 }, nil},
	})
	checkSection(t, func() Audit { return Defaults().Audit }, with(Audit.validate), []edit[Audit]{
		{"retention", func(a *Audit) { a.Retention = time.Minute }, []string{"audit.retention: 0 (keep for ever) or at least 1h"}},
		{"interval", func(a *Audit) { a.ExportInterval = 0 }, []string{"audit.export_interval: at least 10ms"}},
		{"exportForever", func(a *Audit) { a.Retention, a.ExportFile = 0, "/var/audit.jsonl" },
			[]string{"audit.export_file: needs a retention (records are exported when they leave Redis)"}},
	})
}

func TestMapChecks(t *testing.T) {
	valid := func() Map {
		return Map{Grids: "g.geojson", Zones: "z.geojson", Base: BaseMap{Kind: BaseNone, MaxZoom: 18}, Navigation: NavGeo}
	}
	checkSection(t, valid, with(Map.validate), []edit[Map]{
		{"grids", func(m *Map) { m.Grids = "" }, []string{"map.grids: required (a GeoJSON file of the grid hierarchy)"}},
		{"zones", func(m *Map) { m.Zones = "" }, []string{"map.zones: required (a GeoJSON file of zones)"}},
		{"kind", func(m *Map) { m.Base.Kind = "baidu" }, []string{`map.base.kind: "baidu" must be none, pmtiles, tianditu or amap`}},
		{"archive", func(m *Map) { m.Base.Kind = BasePMTiles },
			[]string{"map.base.archive: required for kind pmtiles (a PMTiles v3 file; build one with watchfloor tiles)"}},
		{"archiveNotPMTiles", func(m *Map) { m.Base.Archive = "b.pmtiles" }, []string{"map.base.archive: only for kind pmtiles"}},
		{"tiandituKey", func(m *Map) { m.Base.Kind = BaseTianditu },
			[]string{"map.base.key: kind tianditu needs a key (or key_env naming a variable that holds one)"}},
		{"badKey", func(m *Map) { m.Base.Kind, m.Base.Key = BaseTianditu, "a&b" }, []string{"map.base.key: must be letters and digits only"}},
		{"maxZoom", func(m *Map) { m.Base.MaxZoom = 23 }, []string{"map.base.max_zoom: 23 must be within 1–22"}},
		{"attribution", func(m *Map) { m.Base.Attribution = strings.Repeat("x", 301) }, []string{"map.base.attribution: at most 300 bytes"}},
		{"navigation", func(m *Map) { m.Navigation = "baidu" }, []string{`map.navigation: "baidu" must be geo or amap`}},
		{"navigationAmap", func(m *Map) { m.Navigation = NavAmap }, nil},
	})
	// Without an environment a key in key_env cannot be read yet, so its
	// absence is no problem.
	b := BaseMap{Kind: BaseTianditu, KeyEnv: "TDT_KEY", MaxZoom: 18}
	if errs := b.validate(false); len(errs) > 0 {
		t.Errorf("key_env without an environment: %v", errs)
	}
}

func TestGradingChecks(t *testing.T) {
	checkSection(t, func() periods {
		return periods{{ID: "holiday", From: "2026-10-01", To: "2026-10-07"}, {ID: "festival", From: "2027-02-05", To: "2027-02-05"}}
	}, with(periods.validate), []edit[periods]{
		{"id", func(ps *periods) { (*ps)[1].ID = "holiday" }, []string{`sensitive_periods[1].id: "holiday" must be a unique lowercase id`}},
		{"from", func(ps *periods) { (*ps)[0].From = "1 Oct" }, []string{`sensitive_periods[0].from: "1 Oct" is not a date (YYYY-MM-DD)`}},
		{"to", func(ps *periods) { (*ps)[0].To = "2026-13-01" }, []string{`sensitive_periods[0].to: "2026-13-01" is not a date (YYYY-MM-DD)`}},
		{"order", func(ps *periods) { (*ps)[0].To = "2026-09-30" }, []string{"sensitive_periods[0]: to 2026-09-30 is before from 2026-10-01"}},
	})
	three := 3.0
	checkSection(t, func() categories {
		return categories{{ID: "fire", Name: Text{ZH: "火灾", EN: "Fire"}, UnitTypes: []string{"car"}, Rules: []alerts.Rule{
			{ID: "deaths-3", Level: alerts.LevelIII, When: alerts.Condition{Deaths: &alerts.Range{Min: &three}}, Reason: Text{ZH: "死亡", EN: "Deaths"}},
		}}}
	}, with(categories.validate), []edit[categories]{
		{"none", func(cs *categories) { *cs = nil }, []string{"categories: at least one incident category is required"}},
		{"id", func(cs *categories) { (*cs)[0].ID = "Fire" }, []string{`categories[0].id: "Fire" must be a lowercase id`}},
		{"twice", func(cs *categories) { *cs = append(*cs, (*cs)[0]) }, []string{`categories[1].id: "fire" is defined twice`}},
		{"name", func(cs *categories) { (*cs)[0].Name.EN = "" }, []string{"categories[0].name: both zh and en are required"}},
		{"unitType", func(cs *categories) { (*cs)[0].UnitTypes = []string{"car", "boat"} },
			[]string{`categories[0].unit_types: "boat" is not a configured unit type`}},
		{"capCategory", func(cs *categories) { (*cs)[0].CAPCategory = "fire" },
			[]string{`categories[0].cap_category: "fire" is not a CAP 1.2 category (Geo, Met, Safety, Security, Rescue, Fire, Health, Env, Transport, Infra, CBRNE, Other)`}},
		{"ruleID", func(cs *categories) { (*cs)[0].Rules = append((*cs)[0].Rules, (*cs)[0].Rules[0]) },
			[]string{`categories[0].rules[1].id: "deaths-3" must be a unique lowercase id within the category`}},
		{"ruleLevel", func(cs *categories) { (*cs)[0].Rules[0].Level = alerts.LevelNone },
			[]string{"categories[0].rules[0].level: required, one of I, II, III, IV"}},
		{"ruleReason", func(cs *categories) { (*cs)[0].Rules[0].Reason.ZH = "" }, []string{"categories[0].rules[0].reason: both zh and en are required"}},
		{"ruleWhen", func(cs *categories) { (*cs)[0].Rules[0].When = alerts.Condition{} },
			[]string{"categories[0].rules[0].when: a rule needs at least one condition"}},
	})
	checkSection(t, func() deadlines {
		return deadlines{{Kind: "first_report", Within: time.Hour, Levels: []alerts.Level{alerts.LevelI}}}
	}, with(deadlines.validate), []edit[deadlines]{
		{"kind", func(ds *deadlines) { (*ds)[0].Kind = "" }, []string{`deadlines[0].kind: "" must be a lowercase id`}},
		{"within", func(ds *deadlines) { (*ds)[0].Within = 0 }, []string{"deadlines[0].within: must be a positive duration such as 1h"}},
		{"levels", func(ds *deadlines) { (*ds)[0].Levels = nil }, []string{"deadlines[0].levels: name the levels it applies to"}},
	})
}

func TestConsoleChecks(t *testing.T) {
	checkSection(t, func() Duplicates { return Defaults().Duplicates }, with(Duplicates.validate), []edit[Duplicates]{
		{"radius", func(d *Duplicates) { d.RadiusM = 60000 }, []string{"duplicates.radius_m: 60000 must be more than 0 and at most 50000 metres"}},
		{"window", func(d *Duplicates) { d.Window = 8 * 24 * time.Hour }, []string{"duplicates.window: 192h0m0s must be between 1m and 168h"}},
	})
	ecc := Recipient{ID: "ecc", Name: Text{ZH: "应急指挥中心", EN: "Command centre"}}
	checkSection(t, func() recipients {
		return recipients{"I": {ecc}, "II": {ecc}, "III": {}, "IV": {}}
	}, with(recipients.validate), []edit[recipients]{
		{"none", func(r *recipients) { *r = nil }, nil},
		{"missing", func(r *recipients) { delete(*r, "IV") },
			[]string{"report_recipients.IV: missing: list the level's recipients, or write IV: [] for none"}},
		{"notLevel", func(r *recipients) { (*r)["V"] = nil }, []string{"report_recipients.V: not a level (I, II, III or IV)"}},
		{"id", func(r *recipients) { (*r)["III"] = []Recipient{{ID: "Bad", Name: ecc.Name}} },
			[]string{`report_recipients.III[0].id: "Bad" must be a lowercase id`}},
		{"twice", func(r *recipients) { (*r)["I"] = []Recipient{ecc, ecc} }, []string{`report_recipients.I[1].id: "ecc" is named twice for level I`}},
		{"name", func(r *recipients) { (*r)["IV"] = []Recipient{{ID: "x", Name: Text{ZH: "x"}}} },
			[]string{"report_recipients.IV[0].name: both zh and en are required"}},
	})
}

func TestAuthChecks(t *testing.T) {
	const hash = "$2a$04$abcdefghijklmnopqrstuu2Zt0VyYfS.IW9uZtX2fKmFBl1YNHzq6"
	valid := func() Auth {
		a := Defaults().Auth
		a.Accounts = []Account{{Username: "op1", Role: "operator", PasswordHash: hash}, {Username: "r1", Role: "responder", Unit: "u1", PasswordHash: hash}}
		return a
	}
	checkSection(t, valid, with(Auth.validate), []edit[Auth]{
		{"sessionTTL", func(a *Auth) { a.SessionTTL = time.Second },
			[]string{"auth.session_ttl: at least 1m"}},
		{"maxAge", func(a *Auth) { a.SessionMaxAge = time.Hour }, []string{"auth.session_max_age: at least auth.session_ttl"}},
		{"cacheLong", func(a *Auth) { a.SessionCache = 11 * time.Second }, []string{"auth.session_cache: between 0s and 10s"}},
		{"cacheNegative", func(a *Auth) { a.SessionCache = -time.Second }, []string{"auth.session_cache: between 0s and 10s"}},
		{"ticket", func(a *Auth) { a.TicketTTL = 6 * time.Minute }, []string{"auth.ticket_ttl: between 1s and 5m"}},
		{"bcrypt", func(a *Auth) { a.BcryptCost = 3 }, []string{"auth.bcrypt_cost: between 4 and 31"}},
		{"username", func(a *Auth) { a.Accounts[1].Username = "op1" }, []string{`auth.accounts[1].username: "op1" must be a unique lowercase name`}},
		{"role", func(a *Auth) { a.Accounts[0].Role = "king" },
			[]string{`auth.accounts[0].role: "king" is not one of admin, leader, deputy, operator, responder, viewer`}},
		{"responderUnit", func(a *Auth) { a.Accounts[1].Unit = "" }, []string{"auth.accounts[1].unit: a responder account is bound to a unit"}},
		{"unknownUnit", func(a *Auth) { a.Accounts[1].Unit = "u9" }, []string{`auth.accounts[1].unit: "u9" is not a configured unit`}},
		{"hash", func(a *Auth) { a.Accounts[0].PasswordHash = "secret" },
			[]string{"auth.accounts[0].password_hash: a bcrypt hash is required (or password_hash_env naming a variable that holds one)"}},
	})
}

func TestUnitChecks(t *testing.T) {
	checkSection(t, func() unitSets { return unitSets{{Prefix: "load-", Count: 10, Type: "car"}} },
		func(s unitSets) []error { return s.validate() }, []edit[unitSets]{
			{"prefix", func(s *unitSets) { (*s)[0].Prefix = "L" }, []string{"unit_sets[0]: a lowercase prefix and a count from 1 to 99999"}},
			{"count", func(s *unitSets) { (*s)[0].Count = 100000 }, []string{"unit_sets[0]: a lowercase prefix and a count from 1 to 99999"}},
		})
	checkSection(t, func() unitTypes { return unitTypes{{ID: "car", SpeedKMH: 40}, {ID: "foot", SpeedKMH: 5}} }, with(unitTypes.validate), []edit[unitTypes]{
		{"id", func(ts *unitTypes) { (*ts)[1].ID = "car" }, []string{`unit_types[1].id: "car" must be a unique lowercase id`}},
		{"speed", func(ts *unitTypes) { (*ts)[0].SpeedKMH = 301 }, []string{"unit_types[0].speed_kmh: between 0 and 300"}},
	})
	checkSection(t, func() units {
		return units{{ID: "u1", Callsign: "U1", Type: "car", Devices: []string{"d1"}}, {ID: "u2", Callsign: "U2", Type: "car", Devices: []string{"d2"}}}
	}, with(units.validate), []edit[units]{
		{"id", func(us *units) { (*us)[1].ID = "u1" }, []string{`units[1].id: "u1" must be a unique lowercase id`}},
		{"callsign", func(us *units) { (*us)[0].Callsign = "" }, []string{"units[0].callsign: required"}},
		{"type", func(us *units) { (*us)[0].Type = "boat" }, []string{`units[0].type: "boat" is not a configured unit type`}},
		{"deviceEmpty", func(us *units) { (*us)[0].Devices = []string{""} }, []string{"units[0].device_ids: device ids are 1 to 64 characters"}},
		{"deviceTwice", func(us *units) { (*us)[1].Devices = []string{"d1"} }, []string{`units[1].device_ids: "d1" is already the device of u1`}},
	})
	checkSection(t, func() Positions { return Defaults().Positions }, with(Positions.validate), []edit[Positions]{
		{"speed", func(p *Positions) { p.MaxSpeedKMH = 0 }, []string{"positions.max_speed_kmh: must be positive"}},
		{"track", func(p *Positions) { p.TrackTTL = time.Second }, []string{"positions.track_ttl: at least 1m"}},
		{"future", func(p *Positions) { p.FutureTolerance = -time.Second }, []string{"positions.future_tolerance: must not be negative"}},
		{"frame", func(p *Positions) { p.FrameInterval = time.Millisecond }, []string{"positions.frame_interval: at least 10ms"}},
		{"batch", func(p *Positions) { p.BatchSize = 0 }, []string{"positions: batch_size at least 1 and batch_wait not negative"}},
		{"queueSlots", func(p *Positions) { p.Workers, p.QueueLimit = 1024, 10_000_000 },
			[]string{"positions: workers × queue_limit at most 16777216 (each worker's queue is allocated at start)"}},
	})
}

func TestDispatchChecks(t *testing.T) {
	valid := func() Dispatch {
		d := Defaults().Dispatch
		d.Rules = []DispatchRule{{ID: "fire-1", Categories: []string{"fire"}, Levels: []alerts.Level{alerts.LevelIV}, Units: 2}}
		return d
	}
	checkSection(t, valid, with(Dispatch.validate), []edit[Dispatch]{
		{"ack", func(d *Dispatch) { d.AckTimeout = time.Millisecond }, []string{"dispatch.ack_timeout: at least 1s"}},
		{"assembly", func(d *Dispatch) { d.AssemblyDeadline = -time.Minute }, []string{"dispatch.assembly_deadline: 0 (off) or between 1s and 24h"}},
		{"timer", func(d *Dispatch) { d.TimerInterval = 2 * time.Minute }, []string{"dispatch.timer_interval: between 10ms and 1m"}},
		{"ruleID", func(d *Dispatch) { d.Rules = append(d.Rules, d.Rules[0]) }, []string{`dispatch.rules[1].id: "fire-1" must be a unique lowercase id`}},
		{"ruleLevels", func(d *Dispatch) { d.Rules[0].Levels = nil }, []string{"dispatch.rules[0]: name categories and levels"}},
		{"ruleCategory", func(d *Dispatch) { d.Rules[0].Categories = []string{"flood"} },
			[]string{`dispatch.rules[0].categories: "flood" is not a configured category`}},
		{"ruleUnits", func(d *Dispatch) { d.Rules[0].Units = 21 }, []string{"dispatch.rules[0].units: from 1 to 20"}},
	})
	const jobs = "jobs: poll between 10ms and 1m, retry_base at least 10ms, retry_max and lease at least retry_base, alarm_after at least 1"
	checkSection(t, func() Jobs { return Defaults().Jobs }, with(Jobs.validate), []edit[Jobs]{
		{"poll", func(j *Jobs) { j.Poll = 2 * time.Minute }, []string{jobs}},
		{"retryMax", func(j *Jobs) { j.RetryMax = j.RetryBase / 2 }, []string{jobs}},
		{"lease", func(j *Jobs) { j.Lease = j.RetryBase / 2 }, []string{jobs}},
		{"alarm", func(j *Jobs) { j.AlarmAfter = 0 }, []string{jobs}},
	})
}

func TestPlanChecks(t *testing.T) {
	valid := func() plans {
		return plans{{
			ID: "fire", Name: Text{ZH: "火灾预案", EN: "Fire plan"}, Categories: []string{"fire"}, MinLevel: alerts.LevelII,
			Commander: map[string]Text{"I": {ZH: "区长", EN: "Mayor"}},
			Approvers: map[string][]vocab.Role{"I": {"leader"}, "II": {"leader", "deputy"}},
			Groups:    []Group{{ID: "rescue", Units: []string{"u1"}, Teams: []string{"a"}, Tasks: []Text{{ZH: "救援", EN: "Rescue"}}}},
			Warnings:  []WarningTrigger{{Types: []string{"rainstorm", "flood"}, MinColour: "yellow"}},
		}}
	}
	checkSection(t, valid, with(plans.validate), []edit[plans]{
		{"warningType", func(ps *plans) { (*ps)[0].Warnings[0].Types = []string{"flood", "meteor"} },
			[]string{`plans[0].warnings[0].types: "meteor" is not a warning type ([typhoon rainstorm flood large_event mass_gathering other])`}},
		{"warningTypes", func(ps *plans) { (*ps)[0].Warnings[0].Types = nil },
			[]string{"plans[0].warnings[0].types: name at least one of [typhoon rainstorm flood large_event mass_gathering other]"}},
		{"warningColour", func(ps *plans) { (*ps)[0].Warnings[0].MinColour = "purple" },
			[]string{"plans[0].warnings[0].min_colour: required, one of [blue yellow orange red]"}},
		{"id", func(ps *plans) { *ps = append(*ps, (*ps)[0]) }, []string{`plans[1].id: "fire" must be a unique lowercase id`}},
		{"name", func(ps *plans) { (*ps)[0].Name.ZH = "" }, []string{"plans[0].name: both zh and en are required"}},
		{"category", func(ps *plans) { (*ps)[0].Categories = []string{"flood"} }, []string{`plans[0].categories: "flood" is not a configured category`}},
		{"minLevel", func(ps *plans) { (*ps)[0].MinLevel = alerts.LevelNone }, []string{"plans[0].min_level: required, one of I, II, III, IV"}},
		{"when", func(ps *plans) { (*ps)[0].When = &alerts.Condition{} }, []string{"plans[0].when: a rule needs at least one condition"}},
		{"approversMissing", func(ps *plans) { (*ps)[0].MinLevel = alerts.LevelIII },
			[]string{"plans[0].approvers: name who approves at level III"}},
		{"approverRole", func(ps *plans) { (*ps)[0].Approvers["I"] = []vocab.Role{"viewer"} },
			[]string{`plans[0].approvers.I: "viewer" may not approve plans`}},
		{"approverLevel", func(ps *plans) { (*ps)[0].Approvers["V"] = []vocab.Role{"leader"} }, []string{`plans[0].approvers: "V" is not a level`}},
		{"commander", func(ps *plans) { (*ps)[0].Commander["0"] = Text{} }, []string{`plans[0].commander: "0" is not a level`}},
		{"groupID", func(ps *plans) { (*ps)[0].Groups = append((*ps)[0].Groups, (*ps)[0].Groups[0]) },
			[]string{`plans[0].groups[1].id: "rescue" must be a unique lowercase id`}},
		{"groupUnit", func(ps *plans) { (*ps)[0].Groups[0].Units = []string{"u9"} }, []string{`plans[0].groups[0].units: "u9" is not a configured unit`}},
		{"groupTeam", func(ps *plans) { (*ps)[0].Groups[0].Teams = []string{"b"} }, []string{`plans[0].groups[0].teams: no unit is in team "b"`}},
		{"groupTasks", func(ps *plans) { (*ps)[0].Groups[0].Tasks = nil }, []string{"plans[0].groups[0].tasks: a working group needs its tasks"}},
	})
}

func TestCaseChecks(t *testing.T) {
	checkSection(t, func() caseKinds {
		return caseKinds{{ID: "litter", Name: Text{ZH: "垃圾", EN: "Litter"}, FirstLevel: "grid", Limits: map[string]time.Duration{"accept": time.Hour}}}
	}, with(caseKinds.validate), []edit[caseKinds]{
		{"id", func(ks *caseKinds) { (*ks)[0].ID = "" }, []string{`case_kinds[0].id: "" must be a unique lowercase id`}},
		{"name", func(ks *caseKinds) { (*ks)[0].Name = Text{} }, []string{"case_kinds[0].name: both zh and en are required"}},
		{"firstLevel", func(ks *caseKinds) { (*ks)[0].FirstLevel = "city" },
			[]string{`case_kinds[0].first_level: "city" must be grid, community, street or district`}},
		{"step", func(ks *caseKinds) { (*ks)[0].Limits = map[string]time.Duration{"lunch": time.Hour} },
			[]string{`case_kinds[0].limits: "lunch" is not a step (accept, dispatch, handle, verify, close)`}},
		{"limit", func(ks *caseKinds) { (*ks)[0].Limits["accept"] = time.Second }, []string{"case_kinds[0].limits.accept: at least 1m"}},
	})
	checkSection(t, func() DailyReports { return Defaults().DailyReports }, with(DailyReports.validate), []edit[DailyReports]{
		{"due", func(d *DailyReports) { d.Due = "25:00" }, []string{`daily_reports.due: "25:00" must be a local time HH:MM`}},
	})
	checkSection(t, func() Patrol { return Defaults().Patrol }, with(Patrol.validate), []edit[Patrol]{
		{"target", func(p *Patrol) { p.TargetMinutes = 0 }, []string{"patrol: target_minutes at least 1 and max_gap at least 1m"}},
		{"gap", func(p *Patrol) { p.MaxGap = time.Second }, []string{"patrol: target_minutes at least 1 and max_gap at least 1m"}},
	})
}

func TestLimitChecks(t *testing.T) {
	checkSection(t, func() Streams { return Defaults().Streams }, with(Streams.validate), []edit[Streams]{
		{"maxLen", func(s *Streams) { s.MaxLen = 99 }, []string{"streams.max_len: at least 100"}},
		{"unitMaxLen", func(s *Streams) { s.UnitMaxLen = 99 }, []string{"streams.unit_max_len: at least 100"}},
		{"unitMaxLenNegative", func(s *Streams) { s.UnitMaxLen = -1 }, []string{"streams.unit_max_len: at least 100"}},
		{"heartbeat", func(s *Streams) { s.Heartbeat = 0 }, []string{"streams.heartbeat: must be positive"}},
		{"write", func(s *Streams) { s.WriteTimeout = time.Millisecond }, []string{"streams.write_timeout: at least 100ms"}},
		{"gapNegative", func(s *Streams) { s.WriteGap = -time.Millisecond }, []string{"streams.write_gap: from 0 to 1s"}},
		{"gapLong", func(s *Streams) { s.WriteGap = time.Second + 1 }, []string{"streams.write_gap: from 0 to 1s"}},
		{"gapOff", func(s *Streams) { s.WriteGap = 0 }, nil},
		{"gapMost", func(s *Streams) { s.WriteGap = time.Second }, nil},
		{"snapshot", func(s *Streams) { s.SnapshotIncidents = 0 }, []string{"streams.snapshot_incidents: at least 1"}},
		{"queue", func(s *Streams) { s.SendQueue = 15 }, []string{"streams.send_queue: at least 16"}},
	})
	checkSection(t, func() Limits { return Defaults().Limits }, with(Limits.validate), []edit[Limits]{
		{"body", func(l *Limits) { l.BodyBytes = 1000 }, []string{"limits: json_body_bytes at least 1024 and body_bytes at least json_body_bytes"}},
		{"token", func(l *Limits) { l.TokenRate = 0 },
			[]string{"limits: token_rate and device_rate must be positive, token_burst and device_burst at least 1"}},
		{"socket", func(l *Limits) { l.SocketBurst = 0 }, []string{"limits: socket_rate must be positive and socket_burst at least 1"}},
		{"loginFailures", func(l *Limits) { l.LoginWindow = time.Second }, []string{"limits: login_failures at least 1 and login_window at least 1m"}},
		{"loginRate", func(l *Limits) { l.LoginRate = 0 }, []string{"limits: login_rate must be positive and login_burst at least 1"}},
		{"addressFailures", func(l *Limits) { l.LoginAddressFailures = 1 }, []string{"limits.login_address_failures: at least login_failures"}},
		{"delay", func(l *Limits) { l.LoginMaxDelay = time.Millisecond }, []string{"limits: login_delay positive and login_max_delay at least login_delay"}},
		{"alarm", func(l *Limits) { l.LoginAlarm = 0 }, []string{"limits.login_alarm: at least 1"}},
		{"sockets", func(l *Limits) { l.SocketsPerAddress = 1 },
			[]string{"limits: sockets_per_session at least 1 and sockets_per_address at least sockets_per_session"}},
	})
}

// TestIngestWorkers: a set number is kept; 0 gives two workers for each
// core the process may use (one building its pipeline while another's is
// in Redis), at most 1024 and no more than the queue's slots allow, so a
// default never fails the check of workers × queue_limit; Load resolves it
// once.
func TestIngestWorkers(t *testing.T) {
	for _, c := range []struct{ workers, procs, queue, want int }{
		{3, 1, 20000, 3}, {3, 8, 20000, 3}, {0, 1, 20000, 2}, {0, 2, 20000, 4}, {0, 16, 20000, 32},
		{0, 1500, 1, 1024}, {0, 600, 20000, 838}, {0, 1, 10_000_000, 1}, {0, 16, 8_388_608, 2},
	} {
		if got := ingestWorkers(c.workers, c.procs, c.queue); got != c.want {
			t.Errorf("workers %d at GOMAXPROCS %d, queue_limit %d: %d ingest workers, want %d", c.workers, c.procs, c.queue, got, c.want)
		}
	}
	ps := Defaults().Positions
	ps.QueueLimit = 10_000_000
	if errs := ps.validate(scope{}); len(errs) > 0 {
		t.Errorf("workers: 0 with the largest queue_limit: %v", errs)
	}
	cfg, err := Load("sample/watchfloor.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if want := ingestWorkers(0, runtime.GOMAXPROCS(0), cfg.Positions.QueueLimit); cfg.Positions.Workers != want || want < 2 {
		t.Errorf("the sample's workers: 0 loads as %d, want %d", cfg.Positions.Workers, want)
	}
}
