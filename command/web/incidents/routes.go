package incidents

import (
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/plan"
	"watchfloor/command/web/rest"
)

// handlers serve the incident desk's routes.
type handlers struct{ *rest.Kit }

// Routes are the incident desk's handlers by route name (auth.Routes).
func Routes(k *rest.Kit) map[string][]fiber.Handler {
	a, one := &handlers{k}, rest.One
	return map[string][]fiber.Handler{
		"incidents.create":     one(a.createIncident),
		"incidents.list":       one(a.listIncidents),
		"deadlines.list":       one(a.listDue),
		"incidents.get":        one(a.getIncident),
		"incidents.cap":        one(a.exportCAP),
		"warnings.cap":         one(a.exportWarningCAP),
		"incidents.report":     one(a.reportIncident),
		"incidents.level":      one(a.setLevel),
		"incidents.status":     one(a.setStatus),
		"incidents.duplicates": one(a.duplicates),
		"classify":             one(a.classify),
		"dispatches.create":    one(a.createDispatches),
		"dispatches.list":      one(a.listDispatches),
		"dispatches.get":       one(a.getDispatch),
		"dispatches.cancel":    one(a.cancelDispatch),
		"dispatches.redirect":  one(a.redirectDispatch),
		"alarms.list":          one(a.listAlarms),
		"alarms.ack":           one(a.ackAlarm),
		"plans.list":           one(a.listPlans),
		"activations.list":     one(a.listActivations),
		"activations.get":      one(a.getActivation),
		"activations.start":    one(a.startActivation),
		"activations.approve":  one(a.activationAction("approve")),
		"activations.reject":   one(a.activationAction("reject")),
		"activations.end":      one(a.activationAction("end")),
		"activations.phase":    one(a.activationAction("phase")),
		"tasks.ack":            one(a.taskAction(plan.ActAcknowledge)),
		"tasks.done":           one(a.taskAction(plan.ActDone)),
		"deadlines.sent":       one(a.recordSent),
		"deadlines.report":     one(a.getInfoReport),
		"deadlines.report.put": one(a.saveInfoReport),
		"deadlines.report.txt": one(a.exportInfoReport),
		"audit.list":           one(a.auditTrail),
	}
}
