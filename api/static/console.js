// fieldcrew console: plain JS, no framework, no build step, never innerHTML with data.
// People sign in with user name and password (an HttpOnly session cookie the script never sees);
// machines and the demo use an API key (kept in sessionStorage). What is shown depends on the
// caller's role. Every text comes from the catalog /static/i18n/<lang>.json through t(key):
// Chinese by default, English on request (remembered in localStorage).
"use strict";

const state = {
  key: sessionStorage.getItem("fieldcrew-key") || "", user: null, technicians: null, tab: null, timer: null,
};
const $ = (id) => document.getElementById(id);
const TABS = {
  dispatcher: ["roster", "dispatch", "jobs"],
  hr: ["payroll", "jobs"],
  planner: ["planning", "dispatch", "jobs"],
  technician: ["myday", "roster", "dispatch", "mypay", "jobs"],
  admin: ["roster", "dispatch", "payroll", "planning", "jobs"],
};
const TIME_ZONE = "Asia/Shanghai";

// ---- catalog ------------------------------------------------------------------------------------

const LANGS = ["zh-CN", "en"];
const i18n = { lang: "zh-CN", messages: {} };

// Catalog keys of codes the API sends: every key is written out so a test can check the catalog.
const WEEKDAY_KEYS = ["weekday.sun", "weekday.mon", "weekday.tue", "weekday.wed", "weekday.thu", "weekday.fri",
  "weekday.sat"];
const ROLE_KEYS = { dispatcher: "role.dispatcher", hr: "role.hr", planner: "role.planner",
  technician: "role.technician", admin: "role.admin" };
const ORDER_STATUS_KEYS = { created: "status.created", dispatched: "status.dispatched", started: "status.started",
  suspended: "status.suspended", completed: "status.completed", cancelled: "status.cancelled" };
const GRADE_KEYS = { vip: "grade.vip", gold: "grade.gold", ordinary: "grade.ordinary" };
const ORDER_TYPE_KEYS = { install: "order_type.install", move: "order_type.move", repair: "order_type.repair" };
const JOB_STATUS_KEYS = { queued: "job_status.queued", running: "job_status.running",
  succeeded: "job_status.succeeded", failed: "job_status.failed", cancelled: "job_status.cancelled" };
const RUN_STATUS_KEYS = { draft: "run_status.draft", approved: "run_status.approved", locked: "run_status.locked",
  released: "run_status.released" };
const ROSTER_STATUS_KEYS = { draft: "roster_status.draft", published: "roster_status.published",
  superseded: "roster_status.superseded" };
// problem+json `type` codes (the last part of the URI) → catalog keys of their titles
const PROBLEM_KEYS = {
  "sign-in-failed": "problem.sign_in_failed", "account-locked": "problem.account_locked",
  "wrong-password": "problem.wrong_password", "invalid-password": "problem.invalid_password",
  "unauthorized": "problem.unauthorized", "forbidden": "problem.forbidden", "not-found": "problem.not_found",
  "invalid-request": "problem.invalid_request", "invalid-input": "problem.invalid_input",
  "invalid-value": "problem.invalid_value", "conflict": "problem.conflict",
  "too-many-requests": "problem.too_many_requests", "illegal-status-transition": "problem.illegal_transition",
  "event-out-of-order": "problem.event_out_of_order", "event-not-allowed": "problem.event_not_allowed",
  "no-published-roster": "problem.no_published_roster", "day-under-way": "problem.day_under_way",
  "plan-version-conflict": "problem.plan_version_conflict", "invalid-pay-input": "problem.invalid_pay_input",
  "payroll-run-status-conflict": "problem.run_status_conflict", "invalid-user": "problem.invalid_user",
  "internal-error": "problem.internal_error", "job-failed": "problem.job_failed",
};
// pydantic's rule types (the part before ":" of a field error's rule) → catalog keys
const RULE_KEYS = {
  missing: "rule.missing", value_error: "rule.value_error", string_pattern_mismatch: "rule.pattern",
  greater_than: "rule.greater_than", greater_than_equal: "rule.greater_than_equal", less_than: "rule.less_than",
  less_than_equal: "rule.less_than_equal", string_too_short: "rule.too_short", string_too_long: "rule.too_long",
  int_parsing: "rule.number", float_parsing: "rule.number", date_from_datetime_parsing: "rule.date",
  date_parsing: "rule.date",
};
// pay rules → the payslip item they belong to (岗位工资, 计件工资, 加班工资, 奖惩, 扣款, …)
const PAY_ITEM_KEYS = {
  post_wage: "payslip.item.post_wage", minimum_wage_top_up: "payslip.item.post_wage",
  sick_leave: "payslip.item.sick_leave", piece_pay: "payslip.item.piece_pay",
  piece_pay_overtime: "payslip.item.overtime", overtime_hours: "payslip.item.overtime",
  time_off_expired: "payslip.item.overtime", bonus_item: "payslip.item.bonus_penalty",
  bonus_cap: "payslip.item.bonus_penalty", penalty_item: "payslip.item.bonus_penalty",
  penalty_cap: "payslip.item.bonus_penalty", loss_deduction: "payslip.item.deductions",
  deduction_cap: "payslip.item.deductions", night_allowance: "payslip.item.allowance",
  high_temperature_allowance: "payslip.item.allowance", social_insurance: "payslip.item.contributions",
  housing_fund: "payslip.item.contributions", income_tax: "payslip.item.income_tax",
};

