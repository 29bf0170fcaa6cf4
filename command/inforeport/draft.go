package inforeport

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"watchfloor/command/incident"
	"watchfloor/config"
)

// facts are what a draft says of an incident, in both languages.
type facts struct {
	inc                *incident.Incident
	d                  *incident.Deadline
	name               config.Text
	catZH, catEN       string
	place, placeEN     []string
	zones, zonesEN     []string
	reasons, reasonsEN []string
	centre             string
	m                  measures
	at                 func(time.Time) string
	overdue            bool
}

// draft writes the information report for deadline d from the incident's
// facts and its timeline (orders, units on scene, plans), in Chinese and
// in English.
func (s *Service) draft(inc *incident.Incident, tl []incident.Entry, d *incident.Deadline) (zh, en string) {
	f := s.factsOf(inc, tl, d)
	now := s.now()
	return f.text(now, 0), f.text(now, 1)
}

// factsOf gathers the facts of a draft.
func (s *Service) factsOf(inc *incident.Incident, tl []incident.Entry, d *incident.Deadline) *facts {
	f := &facts{inc: inc, d: d, name: s.deadlineName(d.Kind), catZH: inc.Category, catEN: inc.Category,
		m: measuresOf(tl, s.opts.Plans), centre: s.opts.Centre, overdue: d.Status == "overdue"}
	loc := s.loc
	f.at = func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	if i := slices.IndexFunc(s.opts.Categories, func(c config.Category) bool { return c.ID == inc.Category }); i >= 0 {
		f.catZH, f.catEN = s.opts.Categories[i].Name.ZH, s.opts.Categories[i].Name.EN
	}
	if inc.Address != "" {
		f.place, f.placeEN = append(f.place, inc.Address), append(f.placeEN, inc.Address)
	}
	if g := inc.Grid; g != nil {
		var zhs, ens []string
		for _, r := range g.Path {
			zhs = append(zhs, r.Name)
			ens = append(ens, cmpOr(r.NameEN, r.Name))
		}
		f.place, f.placeEN = append(f.place, strings.Join(zhs, " / ")), append(f.placeEN, strings.Join(ens, " / "))
		if len(g.Path) > 0 {
			f.centre = g.Path[0].Name
		}
	}
	if l := inc.Location; l != nil {
		c := fmt.Sprintf("%.6f, %.6f", l.Lon, l.Lat)
		if inc.LocationApproximate {
			f.place, f.placeEN = append(f.place, "网格中心（约） "+c), append(f.placeEN, "grid centre (approximate) "+c)
		} else {
			f.place, f.placeEN = append(f.place, "坐标 "+c), append(f.placeEN, "coordinates "+c)
		}
	}
	for _, z := range inc.Zones {
		f.zones, f.zonesEN = append(f.zones, z.Name), append(f.zonesEN, cmpOr(z.NameEN, z.Name))
	}
	for _, r := range inc.LevelReasons {
		f.reasons, f.reasonsEN = append(f.reasons, r.ZH), append(f.reasonsEN, r.EN)
	}
	return f
}

// text is the draft written at now: the Chinese column (0) or the
// English one (1) of lines.
func (f *facts) text(now time.Time, lang int) string {
	var b strings.Builder
	for _, l := range f.lines(now) {
		b.WriteString(l[lang])
		b.WriteByte('\n')
	}
	return b.String()
}

