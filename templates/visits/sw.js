{% load static %}/* Service worker: static files from the cache, pages from the network with the cached
 * copy as a fallback, so today's route and visit forms open without a connection.
 * Visits themselves are queued by the page (static/js/outbox.js), not here. */
"use strict";
var STATIC = "cms-static-v1";
var PAGES = "cms-pages";
var SHELL = [
  "{% static 'vendor/bootstrap/bootstrap.min.css' %}",
  "{% static 'css/app.css' %}",
  "{% static 'vendor/bootstrap/bootstrap.bundle.min.js' %}",
  "{% static 'vendor/idb-keyval/idb-keyval.umd.js' %}",
  "{% static 'js/outbox.js' %}",
  "{% static 'js/visit-form.js' %}"
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.addAll(SHELL); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== location.origin || url.pathname.indexOf("/api/") === 0) { return; }
  if (url.pathname.indexOf("{% get_static_prefix %}") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        var copy = response.clone();
        caches.open(STATIC).then(function (cache) { cache.put(request, copy); });
        return response;
      });
    }));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && url.pathname.indexOf("/visits/") === 0) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request, { ignoreVary: true }).then(function (hit) {
        return hit || caches.match("/visits/today/");
      });
    }));
  }
});
