package cases

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/audit"
	"watchfloor/command/fault"
	"watchfloor/command/gridcase"
	"watchfloor/command/vocab"
	"watchfloor/command/web/rest"
)

// caseKinds lists the configured case kinds, so that no page hard-codes them.
func (a *handlers) caseKinds(c *fiber.Ctx) error {
	kinds := a.Cases.Kinds()
	out := make([]fiber.Map, 0, len(kinds))
	for _, k := range kinds {
		limits := fiber.Map{}
		for step, d := range k.Limits {
			limits[step] = d.String()
		}
		out = append(out, fiber.Map{"id": k.ID, "name": k.Name, "first_level": k.FirstLevel, "limits": limits,
			"escalate_on_overdue": k.EscalateOnOverdue, "mediation": k.Mediation})
	}
	return c.JSON(fiber.Map{"kinds": out})
}

// raiseCase turns a case into an incident: 201 when created, 200 with the
// incident it was raised into before.
func (a *handlers) raiseCase(c *fiber.Ctx) error {
	var in gridcase.RaiseInput
	if _, err := a.Decode(c, &in); err != nil {
		return err
	}
	who := caseActor(c)
	inc, created, err := a.Cases.Raise(c.UserContext(), who, strings.Clone(c.Params("id")), &in, a.Incidents, a.Config.Idempotency)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/incidents/"+inc.ID)
	status := 200
	if created {
		status = 201
	}
	return c.Status(status).JSON(a.View(c, inc))
}

// dailyRollup answers which reporting areas have sent a date's report.
func (a *handlers) dailyRollup(c *fiber.Ctx) error {
	r, err := a.Cases.Rollup(c.UserContext(), a.Daily, caseActor(c), c.Query("date"))
	if err != nil {
		return err
	}
	return c.JSON(r)
}

// ledgerHeader names the ledger's columns, in Chinese and in English.
var ledgerHeader = map[string][]string{
	"zh": {"编号", "类别", "标题", "社区", "网格", "处置层级", "上报人", "状态", "采集时间", "采集人", "立案时间", "立案人",
		"派遣时间", "派遣人", "承办", "处置时间", "处置人", "处置结果", "调解结果", "核查时间", "核查人", "结案时间", "结案人",
		"评价时间", "评价人", "满意度", "超期", "挂牌督办至", "包案领导", "转事件", "驳回理由"},
	"en": {"id", "kind", "title", "community", "grid", "handling level", "reporter", "status", "collected at", "collected by",
		"accepted at", "accepted by", "dispatched at", "dispatched by", "assignee", "handled at", "handled by", "result",
		"mediation", "verified at", "verified by", "closed at", "closed by", "evaluated at", "evaluated by", "satisfaction",
		"overdue", "supervised until", "leader owner", "incident", "rejection reason"},
}

