// fieldcrew console: plain JS, no framework, no build step, never innerHTML with data.
// Sign in with an API key (kept in sessionStorage); what is shown depends on the caller's role.
"use strict";

const state = {
  key: sessionStorage.getItem("fieldcrew-key") || "", user: null, technicians: null, tab: null, timer: null,
};
const $ = (id) => document.getElementById(id);
const TABS = {
  dispatcher: ["roster", "dispatch", "jobs"],
  hr: ["payroll", "jobs"],
  planner: ["planning", "dispatch", "jobs"],
  technician: ["roster", "dispatch", "mypay", "jobs"],
  admin: ["roster", "dispatch", "payroll", "planning", "jobs"],
};
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

// ---- API and errors ---------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem, fallback) {
    super((problem && (problem.detail || problem.title)) || fallback);
    this.status = status;
    this.problem = problem || { title: fallback, detail: "" };
  }
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "X-API-Key": state.key, "Content-Type": "application/json", ...(options.headers || {}) },
  });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body, `${response.status} ${response.statusText}`);
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
}

// Shows an API problem (title, detail and each field error) or any other error to the user.
function showError(error) {
  if (error instanceof ApiError && error.status === 401 && state.user) {
    logout("Your key is no longer valid.");
    return;
  }
  const box = $("error");
  box.replaceChildren();
  const problem = error instanceof ApiError ? error.problem : { title: "Error", detail: error.message };
  box.append(el("strong", {}, problem.title || "Error"), " ", el("span", { class: "detail" }, problem.detail || ""));
  if (Array.isArray(problem.errors) && problem.errors.length) {
    box.append(el("ul", {}, problem.errors.map((e) => el("li", {},
      el("code", {}, e.field ?? ""), ": ", e.rule ?? "",
      e.value !== undefined && e.value !== null ? ` (value: ${JSON.stringify(e.value)})` : "",
      e.row !== undefined && e.row !== null ? ` [row ${e.row}]` : ""))));
  }
  box.hidden = false;
}

// Runs an async action from a form/button: clears the error, disables the control, shows failures.
function action(fn) {
  return async (event) => {
    if (event) event.preventDefault();
    const control = event && (event.submitter || event.currentTarget);
    clearError();
    if (control && "disabled" in control) control.disabled = true;
    try {
      await fn(event);
    } catch (error) {
      showError(error);
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
  const text = el("span", {}, "queued");
  line.replaceChildren(bar, " ", text);
  for (;;) {
    const job = await getJson(location);
    bar.value = job.progress;
    text.textContent = `${job.kind}: ${job.status} — ${job.error || job.message || ""}`;
    line.dataset.status = job.status;
    if (["succeeded", "failed", "cancelled"].includes(job.status)) {
      if (job.status === "failed") throw new ApiError(500, { title: "Job failed", detail: job.error || "" }, "");
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
        "Open roster"));
    }
    if ((job.status === "queued" || job.status === "running") && !job.cancel_requested &&
        (state.user.role === "admin" || job.owner === state.user.username)) {
      actions.append(el("button", { type: "button",
        onclick: action(async () => { await api(job.location, { method: "DELETE" }); await loadJobs(); }) }, "Cancel"));
    }
    tbody.append(el("tr", {},
      el("td", {}, el("code", {}, job.id.slice(0, 8))), el("td", {}, job.kind), el("td", {}, job.owner),
      el("td", { class: `status-${job.status}` }, job.status),
      el("td", {}, el("progress", { max: 1, value: job.progress })),
      el("td", {}, job.error || job.message), actions));
  }
  if (!jobs.length) tbody.append(el("tr", {}, el("td", { colspan: 7, class: "muted" }, "no jobs yet")));
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
    state.technicians = new Map(all.map((t) => [t.id, t]));
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
  $("roster-meta").textContent = `Branch ${roster.branch_id}, ${dates[0]} … ${dates[dates.length - 1]}, ` +
    `version ${roster.version}, ${roster.status}${roster.published_at ? ` (published ${roster.published_at})` : ""}, ` +
    `solver ${roster.solver_status || "?"}, objective ${roster.objective ?? "–"} (bound ${roster.bound ?? "–"})`;
  if (!Object.keys(roster.assignment || {}).length) {
    $("roster-meta").append(el("strong", { class: "error" }, roster.solver_status === "FEASIBLE" ||
      roster.solver_status === "OPTIMAL" ? " — no row of yours in this roster"
      : " — the solver found no roster in its time: solve again with more seconds"));
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
    const group = (techs.get(techId) || {}).region_group_id || "support team";
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push([techId, days || []]);
  }
  const table = $("roster-grid");
  table.replaceChildren();
  table.dataset.start = start;
  table.append(el("thead", {}, el("tr", {}, el("th", {}, "Technician"),
    dates.map((d) => {
      const wd = new Date(`${d}T00:00:00Z`).getUTCDay();
      return el("th", { class: wd === 0 || wd === 6 ? "weekend" : null }, `${WEEKDAYS[wd]} ${d.slice(5)}`);
    }), el("th", {}, "Days on"))));
  const tbody = el("tbody");
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
        row.append(el("td", { class: shift ? "cell on" : "cell rest" }, shift || "rest"));
      });
      row.append(el("td", { class: "num" }, on));
      tbody.append(row);
    }
    const quota = roster.quotas ? roster.quotas[group] : null;
    tbody.append(el("tr", { class: "coverage", "data-group": group }, el("th", {}, quota ? "at work / quota" : "at work"),
      dates.map((d, i) => {
        const cost = under.get(`${group}|${i}`) || 0;
        const need = quota ? quota[d] : undefined;
        const short = cost > 0 || (need !== undefined && atWork[i] < need);
        const text = need !== undefined ? `${atWork[i]}/${need}` : String(atWork[i]);
        return el("td", { class: short ? "cell short" : "cell", title: cost ? `under quota: penalty ${cost}` : null },
          text);
      }), el("td")));
  }
  table.append(tbody);
  $("roster-view").hidden = false;
}

