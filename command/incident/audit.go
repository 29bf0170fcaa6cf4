package incident

import "watchfloor/command/audit"

// AuditRecords turns timeline entries of an incident into audit records:
// an entry about an order or a plan names it as the object.
func AuditRecords(incidentID string, entries []Entry) []audit.Record {
	out := make([]audit.Record, 0, len(entries))
	for _, e := range entries {
		object := incidentID
		if d, ok := e.Detail["dispatch_id"].(string); ok {
			object = d
		} else if a, ok := e.Detail["activation_id"].(string); ok {
			object = a
		}
		detail := map[string]any{}
		for k, v := range e.Detail {
			detail[k] = v
		}
		if e.Level.Valid() {
			detail["level"] = e.Level.String()
		}
		if e.Status != "" {
			detail["status"] = e.Status
		}
		out = append(out, audit.Record{At: e.At, Who: e.By, Role: e.Role, Action: auditAction(e.Type), Object: object,
			IncidentID: incidentID, Reason: e.Reason, Detail: detail})
	}
	return out
}

// auditAction names a timeline entry type as an audit action.
func auditAction(t string) string {
	switch t {
	case "created", "report", "level.raised", "level.set", "status":
		return "incident." + t
	}
	return t
}
