/* Outbox: visits are saved on the phone first, then sent; what could not be sent waits
 * in IndexedDB and goes out when the connection returns. Every visit carries its
 * client id, so sending twice never creates two visits on the server.
 */
(function () {
  "use strict";

  // "2026-12-02 09:30" in Asia/Shanghai, as the pages' |local_time filter shows it.
  function localTime(iso) {
    var parts = {};
    new Intl.DateTimeFormat("en-CA", {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }
  var store = idbKeyval.createStore("cms-outbox", "visits");
  var listeners = [];
  var flushing = null;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function entries() {
    return idbKeyval.values(store).then(function (list) {
      return list.sort(function (a, b) { return a.saved_at < b.saved_at ? -1 : 1; });
    });
  }

  function notify() {
    return entries().then(function (list) {
      listeners.forEach(function (fn) { fn(list); });
      return list;
    });
  }

  function add(entry) {
    entry.saved_at = new Date().toISOString();
    return idbKeyval.set(entry.client_id, entry, store).then(notify);
  }

  function sendPhoto(visitId, photo) {
    var form = new FormData();
    form.append("client_id", photo.client_id);
    form.append("image", photo.blob, photo.name || "photo.jpg");
    return fetch("/api/v1/visits/" + visitId + "/photos/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
      body: form,
    }).then(function (response) {
      if (response.ok) { return true; }
      if (response.status >= 400 && response.status < 500) {
        return response.json().then(function (body) { throw { permanent: true, body: body }; });
      }
      throw { permanent: false };
    });
  }

  function sendOne(entry) {
    return fetch("/api/v1/visits/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(entry.payload),
    }).then(function (response) {
      // 409: this visit id was stored before with other content; the stored visit stands.
      if (response.status === 200 || response.status === 201 || response.status === 409) {
        return (entry.photos || []).reduce(function (chain, photo) {
          return chain.then(function () { return sendPhoto(entry.client_id, photo); });
        }, Promise.resolve()).then(function () {
          return idbKeyval.del(entry.client_id, store);
        }, function (failure) {
          if (!failure || !failure.permanent) { throw failure; }
          // The visit is stored; a photo was refused (e.g. 413 too large). Keep the entry,
          // without its photos, with the reason for the manager to see; nothing resends it.
          entry.photos = [];
          entry.visit_stored = true;
          entry.error = failure.body || {};
          return idbKeyval.set(entry.client_id, entry, store);
        });
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 403 && response.status !== 429) {
        // The server refused this visit: keep it, with the reason, for the manager to see.
        return response.json().catch(function () { return {}; }).then(function (body) {
          entry.error = body;
          return idbKeyval.set(entry.client_id, entry, store);
        });
      }
      throw new Error("server " + response.status);
    });
  }

  function flush() {
    if (flushing) { return flushing; }
    flushing = entries().then(function (list) {
      var pending = list.filter(function (e) { return !e.error; });
      return pending.reduce(function (chain, entry) {
        return chain.then(function () { return sendOne(entry); });
      }, Promise.resolve());
    }).catch(function () { /* offline or server down: try again later */ })
      .then(function () { flushing = null; return notify(); });
    return flushing;
  }

  function discard(clientId) {
    return idbKeyval.del(clientId, store).then(notify);
  }

  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { flush(); }
  });
  setInterval(function () { if (navigator.onLine) { flush(); } }, 30000);

  // Why the server refused a visit, in words: [{path, message, text}], e.g.
  // {"checked_in_at": ["…"]} → "签到时间：…"; shelf lines are named by their brand.
  function describe(error, entry) {
    var labels = document.getElementById("outbox-labels");
    var format = labels ? labels.dataset.format : "{field}: {message}";
    var payload = (entry && entry.payload) || {};
    var names = (entry && entry.brand_names) || {};
    function label(path) {
      return path.map(function (part, i) {
        if (typeof part === "number") {
          var list = payload[path[i - 1]] || [];
          var line = list[part] || {};
          return names[line.brand] || "#" + (part + 1);
        }
        if (part === "detail" || part === "non_field_errors") { return ""; }
        var el = labels && labels.querySelector("[data-field='" + part + "']");
        return el ? el.textContent.trim() : part;
      }).filter(Boolean).join(" · ");
    }
    var out = [];
    function walk(value, path) {
      if (value === null || value === undefined) { return; }
      if (typeof value !== "object") {
        var field = label(path);
        var message = String(value);
        out.push({
          path: path,
          message: message,
          text: field ? format.replace("{field}", field).replace("{message}", message) : message,
        });
        return;
      }
      if (Array.isArray(value)) {
        value.forEach(function (item, i) {
          walk(item, item !== null && typeof item === "object" ? path.concat([i]) : path);
        });
        return;
      }
      Object.keys(value).forEach(function (key) { walk(value[key], path.concat([key])); });
    }
    walk(error, []);
    return out;
  }

  function fixUrl(entry, base) {
    var p = entry.payload || {};
    var query = p.plan ? "plan=" + encodeURIComponent(p.plan) : "retailer=" + encodeURIComponent(p.retailer);
    return base + "?" + query + "&fix=" + encodeURIComponent(entry.client_id);
  }

  window.Outbox = {
    add: add, flush: flush, entries: entries, discard: discard, uuid4: uuid4,
    describe: describe, fixUrl: fixUrl, refresh: notify,
    onChange: function (fn) { listeners.push(fn); notify(); },
  };

  // On today's route, a stop whose visit waits in the Outbox reads "待发送" (or "to correct"
  // when refused), not "开始走访"; once sent it reads "sent".
  function markRoute(box, items) {
    var route = document.getElementById("route");
    if (!route) { return; }
    Array.prototype.forEach.call(route.querySelectorAll(".route-stop"), function (row) {
      var item = items.filter(function (e) {
        var p = e.payload || {};
        return (p.plan && String(p.plan) === row.dataset.plan) || String(p.retailer) === row.dataset.retailer;
      })[0];
      var state = "";
      if (item) {
        // A stored visit whose photo was refused is sent; only the photo is missing.
        state = item.visit_stored ? "sent" : item.error ? "to-fix" : "pending";
      } else if (row.dataset.outbox) {
        state = "sent";
      }
      if (!state || row.dataset.outbox === state) { return; }
      row.dataset.outbox = state;
      var start = row.querySelector("a[href*='/visits/new/']:not([data-outbox-fix])");
      if (start) { start.hidden = true; }
      var old = row.querySelectorAll("[data-outbox-badge], [data-outbox-fix]");
      Array.prototype.forEach.call(old, function (el) { el.remove(); });
      var badge = document.createElement("span");
      badge.dataset.outboxBadge = state;
      badge.className = "badge ms-1 " + (state === "to-fix" ? "text-bg-danger" : state === "sent" ? "text-bg-success" : "text-bg-info");
      badge.textContent = state === "to-fix" ? box.dataset.toFix : state === "sent" ? box.dataset.sent : box.dataset.pending;
      (row.querySelector(".fw-semibold") || row.querySelector(".card-body") || row).appendChild(badge);
      if (state === "to-fix") {
        var fix = document.createElement("a");
        fix.dataset.outboxFix = "1";
        fix.className = "btn btn-danger w-100 mt-2";
        fix.href = fixUrl(item, box.dataset.formUrl);
        fix.textContent = box.dataset.fix;
        (row.querySelector(".card-body") || row).appendChild(fix);
      }
    });
  }

  // A small status box on pages that have one: how many visits are waiting, why one was
  // not accepted, and a way to correct and resend it (a refused visit is never lost).
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("outbox-status");
    if (!box) { return; }
    var count = box.querySelector("[data-outbox-count]");
    var list = box.querySelector("[data-outbox-list]");
    var retry = box.querySelector("[data-outbox-retry]");
    if (retry) { retry.addEventListener("click", function () { flush(); }); }
    Outbox.onChange(function (items) {
      box.hidden = items.length === 0;
      box.dataset.count = String(items.length);
      count.textContent = String(items.length);
      list.innerHTML = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.textContent = item.shop + " · " + localTime(item.payload.checked_in_at);
        // The visit being corrected on this page shows its reasons at its fields instead.
        if (item.error && box.dataset.fixing !== item.client_id) {
          describe(item.error, item).forEach(function (reason) {
            var line = document.createElement("div");
            line.className = "text-danger small";
            line.dataset.outboxReason = "1";
            line.textContent = box.dataset.refused.replace("{reason}", reason.text);
            li.appendChild(line);
          });
          var actions = document.createElement("div");
          actions.className = "d-flex flex-wrap gap-2 mt-1";
          if (!item.visit_stored) {
            var fix = document.createElement("a");
            fix.className = "btn btn-sm btn-danger";
            fix.href = fixUrl(item, box.dataset.formUrl);
            fix.textContent = box.dataset.fix;
            actions.appendChild(fix);
          }
          var drop = document.createElement("button");
          drop.type = "button";
          drop.className = "btn btn-sm btn-outline-secondary";
          // A stored visit whose photo was refused: only the photo is gone, nothing to resend.
          drop.textContent = item.visit_stored ? box.dataset.dismiss : box.dataset.discard;
          drop.addEventListener("click", function () {
            if (item.visit_stored || window.confirm(box.dataset.discardConfirm)) { discard(item.client_id); }
          });
          actions.appendChild(drop);
          li.appendChild(actions);
        }
        list.appendChild(li);
      });
      markRoute(box, items);
    });
    flush();
  });
})();
