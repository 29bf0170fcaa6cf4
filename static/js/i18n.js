// The one catalogue of every string the pages show, in Simplified Chinese
// (the default) and English, with the chosen language kept in localStorage.

import { read, write } from './storage.js';

const STORAGE_KEY = 'wf.lang';

/** Languages offered, with the value of <html lang> for each. */
const LANGS = { zh: 'zh-CN', en: 'en' };

const CATALOGUE = {
  zh: {
    'app.title': 'Watchfloor 应急指挥大屏',
    'app.subtitle': '社区应急指挥中心',
    'lang.toggle': 'English',

    'login.heading': '值班登录',
    'login.username': '用户名',
    'login.password': '密码',
    'login.submit': '登录',
    'login.busy': '正在登录…',
    'login.error.credentials': '用户名或密码错误',
    'login.error.required': '请输入用户名和密码',
    'login.error.rate': '尝试次数过多，请稍后再试',
    'login.error.network': '无法连接服务器，请稍后重试',
    'login.error.other': '登录失败（{status}）',

    'header.user': '当前用户',
    'header.logout': '退出登录',

    'link.connecting': '正在连接…',
    'link.up': '已连接',
    'link.down': '连接中断，正在重连…',
    'link.banner': '实时连接中断，正在重连…屏幕数据可能不是最新的',
    'link.banner.last': '最后更新 {time}',
    'link.banner.never': '尚未收到数据',

    'counters.heading': '各级别未结事件数',
    'level.I': '特别重大',
    'level.II': '重大',
    'level.III': '较大',
    'level.IV': '一般',
    'level.none': '未定级',

    'list.heading': '未结事件',
    'list.total': '共 {n} 起',
    'list.empty': '当前没有未结事件',
    'list.loading': '正在加载实时数据…',

    'incident.drill': '演练 DRILL',
    'incident.noGrid': '—',
    'incident.occurred': '发生',
    'incident.people': '涉及 {n} 人',
    'incident.deaths': '死亡 {n} 人',
    'incident.injuries': '受伤 {n} 人',
    'incident.reasonsSep': '；',

    'status.open': '接警',
    'status.responding': '处置中',
    'status.recovery': '恢复中',
    'status.closed': '已结束',

    'map.title': '态势地图',
    'map.label': '态势地图：网格、重点区域、力量位置和未结事件',
    'map.loading': '正在加载地图…',
    'map.error': '地图数据加载失败，连接恢复后将重试',
    'map.unavailable': '地图组件未能加载',
    'map.units': '力量 {n}',
    'map.approx': '位置为网格中心（近似）',
    'map.zoomIn': '放大',
    'map.zoomOut': '缩小',

    'legend.label': '图例',
    'legend.status': '力量状态',
    'legend.type': '力量类型',
    'legend.incident': '事件级别',
    'legend.area': '区域',
    'legend.pulse': 'I、II 级闪烁',

    'unitType.car': '巡逻车',
    'unitType.motorbike': '铁骑摩托',
    'unitType.foot': '步巡民警',
    'unitType.grid_officer': '网格员',
    'unitType.fire': '消防车',
    'unitType.medical': '急救车',
    'unitType.unknown': '类型未知',

    'unitStatus.available': '待命',
    'unitStatus.dispatched': '已派遣',
    'unitStatus.en_route': '赶赴途中',
    'unitStatus.on_scene': '现场处置',
    'unitStatus.off_duty': '不在岗',
    'unitStatus.unknown': '状态未知',

    'unit.lastFix': '最后定位 {time}',
    'unit.noFix': '暂无定位',
    'unit.sep': ' · ',

    'zoneKind.sensitive': '敏感区域',
    'zoneKind.school': '学校',
    'zoneKind.other': '其他区域',
    'area.grid': '网格边界',

    'activity.heading': '动态',
    'activity.empty': '暂无动态',
    'activity.entered': '{unit} 进入 {where} {place}',
    'activity.left': '{unit} 离开 {where} {place}',
    'activity.where.home_grid': '责任网格',
    'activity.where.sensitive': '敏感区域',
    'activity.where.school': '学校',
    'activity.where.zone': '区域',

    'login.error.role': '此页面不能使用该账号（{role}）',
    'role.admin': '系统管理员',
    'role.leader': '总指挥',
    'role.deputy': '副总指挥',
    'role.operator': '值班员',
    'role.responder': '处置力量',
    'role.viewer': '大屏',

    'incident.placeSep': '，',

    'order.status.offered': '待确认',
    'order.status.acked': '已接单',
    'order.status.en_route': '赶赴途中',
    'order.status.on_scene': '现场处置',
    'order.status.cleared': '处置完毕',
    'order.status.expired': '已超时',
    'order.status.cancelled': '已取消',
    'order.status.unknown': '状态未知',
    'orderShort.status.offered': '待确认',
    'orderShort.status.acked': '已接单',
    'orderShort.status.en_route': '途中',
    'orderShort.status.on_scene': '到场',
    'orders.label': '派警',

    'deadline.kind.report_higher': '向上级报告',
    'deadline.kind.report_district': '报区',
    'deadline.kind.detailed_report': '详细书面报告',
    'deadline.overdue': '已超时',
    'deadline.late': '+{time}',
    'deadline.title': '{kind}时限',

    'alarm.heading': '告警',
    'alarm.count': '{n} 条未确认',
    'alarm.ack': '确认',
    'alarm.acking': '正在确认…',
    'alarm.error.forbidden': '无权确认此告警',
    'alarm.error.other': '确认失败，请重试',
    'alarm.error.notFound': '服务器找不到此告警，未能确认',
    'alarm.error.network': '无法连接服务器，请重试',
    'alarm.kind.incident.serious': '重大事件',
    'alarm.kind.dispatch.expired': '派警超时未确认',
    'alarm.kind.deadline.overdue': '报告超时',
    'alarm.expired.text': '未按时确认派警指令',
    'alarm.deadline.text': '{kind}已超时',

    'sound.on': '提示音：开',
    'sound.off': '提示音：关',

    'plans.banner': '已启动：{plan}（{phase}）',
    'plans.bannersLabel': '已启动的预案',
    'plans.commander': '指挥长：{name}',
    'plans.waitingFor': '待{who}审批',
    'plans.proposedHeading': '预案待审批',
    'phase.action': '行动',
    'phase.recovery': '恢复',
    'activation.status.proposed': '待审批',
    'activation.status.active': '已启动',
    'activation.status.rejected': '已驳回',
    'activation.status.ended': '已结束',
    'plan.or': '或',
    'plan.why.general': '适用于任何类别（总体预案）',
    'plan.why.when': '满足预案的附加条件',
    'plan.why.category': '事件类别为“{category}”',
    'plan.why.level': '事件级别 {level} 达到预案启动级别 {min}',

    'activity.deadline.due': '{title} {kind}时限将到（{time} 截止）',
    'activity.deadline.overdue': '{title} {kind}已超时',

    'responder.title': 'Watchfloor 处置终端',
    'responder.subtitle': '处置力量接收指令、报告进展',
    'responder.loginHeading': '力量登录',
    'responder.username': '力量编号（如 car-01）',
    'responder.error.role': '此账号（{role}）不是处置力量账号，请使用力量编号登录',
    'responder.linkBanner': '连接中断，正在重连…指令可能不是最新的',
    'responder.order.heading': '当前指令',
    'responder.order.new': '新指令！请立即确认',
    'responder.order.empty': '暂无指令，保持待命',
    'responder.order.sentAt': '{time} 下达',
    'responder.ackDue': '确认剩余时间',
    'responder.ackLate': '已超过确认时限，指令即将转派',
    'responder.fact.category': '类别',
    'responder.fact.place': '地点',
    'responder.fact.coords': '坐标',
    'responder.fact.people': '人员',
    'responder.fact.description': '情况描述',
    'responder.fact.note': '指挥中心附言',
    'responder.coords': '北纬 {lat}，东经 {lon}',
    'responder.unknown': '未知',
    'responder.noCasualties': '未报告人员伤亡',
    'responder.navigate': '导航到现场',
    'responder.map.label': '事件位置和本力量位置',
    'responder.action.ack': '确认接单',
    'responder.action.en_route': '出发',
    'responder.action.on_scene': '到达现场',
    'responder.action.cleared': '处置完毕',
    'responder.sending': '正在提交…',
    'responder.offlineHint': '连接中断，恢复后才能提交',
    'responder.error.expired': '该指令已超时，已转派其他力量',
    'responder.error.cancelled': '该指令已被指挥中心取消',
    'responder.error.conflict': '指令状态已变化，无法执行此步骤',
    'responder.error.forbidden': '无权操作此指令',
    'responder.error.notFound': '找不到此指令',
    'responder.error.unavailable': '服务器暂时不可用，请稍后重试',
    'responder.error.invalid': '请求无效',
    'responder.error.other': '提交失败，请重试',
    'responder.error.offline': '连接中断，未能提交，请在恢复后重试',
    'responder.error.lost': '连接中断，未收到服务器确认，请重试',
    'responder.error.timeout': '未收到服务器确认，请重试',
    'responder.notice.close': '知道了',
    'responder.notice.expired': '“{title}”：该指令已超时，已转派其他力量',
    'responder.notice.cancelled': '“{title}”：该指令已被指挥中心取消',
    'responder.notice.cleared': '“{title}”：处置完毕，已恢复待命',
    'responder.notice.task': '收到新的预案任务：{plan}',
    'responder.others.heading': '其他进行中的指令',
    'responder.tasks.heading': '预案任务',
    'responder.tasks.empty': '暂无预案任务',
    'responder.tasks.group': '所属工作组',
    'responder.share.heading': '位置上报',
    'responder.share.toggle': '上报位置',
    'responder.share.off': '未上报位置',
    'responder.share.offDuty': '本力量不在岗，无需上报位置',
    'responder.share.unsupported': '此设备或浏览器不支持定位，无法上报位置',
    'responder.share.insecure': '定位需要安全连接（HTTPS），当前无法上报位置',
    'responder.share.waiting': '正在获取位置…',
    'responder.share.sent': '已上报 {time}',
    'responder.share.sentAcc': '已上报 {time}（精度约 {m} 米）',
    'responder.share.offline': '连接中断，位置将在恢复后上报',
    'responder.share.denied': '定位权限被拒绝，请在浏览器设置中允许定位',
    'responder.share.unavailable': '暂时无法获取位置，正在重试…',
    'responder.share.timeout': '定位超时，正在重试…',
    'responder.share.refused': '服务器未接收此位置：{message}',
    'responder.history.heading': '历史指令',
    'responder.history.empty': '暂无历史指令',

    'leader.title': 'Watchfloor 预案审批',
    'leader.subtitle': '带班领导、总指挥审批和指挥应急预案',
    'leader.error.role': '此账号（{role}）无权使用预案审批页面',
    'leader.linkBanner': '实时连接中断，正在重连…页面数据可能不是最新的',
    'leader.proposed.heading': '待审批预案',
    'leader.proposed.empty': '没有等待审批的预案',
    'leader.active.heading': '已启动预案',
    'leader.active.empty': '没有已启动的预案',
    'leader.history.heading': '已结束、已驳回',
    'leader.history.empty': '暂无记录',
    'leader.incidentLoading': '正在加载事件信息…',
    'leader.occurred': '发生于 {time}',
    'leader.noCasualties': '未报告人员伤亡',
    'leader.levelReasons': '定级依据',
    'leader.why': '匹配原因',
    'leader.approvers': '审批权限：',
    'leader.commander': '指挥长：',
    'leader.permHint': '您的角色（{role}）无权审批此预案，须由{who}决定',
    'leader.waiting': '已等待 {time}',
    'leader.auto': '按程序自动启动',
    'leader.approvedBy': '{who} 批准启动',
    'leader.decisionReason': '批准意见：',
    'leader.by': '操作人：{who}',
    'leader.reasonWas': '理由：{reason}',
    'leader.reason.proposed': '意见（驳回时必填）',
    'leader.reason.active': '理由（结束时必填）',
    'leader.reason.placeholderProposed': '填写批准意见或驳回理由',
    'leader.reason.placeholderActive': '填写转入恢复或结束的理由',
    'leader.action.approve': '批准启动',
    'leader.action.reject': '驳回',
    'leader.action.phase': '转入恢复阶段',
    'leader.action.end': '结束预案',
    'leader.busy': '正在提交…',
    'leader.error.reasonReject': '驳回必须填写理由',
    'leader.error.reasonEnd': '结束预案必须填写理由',
    'leader.error.forbidden': '无权执行（403）：此预案须由{who}决定',
    'leader.error.conflict': '预案状态已变化，操作未执行',
    'leader.error.invalid': '请求无效',
    'leader.error.notFound': '找不到此预案',
    'leader.error.other': '操作失败（{status}），请重试',
    'leader.error.network': '无法连接服务器，请重试',
  },
  en: {
    'app.title': 'Watchfloor Emergency Command Screen',
    'app.subtitle': 'Community emergency command centre',
    'lang.toggle': '中文',

    'login.heading': 'Duty sign-in',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.busy': 'Signing in…',
    'login.error.credentials': 'Wrong username or password',
    'login.error.required': 'Enter your username and password',
    'login.error.rate': 'Too many attempts; please try again later',
    'login.error.network': 'Cannot reach the server; please try again',
    'login.error.other': 'Sign-in failed ({status})',

    'header.user': 'Signed in as',
    'header.logout': 'Sign out',

    'link.connecting': 'Connecting…',
    'link.up': 'Connected',
    'link.down': 'Link lost, reconnecting…',
    'link.banner': 'Live link lost, reconnecting… the data on screen may be out of date',
    'link.banner.last': 'last update {time}',
    'link.banner.never': 'no data received yet',

    'counters.heading': 'Open incidents by level',
    'level.I': 'Particularly serious',
    'level.II': 'Serious',
    'level.III': 'Relatively serious',
    'level.IV': 'Ordinary',
    'level.none': 'Ungraded',

    'list.heading': 'Open incidents',
    'list.total': '{n} in total',
    'list.empty': 'No open incidents',
    'list.loading': 'Loading live data…',

    'incident.drill': '演练 DRILL',
    'incident.noGrid': '—',
    'incident.occurred': 'Occurred',
    'incident.people': '{n} involved',
    'incident.deaths': '{n} dead',
    'incident.injuries': '{n} injured',
    'incident.reasonsSep': '; ',

    'status.open': 'Reported',
    'status.responding': 'Responding',
    'status.recovery': 'Recovering',
    'status.closed': 'Closed',

    'map.title': 'Situation map',
    'map.label': 'Situation map: grids, key zones, unit positions and open incidents',
    'map.loading': 'Loading the map…',
    'map.error': 'Could not load the map data; will retry when the link is back',
    'map.unavailable': 'The map component could not be loaded',
    'map.units': '{n} units',
    'map.approx': 'Location is the grid centre (approximate)',
    'map.zoomIn': 'Zoom in',
    'map.zoomOut': 'Zoom out',

    'legend.label': 'Legend',
    'legend.status': 'Unit status',
    'legend.type': 'Unit type',
    'legend.incident': 'Incident level',
    'legend.area': 'Areas',
    'legend.pulse': 'I and II pulse',

    'unitType.car': 'Patrol car',
    'unitType.motorbike': 'Motorbike',
    'unitType.foot': 'Officer on foot',
    'unitType.grid_officer': 'Grid officer',
    'unitType.fire': 'Fire engine',
    'unitType.medical': 'Ambulance',
    'unitType.unknown': 'Unknown type',

    'unitStatus.available': 'Available',
    'unitStatus.dispatched': 'Dispatched',
    'unitStatus.en_route': 'En route',
    'unitStatus.on_scene': 'On scene',
    'unitStatus.off_duty': 'Off duty',
    'unitStatus.unknown': 'Unknown status',

    'unit.lastFix': 'Last fix {time}',
    'unit.noFix': 'No fix yet',
    'unit.sep': ' · ',

    'zoneKind.sensitive': 'Sensitive zone',
    'zoneKind.school': 'School',
    'zoneKind.other': 'Other zone',
    'area.grid': 'Grid boundary',

    'activity.heading': 'Activity',
    'activity.empty': 'No activity yet',
    'activity.entered': '{unit} entered {where} {place}',
    'activity.left': '{unit} left {where} {place}',
    'activity.where.home_grid': 'home grid',
    'activity.where.sensitive': 'sensitive zone',
    'activity.where.school': 'school zone',
    'activity.where.zone': 'zone',

    'login.error.role': 'This account ({role}) cannot use this page',
    'role.admin': 'administrator',
    'role.leader': 'chief commander',
    'role.deputy': 'deputy commander',
    'role.operator': 'operator',
    'role.responder': 'responder',
    'role.viewer': 'wall screen',

    'incident.placeSep': ', ',

    'order.status.offered': 'Awaiting acknowledgement',
    'order.status.acked': 'Acknowledged',
    'order.status.en_route': 'En route',
    'order.status.on_scene': 'On scene',
    'order.status.cleared': 'Cleared',
    'order.status.expired': 'Expired',
    'order.status.cancelled': 'Cancelled',
    'order.status.unknown': 'Status unknown',
    'orderShort.status.offered': 'Offered',
    'orderShort.status.acked': 'Acked',
    'orderShort.status.en_route': 'En route',
    'orderShort.status.on_scene': 'On scene',
    'orders.label': 'Units',

    'deadline.kind.report_higher': 'Higher-level report',
    'deadline.kind.report_district': 'District report',
    'deadline.kind.detailed_report': 'Written report',
    'deadline.overdue': 'overdue',
    'deadline.late': '+{time}',
    'deadline.title': '{kind} deadline',

    'alarm.heading': 'Alarms',
    'alarm.count': '{n} open',
    'alarm.ack': 'Acknowledge',
    'alarm.acking': 'Acknowledging…',
    'alarm.error.forbidden': 'You may not acknowledge this alarm',
    'alarm.error.other': 'Could not acknowledge; please try again',
    'alarm.error.notFound': 'The server cannot find this alarm; it was not acknowledged',
    'alarm.error.network': 'Cannot reach the server; please try again',
    'alarm.kind.incident.serious': 'Serious incident',
    'alarm.kind.dispatch.expired': 'Unacknowledged order',
    'alarm.kind.deadline.overdue': 'Report overdue',
    'alarm.expired.text': 'did not acknowledge in time',
    'alarm.deadline.text': '{kind} overdue',

    'sound.on': 'Sound: on',
    'sound.off': 'Sound: off',

    'plans.banner': 'Active: {plan} ({phase})',
    'plans.bannersLabel': 'Active plans',
    'plans.commander': 'Commander: {name}',
    'plans.waitingFor': 'awaiting {who}',
    'plans.proposedHeading': 'Plans awaiting approval',
    'phase.action': 'action',
    'phase.recovery': 'recovery',
    'activation.status.proposed': 'Awaiting approval',
    'activation.status.active': 'Active',
    'activation.status.rejected': 'Rejected',
    'activation.status.ended': 'Ended',
    'plan.or': ' or ',
    'plan.why.general': 'any category (general plan)',
    'plan.why.when': "the plan's extra conditions hold",
    'plan.why.category': 'category "{category}"',
    'plan.why.level': "level {level} reaches the plan's minimum {min}",

    'activity.deadline.due': '{title}: {kind} due at {time}',
    'activity.deadline.overdue': '{title}: {kind} overdue',

    'responder.title': 'Watchfloor Responder',
    'responder.subtitle': 'Receive orders and report progress',
    'responder.loginHeading': 'Unit sign-in',
    'responder.username': 'Unit id (e.g. car-01)',
    'responder.error.role': 'This account ({role}) is not a unit account; sign in with the unit id',
    'responder.linkBanner': 'Link lost, reconnecting… orders may be out of date',
    'responder.order.heading': 'Current order',
    'responder.order.new': 'New order! Acknowledge now',
    'responder.order.empty': 'No order; stand by',
    'responder.order.sentAt': 'sent {time}',
    'responder.ackDue': 'Time left to acknowledge',
    'responder.ackLate': 'Acknowledgement time is up; the order will be passed on',
    'responder.fact.category': 'Category',
    'responder.fact.place': 'Place',
    'responder.fact.coords': 'Coordinates',
    'responder.fact.people': 'People',
    'responder.fact.description': 'Description',
    'responder.fact.note': 'Note from the command centre',
    'responder.coords': '{lat} N, {lon} E',
    'responder.unknown': 'unknown',
    'responder.noCasualties': 'No casualties reported',
    'responder.navigate': 'Navigate to the scene',
    'responder.map.label': "The incident's location and this unit's position",
    'responder.action.ack': 'Acknowledge',
    'responder.action.en_route': 'Set off',
    'responder.action.on_scene': 'Arrived on scene',
    'responder.action.cleared': 'Finished',
    'responder.sending': 'Sending…',
    'responder.offlineHint': 'Link lost: you can report once it is back',
    'responder.error.expired': 'This order has expired and was passed to another unit',
    'responder.error.cancelled': 'This order was cancelled by the command centre',
    'responder.error.conflict': 'The order has changed; this step cannot be taken',
    'responder.error.forbidden': 'You may not act on this order',
    'responder.error.notFound': 'This order cannot be found',
    'responder.error.unavailable': 'The server is unavailable; please try again shortly',
    'responder.error.invalid': 'The request was invalid',
    'responder.error.other': 'Could not send; please try again',
    'responder.error.offline': 'Link lost: nothing was sent; try again once it is back',
    'responder.error.lost': 'Link lost before the server confirmed; please try again',
    'responder.error.timeout': 'The server did not confirm; please try again',
    'responder.notice.close': 'OK',
    'responder.notice.expired': '"{title}": this order has expired and was passed to another unit',
    'responder.notice.cancelled': '"{title}": this order was cancelled by the command centre',
    'responder.notice.cleared': '"{title}": finished; back on standby',
    'responder.notice.task': 'New plan task: {plan}',
    'responder.others.heading': 'Other active orders',
    'responder.tasks.heading': 'Plan tasks',
    'responder.tasks.empty': 'No plan tasks',
    'responder.tasks.group': 'Working group',
    'responder.share.heading': 'Position',
    'responder.share.toggle': 'Share position',
    'responder.share.off': 'Position not shared',
    'responder.share.offDuty': 'This unit is off duty; no position is shared',
    'responder.share.unsupported': 'This device or browser cannot share a position',
    'responder.share.insecure': 'Location needs a secure connection (HTTPS); the position cannot be shared',
    'responder.share.waiting': 'Getting a position fix…',
    'responder.share.sent': 'Sent {time}',
    'responder.share.sentAcc': 'Sent {time} (accurate to about {m} m)',
    'responder.share.offline': 'Link lost: the position will be sent once it is back',
    'responder.share.denied': 'Location permission denied; allow it in the browser settings',
    'responder.share.unavailable': 'No position available yet; still trying…',
    'responder.share.timeout': 'Location timed out; still trying…',
    'responder.share.refused': 'The server did not take this position: {message}',
    'responder.history.heading': 'Past orders',
    'responder.history.empty': 'No past orders',

    'leader.title': 'Watchfloor Plan Approvals',
    'leader.subtitle': 'Approve and direct the emergency plans',
    'leader.error.role': 'This account ({role}) may not use the plan approvals page',
    'leader.linkBanner': 'Live link lost, reconnecting… the data on this page may be out of date',
    'leader.proposed.heading': 'Plans awaiting approval',
    'leader.proposed.empty': 'No plans awaiting approval',
    'leader.active.heading': 'Active plans',
    'leader.active.empty': 'No active plans',
    'leader.history.heading': 'Ended and rejected',
    'leader.history.empty': 'Nothing yet',
    'leader.incidentLoading': 'Loading the incident…',
    'leader.occurred': 'occurred {time}',
    'leader.noCasualties': 'No casualties reported',
    'leader.levelReasons': 'Why this level',
    'leader.why': 'Why this plan',
    'leader.approvers': 'Decided by:',
    'leader.commander': 'Commander:',
    'leader.permHint': 'Your role ({role}) may not decide this plan; it is for the {who}',
    'leader.waiting': 'waiting {time}',
    'leader.auto': 'Activated by procedure',
    'leader.approvedBy': 'Approved by {who}',
    'leader.decisionReason': 'Approval note:',
    'leader.by': 'by {who}',
    'leader.reasonWas': 'reason: {reason}',
    'leader.reason.proposed': 'Note (required to reject)',
    'leader.reason.active': 'Reason (required to end)',
    'leader.reason.placeholderProposed': 'A note for the approval, or the reason for rejecting',
    'leader.reason.placeholderActive': 'The reason for moving to recovery or ending',
    'leader.action.approve': 'Approve',
    'leader.action.reject': 'Reject',
    'leader.action.phase': 'Move to recovery',
    'leader.action.end': 'End plan',
    'leader.busy': 'Sending…',
    'leader.error.reasonReject': 'Give a reason to reject the plan',
    'leader.error.reasonEnd': 'Give a reason to end the plan',
    'leader.error.forbidden': 'Not allowed (403): this plan is for the {who} to decide',
    'leader.error.conflict': 'The plan has changed; nothing was done',
    'leader.error.invalid': 'The request was invalid',
    'leader.error.notFound': 'This plan cannot be found',
    'leader.error.other': 'Failed ({status}); please try again',
    'leader.error.network': 'Cannot reach the server; please try again',
  },
};

