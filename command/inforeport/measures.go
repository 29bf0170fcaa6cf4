package inforeport

import (
	"strconv"
	"strings"

	"watchfloor/command/incident"
	"watchfloor/config"
)

var statusZH = map[string]string{incident.StatusOpen: "接警", incident.StatusResponding: "处置中", incident.StatusRecovery: "恢复", incident.StatusClosed: "结束"}

var orderZH = map[string]string{"offered": "已派", "acked": "已接单", "en_route": "途中", "on_scene": "到场", "cleared": "已完成",
	"expired": "超时未接", "cancelled": "已撤销", "redirected": "已改派"}

// measures is what the timeline says was done: orders and their last
// steps, the units on scene, the plans active.
type measures struct {
	sentZH, sentEN, onScene, plansZH, plansEN []string
}

// measuresOf reads what was done from the timeline; plans name the plans.
func measuresOf(tl []incident.Entry, plans []config.Plan) measures {
	type order struct{ callsign, status string }
	var ids []string
	orders := map[string]*order{}
	active := map[string]string{} // activation → plan id
	var acts []string
	for _, e := range tl {
		id, _ := e.Detail["dispatch_id"].(string)
		switch {
		case e.Type == "dispatch.created" && id != "":
			cs, _ := e.Detail["callsign"].(string)
			if cs == "" {
				cs, _ = e.Detail["unit_id"].(string)
			}
			orders[id] = &order{callsign: cs, status: "offered"}
			ids = append(ids, id)
		case strings.HasPrefix(e.Type, "dispatch.") && orders[id] != nil:
			orders[id].status = strings.TrimPrefix(e.Type, "dispatch.")
		case e.Type == "plan.activated":
			a, _ := e.Detail["activation_id"].(string)
			p, _ := e.Detail["plan_id"].(string)
			active[a] = p
			acts = append(acts, a)
		case e.Type == "plan.ended":
			a, _ := e.Detail["activation_id"].(string)
			delete(active, a)
		}
	}
	var m measures
	for _, id := range ids {
		o := orders[id]
		m.sentZH = append(m.sentZH, o.callsign+"（"+cmpOr(orderZH[o.status], o.status)+"）")
		m.sentEN = append(m.sentEN, o.callsign+" ("+strings.ReplaceAll(o.status, "_", " ")+")")
		if o.status == "on_scene" {
			m.onScene = append(m.onScene, o.callsign)
		}
	}
	for _, a := range acts {
		p, ok := active[a]
		if !ok {
			continue
		}
		zh, en := p, p
		for _, pl := range plans {
			if pl.ID == p {
				zh, en = pl.Name.ZH, pl.Name.EN
			}
		}
		m.plansZH, m.plansEN = append(m.plansZH, zh), append(m.plansEN, en)
	}
	return m
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func orNone(s, none string) string {
	if strings.TrimSpace(s) == "" {
		return none
	}
	return s
}

func ifAny(s string, ok bool) string {
	if ok {
		return s
	}
	return ""
}

func yuan(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