// exportCases writes the electronic ledger (电子台帐) of a period as CSV:
// UTF-8 with a byte order mark so spreadsheet programs read the Chinese,
// and every cell that a spreadsheet would take for a formula defused.
func (a *handlers) exportCases(c *fiber.Ctx) error {
	lang := c.Query("lang", "zh")
	from, to, err := a.Cases.ParsePeriod(c.Query("from"), c.Query("to"))
	if lang != "zh" && lang != "en" {
		bad := &fault.Invalid{}
		if !errors.As(err, &bad) {
			bad = &fault.Invalid{}
		}
		bad.Add("lang", "zh or en")
		err = bad
	}
	if err != nil {
		return err
	}
	who := caseActor(c)
	// One export at a time per account: each reads up to MaxLedgerCases
	// cases and their timelines.
	if !a.exports.start(who.Username) {
		c.Set(fiber.HeaderRetryAfter, "5")
		return rest.Problem(c, 429, "rate-limited", "an export for this account is already running; try again when it ends", nil)
	}
	defer a.exports.end(who.Username)
	rows, err := a.Cases.Ledger(c.UserContext(), who, from, to)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write(ledgerHeader[lang])
	for _, r := range rows {
		_ = w.Write(safeCells(a.ledgerRow(who.Role, lang, r)))
	}
	w.Flush()
	// The ledger carries personal data: who took it, and of what, is kept.
	a.Record(c, audit.Record{Who: who.Username, Role: who.Role, Action: "cases.export", Object: c.Query("from") + "/" + c.Query("to"),
		Detail: map[string]any{"cases": len(rows), "area": who.Area}})
	name := fmt.Sprintf("cases-%s-%s.csv", c.Query("from"), c.Query("to"))
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// ledgerRow is one case's cells in ledgerHeader's order.
func (a *handlers) ledgerRow(role vocab.Role, lang string, r gridcase.LedgerRow) []string {
	cs := caseView(role, r.Case)
	loc := a.Config.Location
	at := func(t time.Time) string { return t.In(loc).Format(time.DateTime) }
	// The last entry of each step: a case sent back by verification is
	// handled again, and the ledger shows how it ended.
	steps := map[string]gridcase.Entry{}
	for _, e := range r.Timeline {
		steps[e.Action] = e
	}
	step := func(action string) (string, string) {
		e, ok := steps[action]
		if !ok {
			return "", ""
		}
		return at(e.At), e.By
	}
	kind := cs.Kind
	if k := a.Cases.Kind(cs.Kind); k != nil {
		kind = k.Name.ZH
		if lang == "en" {
			kind = k.Name.EN
		}
	}
	community, grid := "", ""
	if cs.Grid != nil {
		grid = cs.Grid.Name
		for _, p := range cs.Grid.Path {
			if string(p.Level) == "community" {
				community = p.Name
			}
		}
	}
	reporter := ""
	if cs.Reporter != nil {
		reporter = strings.TrimSpace(cs.Reporter.Name + " " + cs.Reporter.Phone)
	}
	collectedAt, collectedBy := step("collect")
	if collectedAt == "" {
		collectedAt, collectedBy = at(cs.CreatedAt), cs.Owner
	}
	acceptedAt, acceptedBy := step("accept")
	dispatchedAt, dispatchedBy := step("dispatch")
	handledAt, handledBy := step("handle")
	verifiedAt, verifiedBy := step("verify")
	closedAt, closedBy := step("close")
	evaluatedAt, evaluatedBy := step("evaluate")
	satisfaction, supervised, overdue := "", "", "否"
	if lang == "en" {
		overdue = "no"
	}
	if cs.Satisfaction > 0 {
		satisfaction = strconv.Itoa(cs.Satisfaction)
	}
	if cs.Supervision != nil {
		supervised = at(cs.Supervision.DueAt)
	}
	if cs.Overdue || r.WasOverdue() {
		overdue = map[string]string{"zh": "是", "en": "yes"}[lang]
	}
	return []string{cs.ID, kind, cs.Title, community, grid, cs.HandlingLevel, reporter, cs.Status, collectedAt, collectedBy,
		acceptedAt, acceptedBy, dispatchedAt, dispatchedBy, cs.Assignee, handledAt, handledBy, cs.Result, cs.Mediation,
		verifiedAt, verifiedBy, closedAt, closedBy, evaluatedAt, evaluatedBy, satisfaction, overdue, supervised,
		cs.LeaderOwner, cs.IncidentID, steps["reject"].Reason}
}

// safeCells defuses cells a spreadsheet would run as a formula (CSV
// injection): a leading = + - @, tab or carriage return gets a ' before it.
func safeCells(cells []string) []string {
	for i, s := range cells {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			cells[i] = "'" + s
		}
	}
	return cells
}

// running are the accounts with an export under way (per instance).
type running struct {
	mu  sync.Mutex
	who map[string]bool
}

func (r *running) start(who string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.who[who] {
		return false
	}
	if r.who == nil {
		r.who = map[string]bool{}
	}
	r.who[strings.Clone(who)] = true
	return true
}

func (r *running) end(who string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.who, who)
}