// The text of `key` in the current language, with {name} replaced from `params`.
function t(key, params = {}) {
  const text = Object.prototype.hasOwnProperty.call(i18n.messages, key) ? i18n.messages[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}
const tCode = (map, code) => (map[code] ? t(map[code]) : String(code ?? ""));

function applyCatalog(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of root.querySelectorAll("[data-i18n-aria-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
  }
  document.title = t("app.title");
  document.documentElement.lang = i18n.lang;
  const other = i18n.lang === "zh-CN" ? "en" : "zh-CN";
  $("lang").textContent = t(other === "en" ? "app.lang_en" : "app.lang_zh");
  $("lang").lang = other;
}

async function setLanguage(lang) {
  const chosen = LANGS.includes(lang) ? lang : "zh-CN";
  const response = await fetch(`/static/i18n/${chosen}.json`);
  i18n.messages = await response.json();
  i18n.lang = chosen;
  localStorage.setItem("fieldcrew-lang", chosen);
  applyCatalog();
}

// ---- money, dates and times (Asia/Shanghai) -------------------------------------------------------

const YUAN = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
// ¥ with thousands separators and two decimals: fmtFen(123456) → "¥1,234.56"
function fmtFen(fen) {
  if (fen === null || fen === undefined || fen === "") return "–";
  const n = Number(fen);
  return `${n < 0 ? "-" : ""}¥${YUAN.format(Math.abs(n) / 100)}`;
}
const fmtYuan = (value) => (value === null || value === undefined || value === "" ? "–"
  : fmtFen(Math.round(Number(String(value).replace(/[¥,\s]/g, "")) * 100)));

const SHANGHAI = new Intl.DateTimeFormat("sv-SE", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit",
  day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const hasOffset = (iso) => /(Z|[+-]\d\d:?\d\d)$/.test(iso);
// "YYYY-MM-DDTHH:MM:SS" in Shanghai: an instant with an offset is converted, a naive time (the
// service's local times) is Shanghai time already
function shanghai(iso) {
  if (!iso) return "";
  return hasOffset(iso) ? SHANGHAI.format(new Date(iso)).replace(" ", "T") : iso;
}
const fmtDateTime = (iso) => shanghai(iso).replace("T", " ").slice(0, 16);
const hhmm = (iso) => shanghai(iso).slice(11, 16);
const nowShanghai = () => SHANGHAI.format(new Date()).replace(" ", "T");
const todayShanghai = () => nowShanghai().slice(0, 10);
const weekday = (isoDate) => t(WEEKDAY_KEYS[new Date(`${isoDate}T00:00:00Z`).getUTCDay()]);

// ---- API and errors ---------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem, fallback) {
    super((problem && (problem.detail || problem.title)) || fallback);
    this.status = status;
    this.problem = problem || { title: fallback, detail: "" };
  }
}

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json", ...(options.headers || {}) };
  if (state.key) headers["X-API-Key"] = state.key;  // else the session cookie, sent by the browser
  const response = await fetch(path, { ...options, headers });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, body, `${response.status} ${response.statusText}`);
    error.retryAfter = Number(response.headers.get("Retry-After")) || null;
    throw error;
  }
  return { body, headers: response.headers, status: response.status };
}
const getJson = async (path) => (await api(path)).body;
const postJson = async (path, data) => api(path, { method: "POST", body: JSON.stringify(data) });

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clearError() {
  $("error").hidden = true;
  $("error").replaceChildren();
  for (const node of document.querySelectorAll(".field-error")) node.remove();
}

// The problem's title in the user's language, from its stable type code.
function problemTitle(problem) {
  const code = String(problem.type || "").split("/").pop();
  return PROBLEM_KEYS[code] ? t(PROBLEM_KEYS[code]) : (problem.title || t("problem.error"));
}

function ruleText(rule) {
  const kind = String(rule || "").split(":")[0].trim();
  return RULE_KEYS[kind] ? t(RULE_KEYS[kind]) : "";
}

// Shows an API problem (title, detail and each field error) or any other error to the user; a
// field error is also shown next to its input in `form`, when the form has one of that name.
function showError(error, form) {
  if (error instanceof ApiError && error.status === 401 && state.user) {
    logout(t("login.expired"));
    return;
  }
  const box = $("error");
  box.replaceChildren();
  const problem = error instanceof ApiError ? error.problem : { title: t("problem.error"), detail: error.message };
  box.append(el("strong", {}, problemTitle(problem)), " ", el("span", { class: "detail" }, problem.detail || ""));
  if (Array.isArray(problem.errors) && problem.errors.length) {
    box.append(el("ul", {}, problem.errors.map((e) => el("li", {},
      el("code", {}, e.field ?? ""), ": ", ruleText(e.rule) ? `${ruleText(e.rule)} — ` : "", e.rule ?? "",
      e.value !== undefined && e.value !== null ? ` (${t("problem.value")}: ${JSON.stringify(e.value)})` : "",
      e.row !== undefined && e.row !== null ? ` [${t("problem.row")} ${e.row}]` : ""))));
    for (const e of problem.errors) {
      const name = String(e.field || "").split(".").pop();
      const input = form && form.elements && form.elements[name];
      if (input && input.closest) {
        (input.closest("label") || input).after(el("span", { class: "field-error", role: "alert",
          "data-field": name }, ruleText(e.rule) || e.rule));
      }
    }
  }
  box.hidden = false;
}

// Runs an async action from a form/button: clears the error, disables the control, shows failures.
function action(fn) {
  return async (event) => {
    if (event) event.preventDefault();
    const control = event && (event.submitter || event.currentTarget);
    const form = event && event.target && (event.target.tagName === "FORM" ? event.target : event.target.form);
    clearError();
    if (control && "disabled" in control) control.disabled = true;
    try {
      await fn(event);
    } catch (error) {
      showError(error, form);
    } finally {
      if (control && "disabled" in control) control.disabled = false;
    }
  };
}

