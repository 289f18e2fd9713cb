/// The dashboard's one script (`/assets/dashboard.js`). Pages hold no data: the script reads the JSON endpoints and
/// builds the DOM from text nodes (never `innerHTML`), so a run name or prompt is always shown as text. It polls
/// every two seconds and redraws, so curves gain points without a reload.
enum DashboardScript {
    static let source = #"""
"use strict";
const POLL_MS = 2000;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22"];
const SVGNS = "http://www.w3.org/2000/svg";

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return e;
}
function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, v);
  for (const c of children.flat()) if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  return e;
}
function fmt(x, digits) { return x === null || x === undefined ? "–" : Number(x).toFixed(digits === undefined ? 3 : digits); }
function duration(s) {
  if (s === null || s === undefined) return "–";
  s = Math.max(0, Math.round(s));
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}
function accuracy(e) { return e ? fmt(e.strict) + (e.se !== null && e.se !== undefined ? " ± " + fmt(e.se) : "") : "–"; }
function runLink(name) { return el("a", { href: "/runs/" + encodeURIComponent(name) }, name); }
function replace(id, node) { const old = document.getElementById(id); node.id = id; old.replaceWith(node); }
function status(text, bad) { const s = document.getElementById("status"); s.textContent = text; s.className = bad ? "bad" : ""; }

// Polls `url` and redraws only when its answer changed (images and scroll positions stay put between changes).
function poll(url, render) {
  let last = null;
  async function tick() {
    try {
      const r = await fetch(url, { cache: "no-cache" });
      const text = await r.text();
      if (!r.ok) throw new Error(url + ": HTTP " + r.status + " " + text);
      if (text !== last) { render(JSON.parse(text)); last = text; }
      status("updated " + new Date().toLocaleTimeString());
    } catch (e) { status(String(e.message || e), true); }
    setTimeout(tick, POLL_MS);
  }
  tick();
}

// A sparkline of the last rollout reward means.
function sparkline(values) {
  const w = 120, h = 24;
  const s = svg("svg", { width: w, height: h, viewBox: `0 0 ${w} ${h}`, class: "spark", "data-points": values.length });
  if (values.length < 2) return s;
  const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
  const pts = values.map((v, i) => `${(i / (values.length - 1) * (w - 2) + 1).toFixed(1)},${(h - 1 - (v - lo) / span * (h - 2)).toFixed(1)}`);
  s.appendChild(svg("polyline", { points: pts.join(" "), fill: "none", stroke: COLORS[0], "stroke-width": 1.5 }));
  return s;
}

