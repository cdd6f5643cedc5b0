/**
 * The console's page: plain HTML, CSS and JavaScript served from the package itself (no CDN, no
 * build step). Every value from the store reaches the page through `textContent`, never as markup,
 * and control and BiDi characters are shown as `\uXXXX` escapes.
 */

export const pageHtml = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rxnaming console</title>
<link rel="stylesheet" href="/console.css">
<script src="/console.js" defer></script>
</head>
<body>
<header>
  <h1>rxnaming console</h1>
  <span id="status" class="status">connecting</span>
  <span id="writes" class="writes" hidden>writes on: <input id="token" type="password" placeholder="token printed at start" autocomplete="off"></span>
  <span id="message" class="message" role="status"></span>
</header>
<main>
  <nav><h2>Apps</h2><ul id="apps"></ul></nav>
  <section>
    <h2 id="app-title">Select an app</h2>
    <table id="instances">
      <thead><tr>
        <th>hostname</th><th>zone</th><th>version</th><th>status</th><th>weight</th><th>addrs</th><th>metadata</th><th>lease TTL</th>
        <th>picks</th><th>errors</th><th>in flight</th><th>latency</th><th>ejected / health</th><th class="w">write</th>
      </tr></thead>
      <tbody></tbody>
    </table>
    <h2>History</h2>
    <ol id="history" reversed></ol>
  </section>