function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

// ---- jobs ---------------------------------------------------------------------------------------

// Polls a job, showing its progress in `line`, until it ends; returns the finished job.
async function followJob(location, line) {
  line.hidden = false;
  const bar = el("progress", { max: 1, value: 0 });
  const text = el("span", {}, t("job_status.queued"));
  line.replaceChildren(bar, " ", text);
  for (;;) {
    const job = await getJson(location);
    bar.value = job.progress;
    text.textContent = `${job.kind}: ${tCode(JOB_STATUS_KEYS, job.status)} — ${job.error || job.message || ""}`;
    line.dataset.status = job.status;
    if (["succeeded", "failed", "cancelled"].includes(job.status)) {
      if (job.status === "failed") {
        throw new ApiError(500, { type: "job-failed", title: t("problem.job_failed"), detail: job.error || "" }, "");
      }
      return job;
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
}

async function submitJob(path, data, line) {
  const { headers } = await postJson(path, data);
  return followJob(headers.get("Location"), line);
}

async function loadJobs() {
  const jobs = await getJson("/jobs?limit=50");
  const tbody = $("jobs").querySelector("tbody");
  tbody.replaceChildren();
  for (const job of jobs) {
    const actions = el("td");
    if (job.result && job.result.roster_id) {
      actions.append(el("button", { type: "button", onclick: action(() => openRoster(job.result.roster_id)) },
        t("jobs.open_roster")));
    }
    if ((job.status === "queued" || job.status === "running") && !job.cancel_requested &&
        (state.user.role === "admin" || job.owner === state.user.username)) {
      actions.append(el("button", { type: "button",
        onclick: action(async () => { await api(job.location, { method: "DELETE" }); await loadJobs(); }) },
      t("jobs.cancel")));
    }
    tbody.append(el("tr", {},
      el("td", {}, el("code", {}, job.id.slice(0, 8))), el("td", {}, job.kind), el("td", {}, job.owner),
      el("td", { class: `status-${job.status}` }, tCode(JOB_STATUS_KEYS, job.status)),
      el("td", {}, el("progress", { max: 1, value: job.progress })),
      el("td", {}, job.error || job.message), actions));
  }
  if (!jobs.length) tbody.append(el("tr", {}, el("td", { colspan: 7, class: "muted" }, t("jobs.none"))));
}

// ---- reference data -----------------------------------------------------------------------------

async function technicians() {
  if (!state.technicians) {
    const all = [];
    for (let offset = 0; ; offset += 1000) {  // the API pages at most 1000 rows
      const page = await getJson(`/technicians?limit=1000&offset=${offset}`);
      all.push(...page);
      if (page.length < 1000) break;
    }
    state.technicians = new Map(all.map((tech) => [tech.id, tech]));
  }
  return state.technicians;
}

async function fillBranches() {
  let branches = [];
  try {
    branches = await getJson("/branches");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 403)) throw error;
  }
  if (!branches.length && state.user.role === "technician") {
    const me = (await technicians()).get(state.user.technician_id);
    if (me) branches = [{ id: me.branch_id, name: me.branch_id }];
  }
  for (const select of document.querySelectorAll("select.branches")) {
    select.replaceChildren(...branches.map((b) => el("option", { value: b.id }, `${b.id} — ${b.name}`)));
  }
}

// ---- a technician's day ---------------------------------------------------------------------------

function stopField(labelKey, value) {
  return [el("dt", {}, t(labelKey)), el("dd", {}, value === null || value === undefined || value === "" ? "–" : value)];
}

