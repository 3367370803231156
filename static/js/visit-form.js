/* The phone visit form: check in (time and position), shelf check, information,
 * complaint, photos, check out. The visit goes into the Outbox first and is then sent,
 * so a lost connection loses nothing. A visit the server refused stays in the Outbox and
 * reopens here (?fix=<client id>) with the reason next to the field, to correct and resend.
 */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("visit-form-data").textContent);
  var form = document.getElementById("visit-form");
  var text = form.dataset;
  var draftKey = "visit-draft-" + data.retailer;
  var draft = JSON.parse(localStorage.getItem(draftKey) || "null");
  var fixing = null; // the Outbox entry being corrected, if any
  var shortcut = "none";
  var PHOTO_EDGE = 1600;
  var PHOTO_QUALITY = 0.8;
  var brandInfo = {};
  data.brands.forEach(function (b) { brandInfo[b.id] = b; });
  var lastLines = (data.last_time && data.last_time.lines) || {};

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function saveDraft() { if (!fixing) { localStorage.setItem(draftKey, JSON.stringify(draft)); } }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }

  // --- check-in -------------------------------------------------------------
  var checkinButton = $("#checkin-btn");
  var checkinStatus = $("#checkin-status");
  var body = $("#visit-body");

  function showCheckedIn() {
    checkinButton.hidden = true;
    body.hidden = false;
    checkinStatus.hidden = false;
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

  // --- shelf check ----------------------------------------------------------
  // Price and stock are asked once a brand is on shelf; the price at once for new and key
  // brands, for the others when tapped. Contradictions get a question, never a block.
  var shelfCard = $("#shelf-card");
  var moreList = $("#shelf-more-list");
  var tolerance = (data.price_tolerance_pct || 30) / 100;

  function rows() { return $all("[data-brand]", shelfCard); }
  function rowFor(brandId) { return $(".shelf-row[data-brand='" + brandId + "']", shelfCard); }
  function answer(row) {
    var checked = $("input[type=radio]:checked", row);
    return checked ? checked.value === "1" : null;
  }

  function showPrice(row) {
    $(".price", row).hidden = false;
    $(".show-price", row).hidden = true;
  }

  function checkRow(row) {
    var onShelf = answer(row) === true;
    $(".shelf-extra", row).hidden = !onShelf;
    var question = $(".shelf-question", row);
    var asks = [];
    if (onShelf) {
      if ($(".stock", row).value === "none") { asks.push(text.outOfStockQuestion); }
      var price = parseFloat($(".price", row).value);
      var usual = parseFloat((brandInfo[row.dataset.brand] || {}).usual_price);
      if (price > 0 && usual > 0 && Math.abs(price - usual) > usual * tolerance) {
        asks.push(fill(text.priceQuestion, { price: price.toFixed(2), usual: usual.toFixed(2) }));
      }
    }
    var key = asks.join(" ");
    question.hidden = !key || row.dataset.confirmed === key;
    $(".question-text", question).textContent = key;
    question.dataset.key = key;
    row.classList.toggle("asking", !question.hidden);
    countMore();
  }

  function countMore() {
    var more = $all("[data-brand]", moreList);
    var answered = more.filter(function (row) { return answer(row) !== null; });
    var on = answered.filter(function (row) { return answer(row); });
    $("#shelf-more .more-total").textContent = String(more.length);
    $("#shelf-more .more-answered").textContent = answered.length
      ? fill(text.moreAnswered, { answered: answered.length, total: more.length, on: on.length })
      : "";
    $("#shelf-more").hidden = more.length === 0;
  }

  function setAnswer(row, onShelf) {
    $(onShelf ? "input[value='1']" : "input[value='0']", row).checked = true;
    checkRow(row);
  }

  function wireRow(row) {
    var brand = brandInfo[row.dataset.brand] || {};
    var last = lastLines[row.dataset.brand];
    if (last && last.retail_price) {
      $(".price", row).placeholder = fill(text.lastPrice, { price: last.retail_price });
    }
    if (brand.new || brand.key) { showPrice(row); }
    $all("input[type=radio]", row).forEach(function (input) {
      input.addEventListener("change", function () { checkRow(row); });
    });
    $(".stock", row).addEventListener("change", function () { checkRow(row); });
    // While typing, not on blur: a question appearing on blur would move the button tapped next.
    $(".price", row).addEventListener("input", function () { checkRow(row); });
    $(".show-price", row).addEventListener("click", function () {
      showPrice(row);
      $(".price", row).focus();
    });
    $(".confirm-answer", row).addEventListener("click", function () {
      row.dataset.confirmed = $(".shelf-question", row).dataset.key;
      checkRow(row);
    });
  }
  rows().forEach(wireRow);
  countMore();

  var addBrand = $("#add-brand");
  var rowTemplate = $("#shelf-row-template");
  function addBrandRow(brandId) {
    var option = $("option[value='" + brandId + "']", addBrand);
    var row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.dataset.brand = String(brandId);
    $(".brand-name", row).textContent = option ? option.textContent : (brandInfo[brandId] || {}).name || "#" + brandId;
    $all("input[type=radio]", row).forEach(function (input) {
      input.name = "shelf-" + brandId;
      input.id = input.id.replace("__ID__", brandId);
    });
    $all("label[for]", row).forEach(function (label) {
      label.htmlFor = label.htmlFor.replace("__ID__", brandId);
    });
    $("#shelf-list").appendChild(row);
    wireRow(row);
    if (option) { option.remove(); }
    return row;
  }
  $("#add-brand-btn").addEventListener("click", function () {
    var option = addBrand.selectedOptions[0];
    if (option && option.value) { addBrandRow(option.value); }
  });

  // Shortcuts fill every listed brand; each row can still be changed afterwards.
  $all("[data-shortcut]", shelfCard).forEach(function (button) {
    button.addEventListener("click", function () {
      shortcut = button.dataset.shortcut;
      rows().forEach(function (row) {
        if (shortcut === "all_on_shelf") { setAnswer(row, true); return; }
        var last = lastLines[row.dataset.brand];
        if (!last) { return; }
        if (last.stock_level && last.on_shelf) { $(".stock", row).value = last.stock_level; }
        setAnswer(row, last.on_shelf);
      });
      var note = $("#shortcut-note");
      note.hidden = false;
      note.textContent = shortcut === "all_on_shelf" ? text.filledAllOnShelf : text.filledLastTime;
    });
  });

  function shelfLines() {
    return rows().map(function (row) {
      var onShelf = answer(row);
      if (onShelf === null) { return null; }
      var price = $(".price", row).value.trim();
      return {
        brand: Number(row.dataset.brand),
        on_shelf: onShelf,
        retail_price: onShelf && price ? price : null,
        stock_level: onShelf ? $(".stock", row).value : "",
      };
    }).filter(Boolean);
  }

  // --- information and complaint --------------------------------------------
  var infoTemplate = $("#info-row-template");
  function addInfoRow() {
    var row = infoTemplate.content.firstElementChild.cloneNode(true);
    $(".remove-info", row).addEventListener("click", function () { row.remove(); });
    $("#info-list").appendChild(row);
    return row;
  }
  $("#add-info-btn").addEventListener("click", function () { $("select", addInfoRow()).focus(); });

  function infoLines() {
    return $all("#info-list .info-row").map(function (row) {
      var content = $("textarea", row).value.trim();
      return content ? { kind: $("select", row).value, content: content } : null;
    }).filter(Boolean);
  }

  // --- photos: made smaller on the phone (long edge 1600 px, JPEG 0.8) --------------
  var photos = [];
  var photoInput = $("#photos");
  var previews = $("#photo-previews");

  function compress(file) {
    return new Promise(function (resolve) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, PHOTO_EDGE / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) {
          // A small photo may already be smaller than its re-encoded copy.
          resolve(blob && (scale < 1 || blob.size < file.size) ? blob : file);
        }, "image/jpeg", PHOTO_QUALITY);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  }

  function showPhoto(photo) {
    var thumb = document.createElement("div");
    thumb.className = "photo-thumb";
    var img = document.createElement("img");
    img.src = URL.createObjectURL(photo.blob);
    img.className = "photo-preview";
    img.alt = "";
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn-light photo-remove";
    remove.textContent = "✕";
    remove.setAttribute("aria-label", text.removePhoto);
    remove.addEventListener("click", function () {
      photos = photos.filter(function (p) { return p !== photo; });
      URL.revokeObjectURL(img.src);
      thumb.remove();
    });
    thumb.appendChild(img);
    thumb.appendChild(remove);
    previews.appendChild(thumb);
  }

  photoInput.addEventListener("change", function () {
    var files = Array.prototype.slice.call(photoInput.files);
    photoInput.value = "";
    files.reduce(function (chain, file) {
      return chain.then(function () {
        if (!/^image\//.test(file.type)) { alert(text.notImage); return; }
        return compress(file).then(function (blob) {
          if (blob.size > data.photo_max_kb * 1024) { alert(text.tooLarge); return; }
          var name = blob === file ? file.name : (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          var photo = { client_id: Outbox.uuid4(), blob: blob, name: name };
          photos.push(photo);
          showPhoto(photo);
        });
      });
    }, Promise.resolve()).then(function () { form.dataset.photos = String(photos.length); });
  });

  // --- a refused visit: reopened with its reasons, corrected, sent again ---------------
  function localInput(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso);
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }

  function fillFrom(payload, entry) {
    (payload.shelf || []).forEach(function (line) {
      var row = rowFor(line.brand) || addBrandRow(line.brand);
      $(".stock", row).value = line.stock_level || "";
      if (line.retail_price) { $(".price", row).value = line.retail_price; showPrice(row); }
      setAnswer(row, line.on_shelf);
    });
    shortcut = payload.shelf_shortcut || "none";
    (payload.information || []).forEach(function (item) {
      var row = addInfoRow();
      $("select", row).value = item.kind;
      $("textarea", row).value = item.content;
    });
    $("#complaint").value = payload.complaint || "";
    $("#notes").value = payload.notes || "";
    (entry.photos || []).forEach(function (photo) { photos.push(photo); showPhoto(photo); });
  }

  function showReasons(entry) {
    var payload = entry.payload;
    var reasons = Outbox.describe(entry.error, entry);
    var list = $("[data-fix-reasons]");
    list.innerHTML = "";
    $all(".is-invalid", form).forEach(function (el) { el.classList.remove("is-invalid"); });
    $all(".shelf-row.refused", form).forEach(function (el) { el.classList.remove("refused"); });
    var timeError = false;
    reasons.forEach(function (reason) {
      var li = document.createElement("li");
      li.textContent = reason.text;
      list.appendChild(li);
      var field = reason.path[0];
      if (field === "checked_in_at" || field === "checked_out_at") {
        timeError = true;
        var input = $(field === "checked_in_at" ? "#fix-checked-in" : "#fix-checked-out");
        input.classList.add("is-invalid");
        $("[data-error-for='" + field + "']").textContent = reason.message;
      } else if (field === "shelf") {
        var line = typeof reason.path[1] === "number" ? (payload.shelf || [])[reason.path[1]] : null;
        var row = line ? rowFor(line.brand) : null;
        if (row) { row.classList.add("refused"); } else { shelfCard.classList.add("border-danger"); }
      } else if (field === "complaint" || field === "notes") {
        $("#" + field).classList.add("is-invalid");
      }
    });
    $("#fix-banner").hidden = false;
    var times = $("#times-card");
    times.hidden = !timeError;
    if (timeError) {
      $("#fix-checked-in").value = localInput(payload.checked_in_at);
      $("#fix-checked-out").value = localInput(payload.checked_out_at);
    }
    $("#submit-btn").textContent = text.resend;
    $("#fix-banner").scrollIntoView({ block: "start" });
  }

  function startFix(entry, refill) {
    fixing = entry;
    var box = document.getElementById("outbox-status");
    if (box) { box.dataset.fixing = entry.client_id; Outbox.refresh(); }
    var p = entry.payload;
    draft = {
      client_id: entry.client_id,
      checked_in_at: p.checked_in_at,
      checked_out_at: p.checked_out_at,
      location_status: p.location_status,
      latitude: p.latitude,
      longitude: p.longitude,
      accuracy_m: p.accuracy_m,
    };
    if (refill) { fillFrom(p, entry); }
    showCheckedIn();
    showReasons(entry);
  }

  var fixId = new URLSearchParams(location.search).get("fix");
  if (fixId) {
    Outbox.entries().then(function (list) {
      var entry = list.filter(function (e) { return e.client_id === fixId && e.error && !e.visit_stored; })[0];
      if (entry) { startFix(entry, true); } else if (draft) { showCheckedIn(); }
    });
  } else if (draft) {
    showCheckedIn();
  }

  function timeFrom(input, fallback) {
    if (!fixing || $("#times-card").hidden || !input.value) { return fallback; }
    return new Date(input.value).toISOString();
  }

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
      checked_in_at: timeFrom($("#fix-checked-in"), draft.checked_in_at),
      checked_out_at: timeFrom($("#fix-checked-out"), fixing ? draft.checked_out_at : new Date().toISOString()),
      latitude: draft.latitude,
      longitude: draft.longitude,
      accuracy_m: draft.accuracy_m,
      location_status: draft.location_status,
      notes: $("#notes").value,
      shelf: shelfLines(),
      shelf_shortcut: shortcut,
      information: infoLines(),
      complaint: $("#complaint").value,
    };
    var names = {};
    payload.shelf.forEach(function (line) {
      names[line.brand] = $(".brand-name", rowFor(line.brand)).textContent;
    });
    var entry = { client_id: draft.client_id, shop: data.shop, payload: payload, photos: photos, brand_names: names };
    Outbox.add(entry)
      .then(function () {
        localStorage.removeItem(draftKey);
        return Outbox.flush();
      })
      .then(function (waiting) {
        var mine = waiting.filter(function (e) { return e.client_id === payload.client_id; })[0];
        result.hidden = false;
        if (!mine) {
          result.className = "alert alert-success";
          result.textContent = text.sent;
          window.location.href = form.dataset.doneUrl;
        } else if (mine.error && !mine.visit_stored) {
          // Refused: nothing is lost; the reasons are shown at the fields to correct.
          result.hidden = true;
          submit.disabled = false;
          startFix(mine, false);
        } else if (mine.error) {
          result.className = "alert alert-danger";
          result.textContent = text.refused + " " + Outbox.describe(mine.error, mine).map(function (r) { return r.text; }).join(" ");
          form.hidden = true;
        } else {
          result.className = "alert alert-warning";
          result.textContent = text.queued;
          form.hidden = true;
        }
      });
  });
})();