// A line chart: series [{name, points: [[x, y]], band: [[x, lo, hi]], errors: [[x, y, se]]}], y range fixed by opts.
function chart(title, series, opts) {
  opts = opts || {};
  const W = 460, H = 220, L = 48, R = 10, T = 22, B = 28;
  const all = series.flatMap(s => (s.points || []).concat((s.band || []).flatMap(b => [[b[0], b[1]], [b[0], b[2]]]))
                                                 .concat((s.errors || []).flatMap(e => [[e[0], e[1] - e[2]], [e[0], e[1] + e[2]]])));
  const count = series.reduce((n, s) => n + (s.points || []).length, 0);
  const box = el("div", { class: "chart" });
  const g = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, "data-points": count, "data-title": title });
  g.appendChild(svg("text", { x: L, y: 14, class: "title" }, title));
  box.appendChild(g);
  if (all.length === 0) { g.appendChild(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, "no data yet")); return box; }
  let x0 = Math.min(...all.map(p => p[0])), x1 = Math.max(...all.map(p => p[0]));
  let y0 = opts.y0 !== undefined ? opts.y0 : Math.min(...all.map(p => p[1]));
  let y1 = opts.y1 !== undefined ? opts.y1 : Math.max(...all.map(p => p[1]));
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { y0 -= Math.abs(y0) * 0.1 + 1e-3; y1 += Math.abs(y1) * 0.1 + 1e-3; }
  const X = x => L + (x - x0) / (x1 - x0) * (W - L - R), Y = y => H - B - (y - y0) / (y1 - y0) * (H - T - B);
  g.appendChild(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }));
  g.appendChild(svg("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
  for (const v of [y0, (y0 + y1) / 2, y1]) {
    g.appendChild(svg("text", { x: L - 4, y: Y(v) + 4, "text-anchor": "end", class: "tick" }, Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : fmt(v, 3)));
  }
  for (const v of [x0, x1]) g.appendChild(svg("text", { x: X(v), y: H - B + 16, "text-anchor": "middle", class: "tick" }, String(Math.round(v))));
  g.appendChild(svg("text", { x: W - R, y: H - 4, "text-anchor": "end", class: "tick" }, "step"));
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    if (s.band && s.band.length > 1) {
      const up = s.band.map(b => `${X(b[0]).toFixed(1)},${Y(b[2]).toFixed(1)}`), down = s.band.slice().reverse().map(b => `${X(b[0]).toFixed(1)},${Y(b[1]).toFixed(1)}`);
      g.appendChild(svg("polygon", { points: up.concat(down).join(" "), fill: color, opacity: 0.15 }));
    }
    for (const e of s.errors || []) {
      g.appendChild(svg("line", { x1: X(e[0]), x2: X(e[0]), y1: Y(e[1] - e[2]), y2: Y(e[1] + e[2]), stroke: color, "stroke-width": 1 }));
    }
    const pts = (s.points || []).map(p => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`);
    if (pts.length > 1) g.appendChild(svg("polyline", { points: pts.join(" "), fill: "none", stroke: color, "stroke-width": 1.5 }));
    for (const p of s.points || []) {
      g.appendChild(svg("circle", { cx: X(p[0]), cy: Y(p[1]), r: 2, fill: color }, svg("title", {}, `${s.name} step ${p[0]}: ${fmt(p[1], 4)}`)));
    }
  });
  const legend = el("div", { class: "legend" });
  series.forEach((s, i) => legend.appendChild(el("span", { class: "key" }, el("i", { style: null, class: "swatch c" + (i % COLORS.length) }), s.name)));
  box.appendChild(legend);
  return box;
}

function table(headers, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, headers.map(h => el("th", {}, h)))),
            el("tbody", {}, rows.map(r => el("tr", {}, r.map(c => el("td", {}, c))))));
}

// ---- Runs page ----
function renderRuns(data) {
  const head = ["run", "state", "step", "ETA", "reward", "eval strict", "reward curve", "running", "notes"];
  const line = r => [runLink(r.name), el("span", { class: "state " + r.state }, r.state), `${r.step}/${r.steps}`,
                     r.etaSeconds === null || r.etaSeconds === undefined ? "–" : duration(r.etaSeconds),
                     r.reward ? `${fmt(r.reward.value)} @${r.reward.step}` : "–",
                     r.eval ? `${accuracy(r.eval)} @${r.eval.step}` : "–", sparkline(r.sparkline),
                     r.running.join(", "), [r.sweep ? `point ${r.point} seed ${r.seed}: ${r.overrides}` : "", r.reason || "", ...r.notices].filter(x => x).join(" · ")];
  const box = el("div", {});
  const loose = data.runs.filter(r => !r.sweep);
  if (data.sweeps.length) box.appendChild(el("h2", {}, "Runs outside sweeps"));
  box.appendChild(loose.length ? table(head, loose.map(line)) : el("p", { class: "empty" }, data.sweeps.length ? "none" : "no runs yet: submit one with flowcps run submit FILE"));
  for (const sweep of data.sweeps) {
    box.appendChild(el("h2", {}, "Sweep ", sweep));
    box.appendChild(table(head, data.runs.filter(r => r.sweep === sweep).map(line)));
  }
  replace("content", box);
}

// ---- Run page ----
let lastGrid = null;
function renderRun(d) {
  const r = d.run;
  const box = el("div", {});
  box.appendChild(el("p", { class: "summary" }, el("span", { class: "state " + r.state }, r.state), ` step ${r.step}/${r.steps}`,
    r.etaSeconds !== null && r.etaSeconds !== undefined ? ` · ETA ${duration(r.etaSeconds)}` : "",
    r.secondsPerStep ? ` · ${fmt(r.secondsPerStep, 1)} s/step` : "",
    r.reason ? ` · ${r.reason}` : "", r.running.length ? ` · running: ${r.running.join(", ")}` : "",
    r.sweep ? ` · sweep ${r.sweep} point ${r.point} seed ${r.seed}` : ""));
  for (const n of r.notices) box.appendChild(el("p", { class: "notice" }, n));
  if (document.body.dataset.actions === "on") box.appendChild(actions(r));
  const charts = el("div", { class: "charts" });
  charts.appendChild(chart("training reward (mean, p10–p90)", [{ name: "reward", points: d.reward.map(p => [p.step, p.mean]),
    band: d.reward.map(p => [p.step, p.p10, p.p90]) }]));
  const cats = Object.keys(d.eval).sort((a, b) => (a === "overall") - (b === "overall") || a.localeCompare(b));
  charts.appendChild(chart("eval strict accuracy (± standard error)", cats.map(c => ({ name: c,
    points: d.eval[c].map(p => [p.step, p.strict]), errors: d.eval[c].filter(p => p.se !== null && p.se !== undefined).map(p => [p.step, p.strict, p.se]) })), { y0: 0, y1: 1 }));
  charts.appendChild(chart("KL", ["kl", "approx_kl"].filter(k => d.train[k]).map(k => ({ name: k, points: d.train[k].map(p => [p.step, p.value]) }))));
  charts.appendChild(chart("clip fraction", d.train.clip_fraction ? [{ name: "clip_fraction", points: d.train.clip_fraction.map(p => [p.step, p.value]) }] : []));
  charts.appendChild(chart("seconds per step by stage", Object.keys(d.stageSeconds).sort().map(k => ({ name: k, points: d.stageSeconds[k].map(p => [p.step, p.value]) }))
    .concat(d.stepSeconds.length ? [{ name: "step (wall)", points: d.stepSeconds.map(p => [p.step, p.value]) }] : []), { y0: 0 }));
  box.appendChild(charts);
  box.appendChild(el("h2", {}, "Before and after"));
  box.appendChild(d.beforeAfter.length ? table(["category", "first eval", "latest eval", "change"], d.beforeAfter.map(b =>
    [b.category, `${accuracy(b.before)} @${b.before.step}`, `${accuracy(b.after)} @${b.after.step}`, (b.change >= 0 ? "+" : "") + fmt(b.change)]))
    : el("p", { class: "empty" }, "after the second evaluation"));
  box.appendChild(el("h2", {}, "Latest eval grid"));
  if (d.evalGrid) {
    lastGrid = d.evalGrid;
    box.appendChild(el("img", { src: d.evalGrid, alt: "eval grid", class: "grid" }));
  } else box.appendChild(el("p", { class: "empty" }, "no evaluation yet"));
  box.appendChild(el("h2", {}, d.sampleStep !== null && d.sampleStep !== undefined ? `Latest rollout (step ${d.sampleStep})` : "Latest rollout"));
  const samples = el("div", { class: "samples" });
  for (const s of d.samples) samples.appendChild(el("figure", {}, el("img", { src: s.png, alt: s.prompt, width: 96, height: 96 }),
    el("figcaption", {}, s.prompt, el("br", {}), `reward ${fmt(s.reward)} · adv ${fmt(s.advantage, 2)}`)));
  box.appendChild(d.samples.length ? samples : el("p", { class: "empty" }, "no scored rollout yet"));
  box.appendChild(el("h2", {}, "Jobs"));
  box.appendChild(table(["stage", "pending", "available", "running", "completed", "failed", "cancelled"],
    d.jobs.map(j => [j.stage, j.pending, j.available, j.running, j.completed, j.failed, j.cancelled])));
  box.appendChild(el("h2", {}, "Run file"));
  box.appendChild(el("pre", { class: "config" }, d.config));
  replace("content", box);
}

function actions(r) {
  const bar = el("div", { class: "actions" });
  const token = el("input", { type: "password", placeholder: "action token", value: sessionStorage.getItem("flowcps-token") || "" });
  bar.appendChild(token);
  for (const a of ["pause", "resume", "cancel"]) {
    bar.appendChild(el("button", { onclick: async () => {
      sessionStorage.setItem("flowcps-token", token.value);
      if (a === "cancel" && !confirm(`Cancel run ${r.name} for good?`)) return;
      const res = await fetch(`/api/runs/${encodeURIComponent(r.name)}/${a}`, { method: "POST", headers: { Authorization: "Bearer " + token.value } });
      status(`${a}: ` + (await res.text()), !res.ok);
    } }, a));
  }
  return bar;
}

// ---- Queue page ----
function renderQueue(q) {
  const box = el("div", {});
  box.appendChild(el("h2", {}, "Claimable jobs"));
  box.appendChild(q.claimable.length ? table(["stage", "priority", "ready", "in backoff", "oldest ready"],
    q.claimable.map(c => [c.stage, c.priority, c.ready, c.backoff, duration(c.oldestReadySeconds)])) : el("p", { class: "empty" }, "none"));
  box.appendChild(el("h2", {}, "Running jobs"));
  box.appendChild(q.running.length ? table(["job", "run", "stage", "step", "shard", "attempt", "worker", "running", "heartbeat age", "lease left"],
    q.running.map(j => [String(j.id), runLink(j.run), j.stage, j.step, j.shard, j.attempt, j.worker, duration(j.runningSeconds),
                        fmt(j.heartbeatAgeSeconds, 1) + " s", fmt(j.leaseLeftSeconds, 1) + " s"])) : el("p", { class: "empty" }, "none"));
  box.appendChild(el("h2", {}, "External rewards"));
  box.appendChild(q.externalRewards.length ? table(["run", "reward", "waiting", "running", "completed", "oldest wait", "notice"],
    q.externalRewards.map(w => [runLink(w.run), w.reward, w.waiting, w.running, w.completed, duration(w.oldestWaitSeconds), w.notice || ""]))
    : el("p", { class: "empty" }, "no external rewards"));
  box.appendChild(el("h2", {}, "Schedules"));
  box.appendChild(q.schedules.length ? table(["schedule", "cron", "next due", "in", "last run", "missed", "last error"],
    q.schedules.map(s => [s.name, s.cron, s.nextDue || "–", s.secondsUntilDue === null || s.secondsUntilDue === undefined ? "–" : (s.secondsUntilDue < 0 ? "overdue " : "") + duration(Math.abs(s.secondsUntilDue)),
                          s.lastRun || "–", s.missed, s.lastError || ""])) : el("p", { class: "empty" }, "no schedules"));
  box.appendChild(el("h2", {}, "Recent failed attempts"));
  box.appendChild(q.failures.length ? table(["job", "run", "stage", "step", "shard", "attempt", "job state", "worker", "when", "error"],
    q.failures.map(f => [String(f.id), runLink(f.run), f.stage, f.step, f.shard, `${f.attempt}/${f.maxAttempts}`, f.state, f.worker || "",
                         duration(f.ageSeconds) + " ago", el("code", {}, f.error)])) : el("p", { class: "empty" }, "none"));
  replace("content", box);
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page === "runs") poll("/api/runs", renderRuns);
  else if (page === "run") poll("/api/runs/" + encodeURIComponent(document.body.dataset.run), renderRun);
  else if (page === "queue") poll("/api/queue", renderQueue);
});
"""#
}