async function loadMyDay() {
  const form = $("myday-form");
  if (!form.elements.day.value) form.elements.day.value = todayShanghai();
  const day = form.elements.day.value;
  const list = $("myday-stops");
  list.replaceChildren();
  let mine;
  try {
    mine = await getJson(`/dispatch/my-day?day=${encodeURIComponent(day)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      $("myday-meta").textContent = t("myday.no_plan", { day, weekday: weekday(day) });
      return;
    }
    throw error;
  }
  const shift = mine.shift_start ? t("myday.shift", { start: hhmm(mine.shift_start), end: hhmm(mine.shift_end) }) : "";
  $("myday-meta").textContent = `${day} ${weekday(day)} · ${t("myday.count", { count: mine.stops.length })}` +
    (shift ? ` · ${shift}` : "");
  $("myday-stops").dataset.version = mine.version;
  if (!mine.stops.length) list.append(el("li", { class: "muted" }, t("myday.no_stops")));
  for (const stop of mine.stops) list.append(renderStop(mine, stop));
}

function renderStop(mine, stop) {
  const slot = stop.appointment ? `${hhmm(stop.appointment.start)}–${hhmm(stop.appointment.end)}` : t("myday.no_appointment");
  const card = el("li", { class: `stop status-${stop.status}`, "data-order": stop.order_id, "data-status": stop.status },
    el("div", { class: "stop-head" },
      el("span", { class: "seq" }, stop.seq ?? "–"),
      el("strong", {}, stop.order_id),
      el("span", { class: "badge" }, tCode(ORDER_STATUS_KEYS, stop.status))),
    el("dl", {},
      stopField("myday.area", stop.area_name ? `${stop.area_name}（${stop.area_id}）` : stop.area_id),
      stopField("myday.grade", tCode(GRADE_KEYS, stop.customer_grade)),
      stopField("myday.type", tCode(ORDER_TYPE_KEYS, stop.order_type)),
      stopField("myday.appointment", slot),
      stopField("myday.deadline", fmtDateTime(stop.deadline)),
      stopField("myday.eta", stop.eta ? hhmm(stop.eta) : ""),
      stop.suspend_reason ? stopField("myday.suspend_reason", stop.suspend_reason) : null));
  const actions = el("div", { class: "actions" });
  const post = (body) => action(async () => {
    await postJson(`/dispatch/plans/${encodeURIComponent(mine.branch_id)}/${mine.day}/events`,
      { at: nowShanghai(), order_id: stop.order_id, ...body });
    await loadMyDay();
  });
  if (stop.status === "dispatched") {
    actions.append(el("button", { type: "button", class: "primary", "data-action": "start",
      onclick: post({ kind: "order_started" }) }, t("myday.start")));
  } else if (stop.status === "suspended") {
    actions.append(el("button", { type: "button", class: "primary", "data-action": "resume",
      onclick: post({ kind: "order_resumed" }) }, t("myday.resume")));
  } else if (stop.status === "started") {
    const suspend = el("form", { class: "stop-form suspend-form", hidden: true },
      el("label", {}, el("span", {}, t("myday.reason")),
        el("input", { name: "reason", required: true, maxlength: 200, placeholder: t("myday.reason_hint") })),
      el("button", { type: "submit" }, t("myday.confirm_suspend")));
    suspend.addEventListener("submit", (event) => {
      const reason = formData(event.target).reason.trim();
      return post({ kind: "order_suspended", reason })(event);
    });
    const complete = el("form", { class: "stop-form complete-form", hidden: true },
      el("fieldset", {}, el("legend", {}, t("myday.fixed")),
        el("label", { class: "inline" }, el("input", { type: "radio", name: "fixed", value: "yes", checked: true }),
          el("span", {}, t("myday.fixed_yes"))),
        el("label", { class: "inline" }, el("input", { type: "radio", name: "fixed", value: "no" }),
          el("span", {}, t("myday.fixed_no")))),
      el("label", {}, el("span", {}, t("myday.repeat_of")),
        el("input", { name: "repeat_of", maxlength: 64, placeholder: t("myday.repeat_hint") })),
      stop.appointment ? el("label", { class: "inline" },
        el("input", { type: "checkbox", name: "appointment_kept", checked: true }),
        el("span", {}, t("myday.appointment_kept"))) : null,
      el("button", { type: "submit", class: "primary" }, t("myday.confirm_complete")));
    complete.addEventListener("submit", (event) => {
      const f = formData(event.target);
      const body = { kind: "order_completed", fixed: f.fixed === "yes" };
      if ((f.repeat_of || "").trim()) body.repeat_of = f.repeat_of.trim();
      if (stop.appointment) body.appointment_kept = f.appointment_kept === "on";
      return post(body)(event);
    });
    actions.append(
      el("button", { type: "button", "data-action": "suspend",
        onclick: () => { suspend.hidden = !suspend.hidden; complete.hidden = true; } }, t("myday.suspend")),
      el("button", { type: "button", class: "primary", "data-action": "complete",
        onclick: () => { complete.hidden = !complete.hidden; suspend.hidden = true; } }, t("myday.complete")),
      suspend, complete);
  }
  if (actions.childNodes.length) card.append(actions);
  return card;
}

// ---- roster -------------------------------------------------------------------------------------

function addDays(iso, n) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

async function openRoster(rosterId) {
  selectTab("roster");
  $("roster-load").elements.roster_id.value = rosterId;
  const roster = await getJson(`/rosters/${encodeURIComponent(rosterId)}`);
  let score = null;
  if (["dispatcher", "admin"].includes(state.user.role)) score = await getJson(`/rosters/${encodeURIComponent(rosterId)}/score`);
  renderRoster(roster, score, await technicians());
}

function renderRoster(roster, score, techs) {
  const start = roster.start_date || roster.period_start;
  const dates = Array.from({ length: roster.days }, (_, i) => addDays(start, i));
  $("roster-meta").textContent = t("roster.meta", {
    branch: roster.branch_id, first: dates[0], last: dates[dates.length - 1], version: roster.version,
    status: tCode(ROSTER_STATUS_KEYS, roster.status), solver: roster.solver_status || "?",
    objective: roster.objective ?? "–", bound: roster.bound ?? "–",
  }) + (roster.published_at ? ` ${t("roster.published_at", { at: fmtDateTime(roster.published_at) })}` : "");
  if (!Object.keys(roster.assignment || {}).length) {
    $("roster-meta").append(el("strong", { class: "error" }, roster.solver_status === "FEASIBLE" ||
      roster.solver_status === "OPTIMAL" ? ` — ${t("roster.no_row")}` : ` — ${t("roster.no_solution")}`));
  }
  $("roster-view").dataset.status = roster.status;
  $("roster-publish").hidden = !(roster.status === "draft" && ["dispatcher", "admin"].includes(state.user.role));
  $("roster-publish").onclick = action(async () => {
    await postJson(`/rosters/${encodeURIComponent(roster.id)}/publish`, {});
    await openRoster(roster.id);
  });
  $("roster-link").href = `#roster=${encodeURIComponent(roster.id)}`;
  $("reroster-changes").textContent = "";
  const absent = $("reroster-form").elements;
  if (!absent.start.value || absent.start.value < dates[0] || absent.start.value > dates[dates.length - 1]) {
    absent.start.value = dates[0];
    absent.end.value = dates[0];
  }

  // under-coverage per group and day: from the score breakdown (dispatcher) or given quotas
  const under = new Map();
  for (const line of (score && score.lines) || []) {
    if (line.rule === "cover_under") {
      const key = `${line.group_id ?? ""}|${line.day}`;
      under.set(key, (under.get(key) || 0) + line.cost);
    }
  }
  const groups = new Map();
  for (const [techId, days] of Object.entries(roster.assignment)) {
    const group = (techs.get(techId) || {}).region_group_id || t("roster.support_team");
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push([techId, days || []]);
  }
  const table = $("roster-grid");
  table.replaceChildren();
  table.dataset.start = start;
  table.append(el("thead", {}, el("tr", {}, el("th", {}, t("common.technician")),
    dates.map((d) => {
      const wd = new Date(`${d}T00:00:00Z`).getUTCDay();
      return el("th", { class: wd === 0 || wd === 6 ? "weekend" : null }, `${weekday(d)} ${d.slice(5)}`);
    }), el("th", {}, t("roster.days_on")))));
  const tbody = el("tbody");
  const rest = t("roster.rest");
  for (const group of [...groups.keys()].sort()) {
    tbody.append(el("tr", { class: "group" }, el("th", { colspan: dates.length + 2 }, group)));
    const atWork = dates.map(() => 0);
    for (const [techId, days] of groups.get(group).sort()) {
      const tech = techs.get(techId);
      const row = el("tr", { "data-technician": techId }, el("th", {}, tech ? `${techId} ${tech.name}` : techId));
      let on = 0;
      dates.forEach((_, i) => {
        const shift = days[i];
        if (shift) { atWork[i] += 1; on += 1; }
        row.append(el("td", { class: shift ? "cell on" : "cell rest" }, shift || rest));
      });
      row.append(el("td", { class: "num" }, on));
      tbody.append(row);
    }
    const quota = roster.quotas ? roster.quotas[group] : null;
    tbody.append(el("tr", { class: "coverage", "data-group": group },
      el("th", {}, quota ? t("roster.at_work_quota") : t("roster.at_work")),
      dates.map((d, i) => {
        const cost = under.get(`${group}|${i}`) || 0;
        const need = quota ? quota[d] : undefined;
        const short = cost > 0 || (need !== undefined && atWork[i] < need);
        const text = need !== undefined ? `${atWork[i]}/${need}` : String(atWork[i]);
        return el("td", { class: short ? "cell short" : "cell", title: cost ? t("roster.under_quota", { cost }) : null },
          text);
      }), el("td")));
  }
  table.append(tbody);
  $("roster-view").hidden = false;
}

// ---- dispatch board -----------------------------------------------------------------------------

async function loadBoard(branchId, day) {
  const query = state.user.role === "technician" ? `?technician_id=${encodeURIComponent(state.user.technician_id)}` : "";
  const plan = await getJson(`/dispatch/plans/${encodeURIComponent(branchId)}/${day}/board${query}`);
  const techs = await technicians();
  const view = $("board-view");
  view.replaceChildren(el("p", {}, t("board.summary", { version: plan.version ?? "?", branch: plan.branch_id,
    day: `${plan.day} ${weekday(plan.day)}`, routes: plan.routes.length, unassigned: plan.unassigned.length,
    warnings: plan.warnings.length })));
  if (plan.control && plan.control.items.length) {  // the dispatch centre's control queue comes first
    view.append(el("h3", {}, t("board.control")), el("ul", { class: "control" },
      plan.control.items.map((c) => el("li", { class: `severity-${c.severity}` },
        `${c.kind === "escalation" ? "⚠ " : ""}${c.order_id || c.area_id || ""}${c.technician_id ? ` (${c.technician_id})` : ""}: ${c.reason}`))));
  }
  if (plan.intake) {  // a day planned from the order table: who is on duty by which authority
    view.append(el("p", { class: plan.intake.source === "override" ? "intake override" : "intake muted" },
      t("board.intake", { note: plan.intake.note, taken: plan.intake.taken_min, capacity: plan.intake.capacity_min,
        deferred: plan.intake.deferred.length })));
  }
  const idle = [];
  for (const route of plan.routes) {
    const tech = techs.get(route.technician_id);
    const label = `${route.technician_id}${tech ? ` ${tech.name}` : ""}`;
    if (!route.stops.length) { idle.push(label); continue; }
    view.append(el("h3", {}, t("board.route", { technician: label, count: route.stops.length })));
    view.append(el("table", { class: "board" }, el("thead", {}, el("tr", {}, ["board.order", "board.eta", "board.work",
      "board.travel", "board.deadline", "board.late", "board.status"].map((h) => el("th", {}, t(h))))),
    el("tbody", {}, route.stops.map((s) => el("tr", { class: s.late_min > 0 ? "late" : null },
      el("td", {}, s.order_id), el("td", {}, hhmm(s.arrival)), el("td", {}, `${hhmm(s.start)}–${hhmm(s.end)}`),
      el("td", { class: "num" }, s.travel_min), el("td", {}, fmtDateTime(s.deadline)),
      el("td", { class: "num" }, s.late_min), el("td", {}, tCode(ORDER_STATUS_KEYS, s.status) + (s.locked ? " 🔒" : "")))))));
  }
  if (idle.length) view.append(el("p", { class: "idle muted" }, t("board.idle", { count: idle.length, list: idle.join(", ") })));
  if (plan.warnings.length) {
    view.append(el("h3", {}, t("board.warnings")), el("ul", { class: "warnings" },
      plan.warnings.map((w) => el("li", {}, `${w.kind}: ${w.order_id} ${w.technician_id || ""} — ${w.message}`))));
  }
  if (plan.unassigned.length) {
    view.append(el("h3", {}, t("board.unassigned")), el("ul", {},
      plan.unassigned.map((u) => el("li", {}, `${u.order_id}: ${u.reason} (${u.rule})`))));
  }
  if (plan.intake && plan.intake.deferred.length) {
    view.append(el("h3", {}, t("board.deferred")), el("ul", { class: "deferred" },
      plan.intake.deferred.map((d) => el("li", {}, `${d.order_id} (${tCode(GRADE_KEYS, d.customer_grade)}, ` +
        `${t("board.due", { at: fmtDateTime(d.deadline) })}${d.overdue ? `, ${t("board.overdue")}` : ""}): ${d.reason}`))));
  }
}

// ---- payroll ------------------------------------------------------------------------------------

async function loadRuns() {
  const runs = await getJson("/payroll/runs");
  const tbody = $("runs").querySelector("tbody");
  tbody.replaceChildren();
  for (const run of runs) {
    tbody.append(el("tr", {}, el("td", {}, run.month), el("td", {}, run.version), el("td", {}, run.policy_version),
      el("td", { class: "num" }, run.technicians),
      el("td", { class: "num" }, run.total_fen !== undefined ? fmtFen(run.total_fen) : fmtYuan(run.total)),
      el("td", {}, tCode(RUN_STATUS_KEYS, run.status)),
      el("td", {}, fmtDateTime(run.created_at)),
      el("td", {}, el("button", { type: "button", onclick: action(() => chooseRun(run)) }, t("payroll.payslips")))));
  }
  if (!runs.length) tbody.append(el("tr", {}, el("td", { colspan: 8, class: "muted" }, t("payroll.none"))));
}

async function chooseRun(run) {
  const form = $("payslip-form");
  form.dataset.runId = run.id;
  $("payslip-run").textContent = t("payroll.run_label", { month: run.month, version: run.version });
  const techs = [...(await technicians()).values()].sort((a, b) => a.id.localeCompare(b.id));
  $("payslip-tech").replaceChildren(...techs.map((tech) => el("option", { value: tech.id }, `${tech.id} ${tech.name}`)));
  form.hidden = false;
}

function renderPayslip(box, slip) {
  const s = slip.summary || {};
  const money = (line) => (line.amount_fen !== undefined ? fmtFen(line.amount_fen) : fmtYuan(line.amount));
  const total = slip.total_fen !== undefined ? fmtFen(slip.total_fen) : fmtYuan(slip.total);
  const sums = [["payslip.gross", s.gross_fen], ["payslip.deductions", s.deductions_fen],
    ["payslip.item.contributions", s.contributions_fen], ["payslip.item.income_tax", s.income_tax_fen]]
    .filter(([, fen]) => fen !== undefined && fen !== null);
  box.replaceChildren(
    el("h3", {}, t("payslip.heading", { technician: slip.technician_id, month: slip.month, policy: slip.policy_version }),
      " ", el("span", { class: "total" }, `${t("payslip.net")} ${total}`)),
    el("p", { class: "muted" }, t("payslip.summary", { grade: s.grade ?? "–", multiplier: s.grade_multiplier ?? "–",
      post: s.post_grade ?? "–", orders: s.orders ?? "–", done: s.done_minutes ?? "–", base: s.base_minutes ?? "–",
      days: s.paid_work_days ?? "–" })),
    el("table", { class: "payslip-lines" },
      el("thead", {}, el("tr", {}, ["payslip.item", "payslip.quantity", "payslip.rate", "payslip.coefficient",
        "payslip.multiplier", "payslip.amount"].map((h, i) => el("th", { class: i ? "num" : null }, t(h))))),
      el("tbody", {}, (slip.lines || []).map((line) => el("tr", { title: line.rule, "data-rule": line.rule },
        el("td", {}, el("span", { class: "item" }, tCode(PAY_ITEM_KEYS, line.rule)), " ",
          el("span", { class: "muted line-label" }, line.label)),
        el("td", { class: "num" }, line.quantity), el("td", { class: "num" }, line.rate),
        el("td", { class: "num" }, line.coefficient), el("td", { class: "num" }, line.multiplier),
        el("td", { class: "num" }, money(line))))),
      el("tfoot", {},
        sums.map(([key, fen]) => el("tr", {}, el("th", { colspan: 5 }, t(key)), el("th", { class: "num" }, fmtFen(fen)))),
        el("tr", { class: "net" }, el("th", { colspan: 5 }, t("payslip.net")), el("th", { class: "num" }, total)))));
}

async function loadMyPayslips() {
  const tid = encodeURIComponent(state.user.technician_id || "");
  const slips = await getJson(`/payroll/technicians/${tid}/payslips`);
  const tbody = $("mypayslips").querySelector("tbody");
  tbody.replaceChildren();
  for (const slip of slips) {
    tbody.append(el("tr", {}, el("td", {}, slip.month), el("td", {}, slip.version),
      el("td", { class: "num" }, slip.total_fen !== undefined ? fmtFen(slip.total_fen) : fmtYuan(slip.total)),
      el("td", {}, el("button", { type: "button",
        onclick: action(async () => renderPayslip($("payslip-mine"),
          await getJson(`/payroll/runs/${encodeURIComponent(slip.run_id)}/payslips/${tid}`))) }, t("mypay.show")))));
  }
  if (!slips.length) tbody.append(el("tr", {}, el("td", { colspan: 4, class: "muted" }, t("mypay.none"))));
}

// ---- planning -----------------------------------------------------------------------------------

function rowsTable(rows, columns) {
  const cols = columns || (rows.length ? Object.keys(rows[0]) : []);
  return el("table", {}, el("thead", {}, el("tr", {}, cols.map((c) => el("th", {}, c)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, cols.map((c) => el("td", { class: typeof r[c] === "number" ? "num" : null },
      r[c] === null || r[c] === undefined ? "" : typeof r[c] === "object" ? JSON.stringify(r[c]) : r[c]))))));
}

function renderQuotas(data) {
  const days = [...new Set(data.rows.map((r) => r.day))].sort();
  const groups = new Map();
  for (const r of data.rows) {
    if (!groups.has(r.region_group_id)) groups.set(r.region_group_id, {});
    groups.get(r.region_group_id)[r.day] = r;
  }
  const table = el("table", { class: "grid" }, el("thead", {}, el("tr", {}, el("th", {}, t("plan.group_heads")),
    days.map((d) => el("th", {}, `${weekday(d)} ${d.slice(5)}`)))),
  el("tbody", {}, [...groups.keys()].sort().map((g) => el("tr", {}, el("th", {}, g),
    days.map((d) => {
      const r = groups.get(g)[d];
      return el("td", { class: "num", title: r ? t("plan.quota_title", { orders: r.orders, minutes: r.pool_min }) : null },
        r ? r.heads : "");
    })))));
  $("quota-out").replaceChildren(table, ...data.notes.map((n) => el("p", { class: "muted" }, n)));
}

// ---- navigation, sign-in ------------------------------------------------------------------------

const loaders = {
  myday: loadMyDay,
  jobs: loadJobs,
  payroll: loadRuns,
  mypay: loadMyPayslips,
};

function selectTab(name) {
  state.tab = name;
  for (const button of $("tabs").querySelectorAll("button")) button.classList.toggle("active", button.dataset.tab === name);
  for (const section of document.querySelectorAll("section.tab")) section.hidden = section.id !== `tab-${name}`;
}

async function showTab(name) {
  selectTab(name);
  clearError();
  if (loaders[name]) await loaders[name]();
}

function showWho() {
  if (!state.user) return;
  const u = state.user;
  $("who").textContent = `${u.username} (${tCode(ROLE_KEYS, u.role)}${u.technician_id ? ` ${u.technician_id}` : ""})`;
}

// Signed in (by key or cookie): shows the tabs of the caller's role and opens the first one.
async function enter(user) {
  state.user = user;
  clearInterval(state.timer);
  state.timer = setInterval(() => {  // the jobs table follows running jobs while it is shown
    if (state.tab === "jobs" && !document.hidden && $("error").hidden) loadJobs().catch(showError);
  }, 3000);
  const role = state.user.role;
  showWho();
  document.body.dataset.role = role;
  $("login").hidden = true;
  $("login-error").textContent = "";
  $("tabs").hidden = false;
  $("logout").hidden = false;
  const allowed = TABS[role] || ["jobs"];
  for (const button of $("tabs").querySelectorAll("button")) button.hidden = !allowed.includes(button.dataset.tab);
  for (const node of document.querySelectorAll(".dispatcher-only")) node.hidden = !["dispatcher", "admin"].includes(role);
  $("selftest").hidden = role !== "admin";
  const today = todayShanghai();
  for (const input of document.querySelectorAll("input[type=date]")) if (!input.value) input.value = today;
  state.tab = null;
  try {
    await fillBranches();
    // a tab the user opened while the branches were loading wins over the default one
    const match = location.hash.match(/roster=([^&]+)/);
    if (match && allowed.includes("roster")) await openRoster(decodeURIComponent(match[1]));
    else if (state.tab === null) await showTab(allowed[0]);
  } catch (error) {
    showError(error);
  } finally {
    document.body.dataset.ready = "1";
  }
}

async function loginWithKey(key) {
  state.key = key;
  let user;
  try {
    user = await getJson("/users/me");
  } catch (error) {
    state.key = "";
    $("login-error").textContent = error.status === 401 ? t("login.bad_key") : error.message;
    return;
  }
  sessionStorage.setItem("fieldcrew-key", key);
  await enter(user);
}

async function loginWithPassword(username, password) {
  state.key = "";
  sessionStorage.removeItem("fieldcrew-key");
  try {
    await postJson("/auth/login", { username, password });
    await enter(await getJson("/users/me"));
  } catch (error) {
    const problem = error instanceof ApiError ? error.problem : { detail: error.message };
    const code = String(problem.type || "").split("/").pop();
    const retry = error instanceof ApiError && code === "account-locked"
      ? ` ${t("login.retry_minutes", { minutes: Math.max(1, Math.ceil((error.retryAfter || 900) / 60)) })}` : "";
    $("login-error").textContent = (PROBLEM_KEYS[code] ? t(PROBLEM_KEYS[code]) : problemTitle(problem)) + retry;
    $("login-error").dataset.code = code;
  }
}

async function logout(message) {
  delete document.body.dataset.ready;
  const hadKey = Boolean(state.key);
  sessionStorage.removeItem("fieldcrew-key");
  clearInterval(state.timer);
  Object.assign(state, { key: "", user: null, technicians: null, tab: null, timer: null });
  if (!hadKey) await fetch("/auth/logout", { method: "POST" }).catch(() => null);  // ends the cookie session
  $("who").textContent = "";
  for (const section of document.querySelectorAll("section.tab")) section.hidden = true;
  $("tabs").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("password").value = "";
  clearError();
}

// ---- wiring -------------------------------------------------------------------------------------

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  const f = formData(event.target);
  loginWithPassword(f.username.trim(), f.password);
});
$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  loginWithKey($("key").value.trim());
});
$("logout").addEventListener("click", () => logout());
$("lang").addEventListener("click", action(async () => {
  await setLanguage(i18n.lang === "zh-CN" ? "en" : "zh-CN");
  showWho();
  if (state.user && loaders[state.tab]) await loaders[state.tab]();
}));
for (const button of $("tabs").querySelectorAll("button")) {
  button.addEventListener("click", action(() => showTab(button.dataset.tab)));
}
$("myday-form").addEventListener("submit", action(loadMyDay));
$("jobs-refresh").addEventListener("click", action(loadJobs));
$("selftest").addEventListener("click", action(async () => {
  await postJson("/jobs/selftest", { steps: 20, sleep_s: 0.1 });
  await loadJobs();
}));

