/* Says so when the phone pages are opened where offline visits cannot work: the built-in
 * browsers of WeCom (wxwork), WeChat (MicroMessenger) and DingTalk, or any browser without a
 * service worker, IndexedDB or geolocation. The banner (templates/includes/browser_check.html)
 * offers the one-line how-to and a copy-link button; closing it hides it for this tab.
 */
(function () {
  "use strict";
  var banner = document.getElementById("browser-check");
  if (!banner) { return; }
  var KEY = "cms-browser-check-dismissed";
  try { if (sessionStorage.getItem(KEY)) { return; } } catch (e) { /* storage blocked */ }

  var ua = navigator.userAgent || "";
  // WeCom's user agent also says MicroMessenger: look for wxwork first.
  var app = /wxwork/i.test(ua) ? "wxwork" : /MicroMessenger/i.test(ua) ? "wechat" : /DingTalk/i.test(ua) ? "dingtalk" : "";
  var missing = [];
  if (!("serviceWorker" in navigator)) { missing.push(banner.dataset.featureServiceWorker); }
  var hasIdb = false;
  try { hasIdb = !!window.indexedDB; } catch (e) { hasIdb = false; }
  if (!hasIdb) { missing.push(banner.dataset.featureIndexeddb); }
  if (!("geolocation" in navigator)) { missing.push(banner.dataset.featureGeolocation); }
  if (!app && !missing.length) { return; }

  var reason = app ? "in-app" : "missing";
  var line = banner.querySelector("[data-reason='" + reason + "']");
  line.textContent = line.textContent
    .replace("__APP__", app ? banner.getAttribute("data-app-" + app) : "")
    .replace("__MISSING__", missing.join(" · "));
  line.hidden = false;
  banner.querySelector("[data-howto='" + reason + "']").hidden = false;
  banner.dataset.browser = app || "missing";
  banner.hidden = false;

  var status = banner.querySelector(".browser-check-status");
  var field = banner.querySelector(".browser-check-link");

  function copied() { status.textContent = banner.dataset.copied; }

  // The clipboard API is often missing in built-in browsers: select the link in a field
  // and use execCommand; failing that the field stays shown for a long press.
  function fallback() {
    field.value = location.href;
    field.hidden = false;
    field.focus();
    field.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    if (ok) { copied(); }
  }

  banner.querySelector(".browser-check-copy").addEventListener("click", function () {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(location.href).then(copied, fallback);
    } else {
      fallback();
    }
  });
  banner.querySelector(".btn-close").addEventListener("click", function () {
    banner.hidden = true;
    try { sessionStorage.setItem(KEY, "1"); } catch (e) { /* storage blocked */ }
  });
}());