// ---- dispatch board -----------------------------------------------------------------------------

const hhmm = (iso) => (iso ? iso.slice(11, 16) : "");

async function loadBoard(branchId, day) {
  const query = state.user.role === "technician" ? `?technician_id=${encodeURIComponent(state.user.technician_id)}` : "";
  const plan = await getJson(`/dispatch/plans/${encodeURIComponent(branchId)}/${day}/board${query}`);
  const techs = await technicians();
  const view = $("board-view");
  view.replaceChildren(el("p", {}, `Plan version ${plan.version ?? "?"} of ${plan.branch_id} on ${plan.day}: ` +
    `${plan.routes.length} technician(s), ${plan.unassigned.length} unassigned, ${plan.warnings.length} warning(s)`));
  if (plan.intake) {  // a day planned from the order table: who is on duty by which authority
    view.append(el("p", { class: plan.intake.source === "override" ? "intake override" : "intake muted" },
      `${plan.intake.note}; ${plan.intake.taken_min} of ${plan.intake.capacity_min} on-site minutes taken, ` +
      `${plan.intake.deferred.length} backlog order(s) left for later`));
  }
  const idle = [];
  for (const route of plan.routes) {
    const tech = techs.get(route.technician_id);
    const label = `${route.technician_id}${tech ? ` ${tech.name}` : ""}`;
    if (!route.stops.length) { idle.push(label); continue; }
    view.append(el("h3", {}, `${label} — ${route.stops.length} stop(s)`));
    view.append(el("table", { class: "board" }, el("thead", {}, el("tr", {}, ["Order", "ETA", "Work", "Travel min",
      "Deadline", "Late min", "Status"].map((h) => el("th", {}, h)))),
    el("tbody", {}, route.stops.map((s) => el("tr", { class: s.late_min > 0 ? "late" : null },
      el("td", {}, s.order_id), el("td", {}, hhmm(s.arrival)), el("td", {}, `${hhmm(s.start)}–${hhmm(s.end)}`),
      el("td", { class: "num" }, s.travel_min), el("td", {}, s.deadline.replace("T", " ").slice(0, 16)),
      el("td", { class: "num" }, s.late_min), el("td", {}, s.status + (s.locked ? " 🔒" : "")))))));
  }
  if (idle.length) view.append(el("p", { class: "idle muted" }, `No stops (${idle.length}): ${idle.join(", ")}`));
  if (plan.warnings.length) {
    view.append(el("h3", {}, "Warnings"), el("ul", { class: "warnings" },
      plan.warnings.map((w) => el("li", {}, `${w.kind}: ${w.order_id} ${w.technician_id || ""} — ${w.message}`))));
  }
  if (plan.unassigned.length) {
    view.append(el("h3", {}, "Unassigned"), el("ul", {},
      plan.unassigned.map((u) => el("li", {}, `${u.order_id}: ${u.reason} (${u.rule})`))));
  }
  if (plan.intake && plan.intake.deferred.length) {
    view.append(el("h3", {}, "Left for later"), el("ul", { class: "deferred" },
      plan.intake.deferred.map((d) => el("li", {}, `${d.order_id} (${d.customer_grade}, due ` +
        `${d.deadline.replace("T", " ").slice(0, 16)}${d.overdue ? ", overdue" : ""}): ${d.reason}`))));
  }
}