$("roster-solve").addEventListener("submit", action(async (event) => {
  const f = formData(event.target);
  const job = await submitJob("/rosters", { branch_id: f.branch_id, start: f.start, days: Number(f.days),
    seconds: Number(f.seconds) }, $("roster-job"));
  if (job.result && job.result.roster_id) await openRoster(job.result.roster_id);
}));
$("reroster-form").addEventListener("submit", action(async (event) => {
  const f = formData(event.target);
  const rosterId = $("roster-load").elements.roster_id.value.trim();
  const job = await submitJob(`/rosters/${encodeURIComponent(rosterId)}/reroster`, {
    absences: [{ technician_id: f.technician_id.trim(), start: f.start, end: f.end, reason: f.reason || "leave" }],
    seconds: Number(f.seconds),
  }, $("roster-job"));
  if (job.result && job.result.roster_id) {
    await openRoster(job.result.roster_id);
    const changes = job.result.changes || [];
    const start = $("roster-grid").dataset.start;
    for (const c of changes) {  // outline the changed cells in the grid
      const row = $("roster-grid").querySelector(`tr[data-technician="${CSS.escape(c.employee)}"]`);
      if (row) row.querySelectorAll("td.cell")[c.day]?.classList.add("changed");
    }
    const rest = t("roster.rest");
    $("reroster-changes").textContent = t("roster.new_draft", { version: job.result.version,
      status: tCode(ROSTER_STATUS_KEYS, job.result.status), count: changes.length }) +
      (changes.length ? ": " + changes.map((c) =>
        `${c.employee} ${addDays(start, c.day).slice(5)} ${c.before || rest} → ${c.after || rest}`).join("; ") : "");
  }
}));
$("roster-load").addEventListener("submit", action((event) => openRoster(formData(event.target).roster_id.trim())));

