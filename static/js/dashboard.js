/* The dashboard's charts (templates/reports/dashboard.html), drawn with the vendored Apache
   ECharts (static/vendor/echarts). The figures come from the page as JSON (json_script
   "dashboard-data"); each element with data-chart="<name>" gets that chart. Bars and cells
   that stand for a unit one level down open that unit's dashboard when clicked. */
(function () {
  "use strict";

  var dataElement = document.getElementById("dashboard-data");
  var picker = document.querySelector("[data-month-picker]");
  if (picker) {
    picker.querySelector("select").addEventListener("change", function () { picker.submit(); });
  }
  if (!dataElement || !window.echarts) { return; }

  var data = JSON.parse(dataElement.textContent);
  var labels = data.labels;
  var locale = (document.documentElement.lang || "zh").indexOf("zh") === 0 ? "ZH" : "EN";
  var BRAND = "#7a1f1f";
  var GOLD = "#c0872f";
  var BLUE = "#3b6ea5";
  var GREEN = "#1f6f43";
  var GREY = "#6c757d";
  var RED = "#b02a37";
  var font = window.getComputedStyle(document.body).fontFamily;
  var narrow = function () { return window.innerWidth < 576; };

  function percent(value) { return value === null || value === undefined ? "—" : value.toFixed(1) + "%"; }
  function plain(value) { return value === null || value === undefined ? "—" : String(value); }

  function base() {
    return {
      textStyle: { fontFamily: font },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      tooltip: { confine: true },
      animationDuration: 300
    };
  }

  function trend() {
    var t = data.trend;
    var option = base();
    option.color = [BRAND, GREY, BLUE];
    option.tooltip = { trigger: "axis", confine: true };
    option.legend = { top: 0, type: "scroll", itemWidth: 14, itemHeight: 10 };
    option.grid.top = 36;
    option.xAxis = { type: "category", data: t.months, axisLabel: { hideOverlap: true } };
    // The legend names the series; the score (second axis) runs 0–120.
    option.yAxis = [
      { type: "value" },
      { type: "value", min: 0, max: 120, interval: 20, splitLine: { show: false } }
    ];
    option.series = [
      { name: labels.sales, type: "bar", data: t.sales, barMaxWidth: 28 },
      { name: labels.target, type: "line", data: t.target, symbol: "circle", symbolSize: 5,
        lineStyle: { type: "dashed" } },
      { name: labels.score, type: "line", yAxisIndex: 1, data: t.score, symbol: "circle",
        symbolSize: 6, connectNulls: false }
    ];
    return option;
  }

  function children() {
    var c = data.children;
    var option = base();
    option.grid.top = 8;
    option.grid.right = 56;  // room for the label of a bar at 100 % and more
    option.tooltip = {
      trigger: "axis", axisPointer: { type: "shadow" }, confine: true,
      formatter: function (items) {
        var i = items[0].dataIndex;
        return c.names[i] + "<br>" + labels.completion + ": " + percent(c.completion[i]) +
          "<br>" + labels.sales + ": " + plain(c.sales[i]) + "<br>" + labels.drill;
      }
    };
    option.xAxis = { type: "value", axisLabel: { formatter: "{value}%", hideOverlap: true } };
    option.yAxis = { type: "category", data: c.names, inverse: true,
      axisLabel: { width: narrow() ? 72 : 110, overflow: "truncate" } };
    option.series = [{
      type: "bar", data: c.completion, barMaxWidth: 22, cursor: "pointer",
      itemStyle: { color: function (p) { return p.value !== null && p.value < 100 ? GOLD : GREEN; } },
      label: { show: true, position: "right", formatter: function (p) { return percent(p.value); } },
      markLine: { silent: true, symbol: "none", data: [{ xAxis: 100 }], lineStyle: { color: GREY },
        label: { show: false } }
    }];
    return option;
  }

  function heatmap(element) {
    var h = data.heatmap;
    var option = base();
    var brandWidth = narrow() ? 88 : 140;
    var column = (element.clientWidth - brandWidth - 24) / Math.max(1, h.scopes.length);
    option.grid = { left: 8, right: 8, top: 8, bottom: 56, containLabel: true };
    option.tooltip = {
      confine: true,
      formatter: function (p) {
        return h.brands[p.value[1]] + " · " + h.scopes[p.value[0]] + "<br>" + labels.rate + ": " +
          percent(p.value[2]) + (h.urls[p.value[0]] ? "<br>" + labels.drill : "");
      }
    };
    option.xAxis = { type: "category", data: h.scopes, splitArea: { show: true },
      axisLabel: { interval: 0, width: Math.max(40, column - 6), overflow: "break" } };
    option.yAxis = { type: "category", data: h.brands, splitArea: { show: true },
      axisLabel: { width: brandWidth, overflow: "truncate" } };
    option.visualMap = {
      min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", bottom: 0,
      itemWidth: 12, itemHeight: narrow() ? 120 : 180, text: ["100%", "0%"],
      inRange: { color: ["#fbeaea", "#f3c6a5", "#9cc9a4", GREEN] }
    };
    option.series = [{
      type: "heatmap", data: h.cells, cursor: "pointer",
      label: { show: true, fontSize: narrow() ? 10 : 12,
        formatter: function (p) { return p.value[2] === null ? "—" : Math.round(p.value[2]) + "%"; } },
      emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } }
    }];
    return option;
  }

  function coverage() {
    var rows = data.coverage;
    var option = base();
    option.legend = { top: 0, data: [labels.minimum], itemWidth: 18, itemHeight: 4 };
    option.tooltip = { trigger: "axis", confine: true, valueFormatter: percent };
    option.xAxis = { type: "category", data: rows.map(function (r) { return r.level; }) };
    option.yAxis = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
    option.series = [
      { name: labels.coverage, type: "bar", barMaxWidth: 44,
        data: rows.map(function (r) {
          return { value: r.value, itemStyle: { color: r.value !== null && r.value >= r.minimum ? GREEN : GOLD } };
        }),
        label: { show: true, position: "top", formatter: function (p) { return percent(p.value); } } },
      { name: labels.minimum, type: "scatter", symbol: "rect", symbolSize: [narrow() ? 40 : 56, 3],
        itemStyle: { color: "#212529" }, data: rows.map(function (r) { return r.minimum; }), z: 5 }
    ];
    return option;
  }

  function classes() {
    var option = base();
    var names = labels.classes.concat(labels.moves);
    var colours = [GREEN, GOLD, GREY, BLUE, RED];
    var values = data.classes.concat(data.moves);
    option.grid.top = 24;
    option.tooltip = { trigger: "axis", axisPointer: { type: "shadow" }, confine: true };
    option.xAxis = { type: "category", data: names,
      axisLabel: { interval: 0, fontSize: narrow() ? 11 : 12, width: narrow() ? 52 : 80, overflow: "break" } };
    option.yAxis = { type: "value", minInterval: 1 };
    option.series = [{
      type: "bar", name: labels.retailers, barMaxWidth: 40,
      data: values.map(function (v, i) { return { value: v, itemStyle: { color: colours[i] } }; }),
      label: { show: true, position: "top" }
    }];
    return option;
  }

  function scores() {
    var option = base();
    option.grid.top = 24;
    option.color = [BRAND];
    option.tooltip = { trigger: "axis", axisPointer: { type: "shadow" }, confine: true };
    option.xAxis = { type: "category", data: data.scores.map(function (r) { return r.band; }),
      axisLabel: { interval: 0 } };
    option.yAxis = { type: "value", minInterval: 1 };
    option.series = [{ type: "bar", name: labels.managers, barMaxWidth: 40,
      data: data.scores.map(function (r) { return r.managers; }),
      label: { show: true, position: "top" } }];
    return option;
  }

  function information() {
    var rows = data.information;
    var option = base();
    option.grid.top = 8;
    option.grid.right = 32;  // room for the counts at the end of the bars
    option.color = [BLUE];
    option.tooltip = { trigger: "axis", axisPointer: { type: "shadow" }, confine: true };
    option.xAxis = { type: "value", minInterval: 1 };
    option.yAxis = { type: "category", inverse: true, data: rows.map(function (r) { return r.type; }),
      axisLabel: { interval: 0 } };
    option.series = [{ type: "bar", name: labels.items, barMaxWidth: 16,
      data: rows.map(function (r) { return r.items; }),
      label: { show: true, position: "right" } }];
    return option;
  }

  var builders = {
    trend: trend, children: children, heatmap: heatmap, coverage: coverage,
    classes: classes, scores: scores, information: information
  };
  // Drill-down: the unit behind a clicked bar (children) or cell (heatmap, by its column).
  var drill = {
    children: function (p) { return data.children.urls[p.dataIndex]; },
    heatmap: function (p) { return data.heatmap.urls[p.value[0]]; }
  };
  var heights = {
    children: function () { return Math.max(180, 36 + 30 * data.children.names.length); },
    heatmap: function () { return Math.max(220, 90 + 30 * data.heatmap.brands.length); }
  };

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var name = element.getAttribute("data-chart");
    if (!builders[name]) { return; }
    if (heights[name]) { element.style.height = heights[name]() + "px"; }
    var chart = window.echarts.init(element, null, { renderer: "canvas", locale: locale });
    chart.setOption(builders[name](element));
    if (drill[name]) {
      chart.on("click", function (params) {
        var url = drill[name](params);
        if (url) { window.location.href = url; }
      });
    }
    element.setAttribute("data-ready", "1");
    charts.push({ chart: chart, name: name });
  });

  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      charts.forEach(function (entry) {
        entry.chart.resize();
        entry.chart.setOption(builders[entry.name](entry.chart.getDom()));
      });
    }, 150);
  });
})();
