// fieldcrew console: sign in with an API key, list jobs and technicians. No framework, no innerHTML.
"use strict";

const state = { key: sessionStorage.getItem("fieldcrew-key") || "", user: null, timer: null };
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "X-API-Key": state.key, "Content-Type": "application/json", ...(options.headers || {}) },
  });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && (body.detail || body.title) ? `${body.title}: ${body.detail}` : response.statusText;
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return body;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function renderJobs(jobs) {
  const tbody = $("jobs").querySelector("tbody");
  tbody.replaceChildren();
  for (const job of jobs) {
    const tr = document.createElement("tr");
    const link = document.createElement("a");
    link.href = job.location;
    link.textContent = job.id.slice(0, 8);
    const first = cell(tr, "");
    first.appendChild(link);
    cell(tr, job.kind);
    cell(tr, job.owner);
    cell(tr, job.status, `status-${job.status}`);
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = job.progress;
    cell(tr, "").appendChild(bar);
    cell(tr, job.error || job.message);
    const actions = cell(tr, "");
    if ((job.status === "queued" || job.status === "running") && !job.cancel_requested &&
        (state.user.role === "admin" || job.owner === state.user.username)) {
      const cancel = document.createElement("button");
      cancel.type = "button";
      cancel.textContent = "Cancel";
      cancel.addEventListener("click", () => api(job.location, { method: "DELETE" }).then(refresh, showError));
      actions.appendChild(cancel);
    }
    tbody.appendChild(tr);
  }
  if (!jobs.length) {
    const tr = document.createElement("tr");
    cell(tr, "no jobs yet").colSpan = 7;
    tbody.appendChild(tr);
  }
}

function renderTechnicians(technicians, total) {
  const tbody = $("technicians").querySelector("tbody");
  tbody.replaceChildren();
  for (const t of technicians) {
    const tr = document.createElement("tr");
    for (const value of [t.id, t.name, t.region_group_id || "support team", t.home_area_id, t.post_grade,
                         t.employment, (t.skills || []).join(", ")]) {
      cell(tr, value);
    }
    tbody.appendChild(tr);
  }
  $("tech-count").textContent = `(${technicians.length} of ${total})`;
}

function showError(error) {
  if (error.status === 401) return logout("Your key is no longer valid.");
  $("app-error").textContent = error.message;
}

async function refresh() {
  $("app-error").textContent = "";
  try {
    renderJobs(await api("/jobs?limit=50"));
    // every role may list technicians (a technician sees only their own record)
    const response = await fetch("/technicians?limit=1000", { headers: { "X-API-Key": state.key } });
    if (!response.ok) throw Object.assign(new Error(`technicians: ${response.statusText}`), { status: response.status });
    renderTechnicians(await response.json(), response.headers.get("X-Total-Count") || "?");
  } catch (error) {
    showError(error);
  }
}

async function login(key) {
  state.key = key;
  try {
    state.user = await api("/users/me");
  } catch (error) {
    state.key = "";
    $("login-error").textContent = error.status === 401 ? "That key is not valid." : error.message;
    return;
  }
  sessionStorage.setItem("fieldcrew-key", key);
  $("who").textContent = `${state.user.username} (${state.user.role})`;
  $("login").hidden = true;
  $("app").hidden = false;
  $("selftest").hidden = state.user.role !== "admin";
  await refresh();
  state.timer = setInterval(refresh, 3000);
}

function logout(message) {
  sessionStorage.removeItem("fieldcrew-key");
  clearInterval(state.timer);
  Object.assign(state, { key: "", user: null, timer: null });
  $("who").textContent = "";
  $("app").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  login($("key").value.trim());
});
$("refresh").addEventListener("click", refresh);
$("logout").addEventListener("click", () => logout());
$("selftest").addEventListener("click", () =>
  api("/jobs/selftest", { method: "POST", body: JSON.stringify({ steps: 50, sleep_s: 0.1 }) }).then(refresh, showError));

if (state.key) login(state.key);