$("board-form").addEventListener("submit", action((event) => {
  const f = formData(event.target);
  return loadBoard(f.branch_id, f.day);
}));
$("board-plan").addEventListener("click", action(async () => {
  const f = formData($("board-form"));
  await submitJob(`/dispatch/plans/${encodeURIComponent(f.branch_id)}/${f.day}`, { seconds: Number(f.seconds) || 6 },
    $("board-job"));
  await loadBoard(f.branch_id, f.day);
}));

$("payroll-run").addEventListener("submit", action(async (event) => {
  await submitJob("/payroll/runs", { month: formData(event.target).month.trim() }, $("payroll-job"));
  await loadRuns();
}));
$("payslip-form").addEventListener("submit", action(async (event) => {
  const runId = event.target.dataset.runId;
  const techId = formData(event.target).technician_id;
  renderPayslip($("payslip-hr"),
    await getJson(`/payroll/runs/${encodeURIComponent(runId)}/payslips/${encodeURIComponent(techId)}`));
}));

$("erlang-form").addEventListener("submit", action(async (event) => {
  $("erlang-out").replaceChildren();  // never leave an old answer next to a new error
  const body = Object.fromEntries(Object.entries(formData(event.target)).map(([k, v]) => [k, Number(v)]));
  const r = (await postJson("/timepool/size/erlang-c", body)).body;
  $("erlang-out").replaceChildren(el("p", { class: "result" },
    el("strong", {}, t("plan.erlang_heads", { positions: r.positions })), " ", t("plan.erlang_detail", {
      raw: r.raw_agents, load: r.load_erlangs.toFixed(2), level: (100 * r.service_level).toFixed(1),
      occupancy: (100 * r.occupancy).toFixed(1), wait: (100 * r.wait_probability).toFixed(1),
      mean: r.average_wait_minutes.toFixed(1) })));
}));
$("quota-form").addEventListener("submit", action(async (event) => {
  const f = formData(event.target);
  renderQuotas((await postJson("/timepool/quotas", { branch_id: f.branch_id, start: f.start, days: Number(f.days) })).body);
}));
$("whatif-form").addEventListener("submit", action(async (event) => {
  const f = formData(event.target);
  const scenario = { name: f.name };
  if (f.rest_days_per_week) scenario.rest_days_per_week = Number(f.rest_days_per_week);
  if (f.factor && Number(f.factor) !== 1) {
    scenario.uplifts = [{ name: f.name, start: f.start, end: addDays(f.start, Number(f.days) - 1), factor: Number(f.factor) }];
  }
  const r = (await postJson("/timepool/whatif", { branch_id: f.branch_id, start: f.start, days: Number(f.days), scenario })).body;
  $("whatif-out").replaceChildren(rowsTable(r.rows));
}));

// Start: the catalog first, then a key of this tab, or an open session cookie.
(async () => {
  await setLanguage(localStorage.getItem("fieldcrew-lang") || "zh-CN");
  if (state.key) {
    await loginWithKey(state.key);
    return;
  }
  try {
    await enter(await getJson("/users/me"));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) showError(error);
  }
})();