// ---- payroll ------------------------------------------------------------------------------------

async function loadRuns() {
  const runs = await getJson("/payroll/runs");
  const tbody = $("runs").querySelector("tbody");
  tbody.replaceChildren();
  for (const run of runs) {
    tbody.append(el("tr", {}, el("td", {}, run.month), el("td", {}, run.version), el("td", {}, run.policy_version),
      el("td", { class: "num" }, run.technicians), el("td", { class: "num" }, run.total),
      el("td", {}, (run.created_at || "").replace("T", " ").slice(0, 16)),
      el("td", {}, el("button", { type: "button", onclick: action(() => chooseRun(run)) }, "Payslips"))));
  }
  if (!runs.length) tbody.append(el("tr", {}, el("td", { colspan: 7, class: "muted" }, "no payroll runs yet")));
}

async function chooseRun(run) {
  const form = $("payslip-form");
  form.dataset.runId = run.id;
  $("payslip-run").textContent = `Run ${run.month} v${run.version}:`;
  const techs = [...(await technicians()).values()].sort((a, b) => a.id.localeCompare(b.id));
  $("payslip-tech").replaceChildren(...techs.map((t) => el("option", { value: t.id }, `${t.id} ${t.name}`)));
  form.hidden = false;
}

function renderPayslip(box, slip) {
  const s = slip.summary || {};
  box.replaceChildren(
    el("h3", {}, `Payslip ${slip.technician_id}, ${slip.month} (policy ${slip.policy_version}): ${slip.total} CNY`),
    el("p", { class: "muted" }, `grade ${s.grade ?? "–"} × ${s.grade_multiplier ?? "–"}, post ${s.post_grade ?? "–"}, ` +
      `${s.orders ?? "–"} orders, ${s.done_minutes ?? "–"} min done (base ${s.base_minutes ?? "–"}), ` +
      `${s.paid_work_days ?? "–"} paid days`),
    el("table", { class: "payslip-lines" },
      el("thead", {}, el("tr", {}, ["Line", "Quantity", "Rate", "Coefficient", "Multiplier", "Amount (CNY)"]
        .map((h, i) => el("th", { class: i ? "num" : null }, h)))),
      el("tbody", {}, (slip.lines || []).map((line) => el("tr", { title: line.rule },
        el("td", {}, line.label), el("td", { class: "num" }, line.quantity), el("td", { class: "num" }, line.rate),
        el("td", { class: "num" }, line.coefficient), el("td", { class: "num" }, line.multiplier),
        el("td", { class: "num" }, line.amount)))),
      el("tfoot", {}, el("tr", {}, el("th", { colspan: 5 }, "Total"), el("th", { class: "num" }, slip.total)))));
}

