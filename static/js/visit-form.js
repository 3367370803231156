/* The phone visit form: check in (time and position), shelf check, information,
 * complaint, photos, check out. The visit goes into the Outbox first and is then sent,
 * so a lost connection loses nothing.
 */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("visit-form-data").textContent);
  var form = document.getElementById("visit-form");
  var text = form.dataset;
  var draftKey = "visit-draft-" + data.retailer;
  var draft = JSON.parse(localStorage.getItem(draftKey) || "null");

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function saveDraft() { localStorage.setItem(draftKey, JSON.stringify(draft)); }

  // --- check-in -------------------------------------------------------------
  var checkinButton = $("#checkin-btn");
  var checkinStatus = $("#checkin-status");
  var body = $("#visit-body");

  function showCheckedIn() {
    checkinButton.hidden = true;
    body.hidden = false;
    var time = new Date(draft.checked_in_at).toLocaleTimeString();
    var where = draft.location_status === "ok"
      ? text.located.replace("{m}", String(Math.round(draft.accuracy_m || 0)))
      : text.notLocated;
    checkinStatus.textContent = text.checkedIn.replace("{time}", time) + " · " + where;
    checkinStatus.className = draft.location_status === "ok" ? "alert alert-success" : "alert alert-warning";
  }

  function checkedIn(position, status) {
    draft = {
      client_id: Outbox.uuid4(),
      checked_in_at: new Date().toISOString(),
      location_status: status,
      latitude: position ? Number(position.coords.latitude.toFixed(6)) : null,
      longitude: position ? Number(position.coords.longitude.toFixed(6)) : null,
      accuracy_m: position ? Math.round(position.coords.accuracy) : null,
    };
    saveDraft();
    showCheckedIn();
  }

  checkinButton.addEventListener("click", function () {
    checkinButton.disabled = true;
    checkinStatus.hidden = false;
    checkinStatus.className = "alert alert-info";
    checkinStatus.textContent = text.locating;
    if (!navigator.geolocation) { checkedIn(null, "unavailable"); return; }
    navigator.geolocation.getCurrentPosition(
      function (position) { checkedIn(position, "ok"); },
      function (error) { checkedIn(null, error.code === 1 ? "denied" : "unavailable"); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
  if (draft) { checkinStatus.hidden = false; showCheckedIn(); }

  // --- shelf check ----------------------------------------------------------
  var addBrand = $("#add-brand");
  var rowTemplate = $("#shelf-row-template");
  if (addBrand) {
    $("#add-brand-btn").addEventListener("click", function () {
      var option = addBrand.selectedOptions[0];
      if (!option || !option.value) { return; }
      var row = rowTemplate.content.firstElementChild.cloneNode(true);
      row.dataset.brand = option.value;
      $(".brand-name", row).textContent = option.textContent;
      $all("input[type=radio]", row).forEach(function (input) {
        input.name = "shelf-" + option.value;
        input.id = input.id.replace("__ID__", option.value);
      });
      $all("label[for]", row).forEach(function (label) {
        label.htmlFor = label.htmlFor.replace("__ID__", option.value);
      });
      $("#shelf-list").appendChild(row);
      option.remove();
    });
  }

  function shelfLines() {
    return $all("#shelf-list [data-brand]").map(function (row) {
      var checked = $("input[type=radio]:checked", row);
      if (!checked) { return null; }
      var price = $(".price", row).value.trim();
      return {
        brand: Number(row.dataset.brand),
        on_shelf: checked.value === "1",
        retail_price: price ? price : null,
        stock_level: $(".stock", row).value,
      };
    }).filter(Boolean);
  }

  // --- information and complaint --------------------------------------------
  var infoTemplate = $("#info-row-template");
  $("#add-info-btn").addEventListener("click", function () {
    var row = infoTemplate.content.firstElementChild.cloneNode(true);
    $(".remove-info", row).addEventListener("click", function () { row.remove(); });
    $("#info-list").appendChild(row);
    $("select", row).focus();
  });

  function infoLines() {
    return $all("#info-list .info-row").map(function (row) {
      var content = $("textarea", row).value.trim();
      return content ? { kind: $("select", row).value, content: content } : null;
    }).filter(Boolean);
  }

  // --- photos -----------------------------------------------------------------
  var photos = [];
  var photoInput = $("#photos");
  photoInput.addEventListener("change", function () {
    var previews = $("#photo-previews");
    Array.prototype.forEach.call(photoInput.files, function (file) {
      if (!/^image\//.test(file.type)) { alert(text.notImage); return; }
      if (file.size > data.photo_max_kb * 1024) { alert(text.tooLarge); return; }
      photos.push({ client_id: Outbox.uuid4(), blob: file, name: file.name });
      var img = document.createElement("img");
      img.src = URL.createObjectURL(file);
      img.className = "photo-preview";
      previews.appendChild(img);
    });
    photoInput.value = "";
  });

  // --- check-out and submit -----------------------------------------------------
  var result = $("#submit-result");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!draft) { return; }
    var submit = $("#submit-btn");
    submit.disabled = true;
    var payload = {
      client_id: draft.client_id,
      retailer: data.retailer,
      plan: data.plan,
      checked_in_at: draft.checked_in_at,
      checked_out_at: new Date().toISOString(),
      latitude: draft.latitude,
      longitude: draft.longitude,
      accuracy_m: draft.accuracy_m,
      location_status: draft.location_status,
      notes: $("#notes").value,
      shelf: shelfLines(),
      information: infoLines(),
      complaint: $("#complaint").value,
    };
    Outbox.add({ client_id: draft.client_id, shop: data.shop, payload: payload, photos: photos })
      .then(function () {
        localStorage.removeItem(draftKey);
        return Outbox.flush();
      })
      .then(function (waiting) {
        var stillHere = waiting.some(function (e) { return e.client_id === payload.client_id; });
        result.hidden = false;
        if (!stillHere) {
          result.className = "alert alert-success";
          result.textContent = text.sent;
          window.location.href = form.dataset.doneUrl;
        } else {
          var entry = waiting.filter(function (e) { return e.client_id === payload.client_id; })[0];
          result.className = entry.error ? "alert alert-danger" : "alert alert-warning";
          result.textContent = entry.error ? text.refused + " " + JSON.stringify(entry.error) : text.queued;
          form.hidden = true;
        }
      });
  });
})();