// lines are the draft's lines, each in Chinese and in English.
func (f *facts) lines(now time.Time) [][2]string {
	inc, m, at := f.inc, f.m, f.at
	sp := fmt.Sprintf
	return [][2]string{
		{sp("信息报告（%s）", f.name.ZH), sp("Information report (%s)", f.name.EN)},
		{sp("报告时限：%s 前%s", at(f.d.DueAt), ifAny("（已超时）", f.overdue)), sp("Due: before %s%s", at(f.d.DueAt), ifAny(" (overdue)", f.overdue))},
		{sp("事件编号：%s%s", inc.ID, ifAny("（演练）", inc.Drill)), sp("Incident: %s%s", inc.ID, ifAny(" (drill)", inc.Drill))},
		{sp("标题：%s", inc.Title), sp("Title: %s", inc.Title)},
		{sp("一、时间：事发 %s，接报 %s。", at(inc.OccurredAt), at(inc.CreatedAt)), sp("1. Time: occurred %s, reported %s.", at(inc.OccurredAt), at(inc.CreatedAt))},
		{sp("二、地点：%s。%s", orNone(strings.Join(f.place, "；"), "待核实"), ifAny("涉及敏感区域："+strings.Join(f.zones, "、")+"。", len(f.zones) > 0)),
			sp("2. Place: %s.%s", orNone(strings.Join(f.placeEN, "; "), "to be verified"), ifAny(" Sensitive zones: "+strings.Join(f.zonesEN, ", ")+".", len(f.zones) > 0))},
		{sp("三、事件类别和级别：%s；%s级（%s）。%s", f.catZH, inc.Level, inc.Level.NameZH(), ifAny("定级依据："+strings.Join(f.reasons, "；")+"。", len(f.reasons) > 0)),
			sp("3. Category and level: %s; level %s (%s).%s", f.catEN, inc.Level, inc.Level.NameEN(), ifAny(" Rules: "+strings.Join(f.reasonsEN, "; ")+".", len(f.reasons) > 0))},
		{sp("四、现场情况：%s 涉及人数约 %d 人。", orNone(inc.Description, "详情待续报。"), inc.PeopleInvolved),
			sp("4. Situation: %s About %d people involved.", orNone(inc.Description, "Details to follow."), inc.PeopleInvolved)},
		{sp("五、伤亡和损失：死亡 %d 人，受伤 %d 人；直接经济损失约 %s 元。", inc.Deaths, inc.Injuries, yuan(inc.DirectLossYuan)),
			sp("5. Casualties and losses: %d dead, %d injured; direct loss about %s yuan.", inc.Deaths, inc.Injuries, yuan(inc.DirectLossYuan))},
		{"六、原因：尚在核查，以续报为准。", "6. Cause: being established; see follow-up reports."},
		{sp("七、已采取的措施：%s", orNone(inc.MeasuresTaken, "无补充。")), sp("7. Measures taken: %s", orNone(inc.MeasuresTaken, "nothing further."))},
		{sp("    已派出力量：%s。", orNone(strings.Join(m.sentZH, "、"), "暂无")), sp("   Units sent: %s.", orNone(strings.Join(m.sentEN, ", "), "none yet"))},
		{sp("    已到场力量：%s。", orNone(strings.Join(m.onScene, "、"), "暂无")), sp("   Units on scene: %s.", orNone(strings.Join(m.onScene, ", "), "none yet"))},
		{sp("    已启动预案：%s。", orNone(strings.Join(m.plansZH, "、"), "暂无")), sp("   Plans active: %s.", orNone(strings.Join(m.plansEN, ", "), "none"))},
		{sp("八、需要的支援：%s", orNone(inc.SupportNeeded, "暂无。")), sp("8. Support needed: %s", orNone(inc.SupportNeeded, "none yet."))},
		{"九、核实情况：" + map[bool]string{true: "已经现场核实。", false: "尚未经现场核实（先报后核）。"}[inc.Verified],
			"9. Verified: " + map[bool]string{true: "yes, on site.", false: "not yet verified on site (reported first, verified after)."}[inc.Verified]},
		{sp("十、处置状态：%s；已收到续报 %d 次。", statusZH[inc.Status], inc.Reports), sp("10. Status: %s; %d follow-up reports.", inc.Status, inc.Reports)},
		{sp("报告单位：%s应急指挥中心；值班员：%s；报告时间：%s。", f.centre, cmpOr(inc.CreatedBy, "—"), at(now)),
			sp("Reported by: %s emergency command centre; operator: %s; at %s.", f.centre, cmpOr(inc.CreatedBy, "—"), at(now))},
	}
}
