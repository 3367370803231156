/* Distance from here and nearby shops, computed on the phone.
 *
 * Today's route (#route): each row with a .route-distance gets "1.2 km" / "350 m" once the
 * position is known; without a position nothing is shown. iPhones have no geo: handler, so
 * their 导航 links open Amap's URI instead (data-amap, already in Amap's GCJ-02).
 * Unplanned visit (#nearby): the nearest shops from /api/v1/nearby-retailers/, tap → the
 * visit form; without a position a note says why and the search stays.
 * Coordinates are WGS-84 (what the browser reports and what the server stores).
 */
(function () {
  "use strict";
  var EARTH_RADIUS_M = 6371000;

  function distanceM(lat1, lng1, lat2, lng2) {
    var rad = Math.PI / 180;
    var h = Math.pow(Math.sin((lat2 - lat1) * rad / 2), 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.pow(Math.sin((lng2 - lng1) * rad / 2), 2);
    return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(h));
  }

  // 350 m (to 10 m) under a kilometre, 1.2 km under 10 km, 12 km beyond.
  function formatDistance(metres) {
    if (metres < 995) { return Math.max(10, Math.round(metres / 10) * 10) + " m"; }
    if (metres < 9950) { return (metres / 1000).toFixed(1) + " km"; }
    return Math.round(metres / 1000) + " km";
  }

  function label(template, metres) {
    return (template || "__DISTANCE__").replace("__DISTANCE__", formatDistance(metres));
  }

  function locate(onPosition, onNone) {
    if (!navigator.geolocation) { onNone(); return; }
    navigator.geolocation.getCurrentPosition(
      function (position) { onPosition(position.coords.latitude, position.coords.longitude); },
      function () { onNone(); },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 }
    );
  }

  function route(list) {
    var rows = list.querySelectorAll(".route-distance[data-lat][data-lng]");
    var ios = /iPhone|iPad|iPod/.test(navigator.userAgent) ||
      (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
    if (ios) {
      Array.prototype.forEach.call(list.querySelectorAll("a.route-nav[data-amap]"), function (link) {
        if (link.dataset.amap) { link.href = link.dataset.amap; }
      });
    }
    if (!rows.length) { return; }
    locate(function (lat, lng) {
      Array.prototype.forEach.call(rows, function (row) {
        var metres = distanceM(lat, lng, parseFloat(row.dataset.lat), parseFloat(row.dataset.lng));
        if (!isFinite(metres)) { return; }
        row.textContent = label(list.dataset.distanceLabel, metres);
        row.hidden = false;
      });
    }, function () {});
  }

  function nearby(section) {
    var listEl = section.querySelector(".nearby-list");

    function show(state) {
      Array.prototype.forEach.call(section.querySelectorAll(".nearby-note"), function (note) {
        note.hidden = note.dataset.state !== state;
      });
    }

    function item(shop) {
      var link = document.createElement("a");
      link.className = "list-group-item list-group-item-action d-flex justify-content-between align-items-center gap-2 nearby-shop";
      link.href = section.dataset.visitUrl + "?retailer=" + encodeURIComponent(shop.id);
      link.dataset.retailer = shop.id;
      var text = document.createElement("div");
      text.className = "nearby-text";
      var name = document.createElement("div");
      name.className = "fw-semibold";
      name.textContent = shop.shop_name;
      var address = document.createElement("div");
      address.className = "small text-muted";
      address.textContent = shop.address;
      text.appendChild(name);
      text.appendChild(address);
      var distance = document.createElement("span");
      distance.className = "badge text-bg-light nearby-distance";
      distance.textContent = formatDistance(shop.distance_m);
      distance.title = label(section.dataset.distanceLabel, shop.distance_m);
      link.appendChild(text);
      link.appendChild(distance);
      return link;
    }

    locate(function (lat, lng) {
      var url = section.dataset.url + "?lat=" + lat.toFixed(6) + "&lng=" + lng.toFixed(6);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (shops) {
          listEl.textContent = "";
          shops.forEach(function (shop) { listEl.appendChild(item(shop)); });
          show(shops.length ? "" : "empty");
        })
        .catch(function () { show("failed"); });
    }, function () { show("no-position"); });
  }

  var routeList = document.getElementById("route");
  if (routeList) { route(routeList); }
  var section = document.getElementById("nearby");
  if (section) { nearby(section); }
}());