</main>
</body>
</html>
`;

export const pageCss = String.raw`
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#1b1f24;background:#f6f8fa}
header{display:flex;gap:1em;align-items:center;padding:.5em 1em;background:#24292f;color:#fff}
h1{font-size:1.1em;margin:0}
h2{font-size:1em;margin:.8em 0 .4em}
.status{padding:.1em .5em;border-radius:3px;background:#6e7781}
.status.live{background:#1a7f37}
.message{margin-left:auto;font-family:ui-monospace,monospace}
main{display:flex;gap:1em;padding:0 1em}
nav{min-width:14em;max-height:calc(100vh - 4em);overflow:auto}
nav ul{list-style:none;margin:0;padding:0}
nav li{display:flex;justify-content:space-between;gap:1em;padding:.2em .5em;cursor:pointer;border-radius:3px;font-family:ui-monospace,monospace}
nav li:hover{background:#eaeef2}
nav li.selected{background:#0969da;color:#fff}
section{flex:1;overflow:auto}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d0d7de;padding:.2em .4em;text-align:left;vertical-align:top;font-family:ui-monospace,monospace;font-size:13px;white-space:pre-wrap;overflow-wrap:anywhere}
th{background:#eaeef2;font-family:system-ui,sans-serif;white-space:nowrap}
tr.new{animation:flash 1.5s}
@keyframes flash{from{background:#dafbe1}to{background:#fff}}
td.ttl.low{color:#cf222e}
ol{font-family:ui-monospace,monospace;font-size:13px;padding-left:4em}
.added{color:#1a7f37}.removed{color:#cf222e}.updated{color:#9a6700}
body:not(.can-write) .w{display:none}
td.w input{width:4em}
`;

export const pageJs = String.raw`"use strict";
(function () {
  var apps = new Map();
  var uses = new Map();
  var leases = null;
  var leasesAt = 0;
  var selected = null;
  var ttlSource = null;

  function $(id) { return document.getElementById(id); }
  // Values come from the store: control and BiDi characters are made visible, never interpreted.
  function visible(value) {
    return String(value).replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, function (c) {
      return "\\u" + ("000" + c.charCodeAt(0).toString(16)).slice(-4);
    });
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = visible(text);
    if (cls) e.className = cls;
    return e;
  }
  function say(text) { $("message").textContent = visible(text); }

  function appOf(id) {
    var app = apps.get(id);
    if (!app) {
      app = { id: id, revision: "", instances: new Map(), history: [], fresh: new Set() };
      apps.set(id, app);
    }
    return app;
  }

  function renderApps() {
    var list = $("apps");
    var ids = Array.from(apps.keys()).sort();
    var items = ids.map(function (id) {
      var li = el("li");
      li.setAttribute("data-app", id);
      if (id === selected) li.className = "selected";
      li.appendChild(el("span", id));
      li.appendChild(el("span", apps.get(id).instances.size, "count"));
      li.addEventListener("click", function () { select(id); });
      return li;
    });
    list.replaceChildren.apply(list, items);
  }

  function ttlText(hostname) {
    if (leases === null) return "-";
    var lease = leases[hostname];
    if (!lease) return "...";
    var left = lease.remainingSeconds - (Date.now() - leasesAt) / 1000;
    return Math.max(0, left).toFixed(1) + " s / " + lease.grantedSeconds + " s";
  }

  function writeCell(inst) {
    var td = el("td", undefined, "w");
    var weight = el("input");
    weight.value = inst.metadata.weight || "";
    weight.setAttribute("aria-label", "weight");
    var set = el("button", "set weight");
    set.addEventListener("click", function () { write(inst, { weight: weight.value }); });
    var drain = el("button", "drain");
    drain.className = "drain";
    drain.addEventListener("click", function () { write(inst, { status: 2 }); });
    td.append(weight, set, drain);
    return td;
  }

  function renderApp() {
    var body = $("instances").tBodies[0];
    var app = selected && apps.get(selected);
    $("app-title").textContent = app ? visible(app.id) + " (revision " + visible(app.revision) + ")" : "Select an app";
    if (!app) { body.replaceChildren(); $("history").replaceChildren(); return; }
    var rows = Array.from(app.instances.values()).sort(function (a, b) { return a.hostname < b.hostname ? -1 : 1; }).map(function (inst) {
      var tr = el("tr");
      tr.setAttribute("data-hostname", inst.hostname);
      if (app.fresh.has(inst.hostname)) tr.className = "new";
      var use = uses.get(app.id + "\n" + inst.hostname);
      var meta = Object.keys(inst.metadata || {}).map(function (k) { return k + "=" + inst.metadata[k]; }).join("\n");
      [inst.hostname, inst.zone, inst.version, inst.status, (inst.metadata || {}).weight || "", (inst.addrs || []).join("\n"), meta].forEach(function (v) {
        tr.appendChild(el("td", v));
      });
      var ttl = el("td", ttlText(inst.hostname), "ttl");
      ttl.setAttribute("data-ttl", inst.hostname);
      tr.appendChild(ttl);
      tr.appendChild(el("td", use ? use.picks : "", "picks"));
      tr.appendChild(el("td", use ? use.errors : "", "errors"));
      tr.appendChild(el("td", use ? use.inFlight : ""));
      tr.appendChild(el("td", use && use.latencyMs !== undefined && use.latencyMs !== null ? use.latencyMs.toFixed(1) + " ms" : ""));
      tr.appendChild(el("td", use ? (use.ejected ? "ejected" : "") + (use.health ? " " + use.health : "") : ""));
      tr.appendChild(writeCell(inst));
      return tr;
    });
    body.replaceChildren.apply(body, rows);
    var items = app.history.slice().reverse().map(function (h) {
      var li = el("li");
      li.appendChild(el("span", new Date(h.at).toLocaleTimeString() + " rev " + h.revision + " "));
      [["added", "+"], ["removed", "-"], ["updated", "~"]].forEach(function (kind) {
        h[kind[0]].forEach(function (name) { li.appendChild(el("span", kind[1] + name + " ", kind[0])); });
      });
      return li;
    });
    $("history").replaceChildren.apply($("history"), items);
  }

  function select(id) {
    selected = id;
    history.replaceState(null, "", "?app=" + encodeURIComponent(id));
    leases = null;
    if (ttlSource) ttlSource.close();
    ttlSource = new EventSource("/ttl?app=" + encodeURIComponent(id));
    ttlSource.onmessage = function (m) {
      var e = JSON.parse(m.data);
      if (e.appId !== selected) return;
      leases = e.leases;
      leasesAt = Date.now();
      renderApp();
    };
    renderApps();
    renderApp();
  }

  function write(inst, change) {
    var token = $("token").value;
    var headers = { "content-type": "application/json" };
    if (token) headers.authorization = "Bearer " + token;
    fetch("/api/write", {
      method: "POST",
      headers: headers,
      body: JSON.stringify(Object.assign({ appId: inst.appId, hostname: inst.hostname }, change)),
    }).then(function (r) {
      return r.json().then(function (b) { say((r.ok ? "" : "refused (" + r.status + "): ") + b.message); });
    }, function (e) { say("write failed: " + e); });
  }

  function apply(e) {
    if (e.type === "snapshot") {
      apps.clear();
      e.apps.forEach(function (a) {
        var app = appOf(a.appId);
        app.revision = a.revision;
        a.instances.forEach(function (i) { app.instances.set(i.hostname, i); });
        app.history = a.history.slice();
      });
      document.body.classList.toggle("can-write", e.writes);
      $("writes").hidden = !e.writes;
      e.uses.forEach(function (u) { uses.set(u.appId + "\n" + u.hostname, u); });
      if (selected === null && apps.size > 0) return select(Array.from(apps.keys()).sort()[0]);
    } else if (e.type === "change") {
      var app = appOf(e.appId);
      app.revision = e.revision;
      app.fresh = new Set();
      e.added.forEach(function (i) { app.instances.set(i.hostname, i); app.fresh.add(i.hostname); });
      e.updated.forEach(function (i) { app.instances.set(i.hostname, i); });
      e.removed.forEach(function (h) { app.instances.delete(h); });
      app.history.push(e.entry);
      if (app.history.length > 500) app.history.shift();
      if (e.appId !== selected) { renderApps(); return; }
    } else if (e.type === "uses") {
      e.uses.forEach(function (u) { uses.set(u.appId + "\n" + u.hostname, u); });
    }
    renderApps();
    renderApp();
  }

  function connect() {
    var source = new EventSource("/events");
    source.onopen = function () { $("status").textContent = "live"; $("status").className = "status live"; };
    source.onerror = function () { $("status").textContent = "reconnecting"; $("status").className = "status"; };
    source.onmessage = function (m) { apply(JSON.parse(m.data)); };
  }

  setInterval(function () {
    if (leases === null) return;
    document.querySelectorAll("td[data-ttl]").forEach(function (td) {
      td.textContent = ttlText(td.getAttribute("data-ttl"));
    });
  }, 200);
  var wanted = new URLSearchParams(location.search).get("app");
  connect();
  if (wanted) select(wanted);
})();
`;
