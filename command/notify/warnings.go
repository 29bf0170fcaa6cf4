package notify

import (
	"encoding/json"
	"strconv"
	"strings"

	"watchfloor/command/vocab"
	"watchfloor/command/warning"
	"watchfloor/config"
)

// warningTypeNames and colourNames name warning types and colours in Chinese.
var (
	warningTypeNames = map[string]string{warning.Typhoon: "台风", warning.Rainstorm: "暴雨", warning.Flood: "洪水",
		warning.LargeEvent: "大型活动", warning.MassGathering: "人员聚集", warning.Other: "其他"}
	colourNames = map[warning.Colour]string{warning.Blue: "蓝色", warning.Yellow: "黄色", warning.Orange: "橙色", warning.Red: "红色"}
)

// warningSubject is the subject of a warning issued or raised (a lower or
// an extension tells nobody); ok is false for the rest. One version of a
// warning makes one message per channel (warning:<id>:v<version>).
func (s *Service) warningSubject(typ string, data json.RawMessage) (subject, bool) {
	var w warning.Warning
	if json.Unmarshal(data, &w) != nil || w.ID == "" {
		return subject{}, false
	}
	raised := typ == vocab.WarningUpdated && len(w.History) > 0 && w.History[len(w.History)-1].Action == warning.StepRaised
	if typ != vocab.WarningIssued && !raised {
		return subject{}, false
	}
	kind := warningTypeNames[w.Type]
	if kind == "" {
		kind = w.Type
	}
	colour := colourNames[w.Colour]
	title := Mask(w.Title)
	names := make([]string, len(w.Area.Names))
	for i, n := range w.Area.Names {
		names[i] = n.Name
	}
	area := strings.Join(names, "、")
	switch {
	case w.Area.Kind == warning.AreaCity:
		area = "全市"
	case w.Area.Kind == warning.AreaPolygon && area == "":
		area = "划定区域"
	}
	head, what := "【"+kind+colour+"预警】", "发布"+kind+colour+"预警"
	if raised {
		step := w.History[len(w.History)-1]
		head, what = "【预警升级】"+kind+colour+"预警", kind+"预警由"+colourNames[warning.Colour(step.From)]+"升级为"+colour
	}
	text := what + ":" + title + "。范围:" + area + "。有效期 " + w.StartsAt.In(s.loc).Format("01-02 15:04") + " 至 " +
		w.EndsAt.In(s.loc).Format("01-02 15:04") + "。"
	if w.Source != "" {
		text = Mask(w.Source) + text
	}
	if body := Mask(strings.TrimSpace(w.Text)); body != "" {
		text += body + " "
	}
	text += "预警编号 " + w.ID
	sub := subject{event: config.NotifyWarning, about: "warning:" + w.ID + ":v" + strconv.FormatInt(w.Version, 10),
		title: head + title, text: text, leaderLink: true, drill: w.Drill}
	if w.Drill {
		sub.title = "【演练】" + sub.title
	}
	return sub, true
}