/** @type {'zh'|'en'} */
let current = normalise(read(STORAGE_KEY)) ?? 'zh';

/** @type {Set<() => void>} */
const listeners = new Set();

/**
 * Maps a stored or requested language tag to 'zh' or 'en'.
 * @param {string|null|undefined} tag
 * @returns {'zh'|'en'|null}
 */
function normalise(tag) {
  if (typeof tag !== 'string') return null;
  const t = tag.trim().toLowerCase();
  if (t.startsWith('zh')) return 'zh';
  if (t.startsWith('en')) return 'en';
  return null;
}

/**
 * Translates a key into the current language, filling {name} placeholders
 * from params. An unknown key falls back to Chinese, then to the key itself.
 * @param {string} key
 * @param {Record<string, string|number>} [params]
 * @returns {string}
 */
export function t(key, params) {
  const text = CATALOGUE[current][key] ?? CATALOGUE.zh[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/**
 * Translates a key like t(), but fills {name} placeholders with DOM nodes
 * (or text) and returns the pieces, the catalogue's own text as text nodes:
 * for sentences whose parts need their own element, such as a name in bold.
 * @param {string} key
 * @param {Record<string, Node|string>} parts
 * @returns {Node[]}
 */
export function tNodes(key, parts) {
  const text = t(key);
  /** @type {Node[]} */
  const out = [];
  const re = /\{(\w+)\}/g;
  let last = 0;
  let m;
  while ((m = re.exec(text)) !== null) {
    if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
    const part = Object.hasOwn(parts, m[1]) ? parts[m[1]] : m[0];
    out.push(typeof part === 'string' ? document.createTextNode(part) : part);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

/**
 * The current language: 'zh' or 'en'.
 * @returns {'zh'|'en'}
 */
export function lang() {
  return current;
}

/**
 * The BCP 47 tag of the current language, for <html lang> and Intl.
 * @returns {string}
 */
export function locale() {
  return LANGS[current];
}

/**
 * Switches the language, remembers it in localStorage, relabels the page
 * and tells every listener so dynamic content re-renders.
 * @param {string} next 'zh', 'zh-CN' or 'en'
 */
export function setLang(next) {
  const n = normalise(next);
  if (!n) return;
  current = n;
  write(STORAGE_KEY, LANGS[n]);
  applyLabels(document);
  for (const fn of listeners) fn();
}

/** Switches between Chinese and English. */
export function toggleLang() {
  setLang(current === 'zh' ? 'en' : 'zh');
}

/**
 * Calls fn after every language change.
 * @param {() => void} fn
 * @returns {() => void} a function that removes the listener
 */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * Sets the text of every element under root that carries data-i18n="key",
 * the aria-label of those with data-i18n-label="key", and <html lang>.
 * @param {ParentNode} root
 */
export function applyLabels(root) {
  document.documentElement.lang = LANGS[current];
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.getAttribute('data-i18n') ?? '');
  }
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.getAttribute('data-i18n-label') ?? ''));
  }
}