async function loadMyPayslips() {
  const tid = encodeURIComponent(state.user.technician_id || "");
  const slips = await getJson(`/payroll/technicians/${tid}/payslips`);
  const tbody = $("mypayslips").querySelector("tbody");
  tbody.replaceChildren();
  for (const slip of slips) {
    tbody.append(el("tr", {}, el("td", {}, slip.month), el("td", {}, slip.version),
      el("td", { class: "num" }, slip.total), el("td", {}, el("button", { type: "button",
        onclick: action(async () => renderPayslip($("payslip-mine"),
          await getJson(`/payroll/runs/${encodeURIComponent(slip.run_id)}/payslips/${tid}`))) }, "Show"))));
  }
  if (!slips.length) tbody.append(el("tr", {}, el("td", { colspan: 4, class: "muted" }, "no payslips yet")));
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
  const table = el("table", { class: "grid" }, el("thead", {}, el("tr", {}, el("th", {}, "Group (heads)"),
    days.map((d) => el("th", {}, d.slice(5))))),
  el("tbody", {}, [...groups.keys()].sort().map((g) => el("tr", {}, el("th", {}, g),
    days.map((d) => { const r = groups.get(g)[d]; return el("td", { class: "num", title: r ? `${r.orders} orders, ${r.pool_min} min` : null }, r ? r.heads : ""); })))));
  $("quota-out").replaceChildren(table, ...data.notes.map((n) => el("p", { class: "muted" }, n)));
}

// ---- navigation, sign-in ------------------------------------------------------------------------

const loaders = {
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

async function login(key) {
  state.key = key;
  try {
    state.user = await getJson("/users/me");
  } catch (error) {
    state.key = "";
    $("login-error").textContent = error.status === 401 ? "That key is not valid." : error.message;
    return;
  }
  sessionStorage.setItem("fieldcrew-key", key);
  clearInterval(state.timer);
  state.timer = setInterval(() => {  // the jobs table follows running jobs while it is shown
    if (state.tab === "jobs" && !document.hidden && $("error").hidden) loadJobs().catch(showError);
  }, 3000);
  const role = state.user.role;
  $("who").textContent = `${state.user.username} (${role}${state.user.technician_id ? ` ${state.user.technician_id}` : ""})`;
  document.body.dataset.role = role;
  $("login").hidden = true;
  $("tabs").hidden = false;
  $("logout").hidden = false;
  const allowed = TABS[role] || ["jobs"];
  for (const button of $("tabs").querySelectorAll("button")) button.hidden = !allowed.includes(button.dataset.tab);
  for (const node of document.querySelectorAll(".dispatcher-only")) node.hidden = !["dispatcher", "admin"].includes(role);
  $("selftest").hidden = role !== "admin";
  const today = new Date().toISOString().slice(0, 10);
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

function logout(message) {
  delete document.body.dataset.ready;
  sessionStorage.removeItem("fieldcrew-key");
  clearInterval(state.timer);
  Object.assign(state, { key: "", user: null, technicians: null, tab: null, timer: null });
  $("who").textContent = "";
  for (const section of document.querySelectorAll("section.tab")) section.hidden = true;
  $("tabs").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  clearError();
}

// ---- wiring -------------------------------------------------------------------------------------

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  login($("key").value.trim());
});
$("logout").addEventListener("click", () => logout());
for (const button of $("tabs").querySelectorAll("button")) {
  button.addEventListener("click", action(() => showTab(button.dataset.tab)));
}
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
    $("reroster-changes").textContent = `New draft version ${job.result.version} (${job.result.status}): ` +
      `${changes.length} cell(s) changed` + (changes.length ? ": " + changes.map((c) =>
        `${c.employee} ${addDays(start, c.day).slice(5)} ${c.before || "rest"} → ${c.after || "rest"}`).join("; ") : "");
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
    el("strong", {}, `${r.positions} technicians`), ` (raw ${r.raw_agents}; load ${r.load_erlangs.toFixed(2)} Erlang): ` +
    `service level ${(100 * r.service_level).toFixed(1)} %, occupancy ${(100 * r.occupancy).toFixed(1)} %, ` +
    `P(wait) ${(100 * r.wait_probability).toFixed(1)} %, mean wait ${r.average_wait_minutes.toFixed(1)} min`));
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

if (state.key) login(state.key);
