/* The 统计报表 charts (reports/dashboard_panel.html): each panel's table is
   the page without JavaScript, on paper and for screen readers; this draws
   its chart with the vendored ECharts, shows it in the table's place, and
   offers a button to switch between the two. Clicking a bar, a point or a
   slice opens the list of the records it counts (the table's link).

   Under the Content-Security-Policy: no inline script (the data is a
   json_script block), the tooltip drawn on the canvas (richText: the HTML
   tooltip writes style attributes), sizes set through the CSSOM. */
(function () {
  "use strict";

  var PALETTE = ["#206bc4", "#2fb344", "#f59f00", "#d63939", "#4299e1", "#ae3ec9", "#667382"];

  function option(spec) {
    var unit = spec.unit || "";
    var base = {
      aria: {enabled: true},
      color: spec.colors || PALETTE,
      animation: false,
      tooltip: {renderMode: "richText", trigger: spec.type === "pie" ? "item" : "axis",
                valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + unit; }},
      legend: {top: 0, type: "scroll"},
    };
    if (spec.type === "pie") {
      var s = spec.series[0];
      base.series = [{
        type: "pie", name: s.name, radius: ["35%", "65%"], top: 30,
        label: {formatter: "{b}：{c}"},
        data: spec.labels.map(function (label, i) { return {name: label, value: s.data[i]}; }),
      }];
      return base;
    }
    var many = spec.labels.length > 12;
    var category = {type: "category", data: spec.labels, axisLabel: {interval: 0, width: 110, overflow: "truncate"}};
    var value = {type: "value", axisLabel: {formatter: "{value}" + unit}};
    if (unit === "%") { value.max = 100; }
    // Many rows (a national ranking): horizontal bars, first row on top.
    if (many && spec.type !== "line") {
      category.inverse = true;
      base.yAxis = category;
      base.xAxis = value;
    } else {
      if (spec.type === "line") { category.axisLabel = {}; }
      base.xAxis = category;
      base.yAxis = value;
    }
    base.grid = {left: 8, right: 16, top: 40, bottom: 8, containLabel: true};
    if (many && spec.type !== "line" && spec.labels.length > 30) {
      base.dataZoom = [{type: "slider", yAxisIndex: 0, startValue: 0, endValue: 29, right: 0}, {type: "inside", yAxisIndex: 0}];
      base.grid.right = 40;
    }
    base.series = spec.series.map(function (s) {
      return {
        type: spec.type === "line" ? "line" : "bar", name: s.name, data: s.data,
        stack: spec.type === "stack" ? "total" : undefined, barMaxWidth: 56,
        cursor: "pointer", emphasis: {focus: "series"},
      };
    });
    return base;
  }

  function height(spec) {
    if (spec.type !== "line" && spec.labels.length > 12) {
      return Math.min(spec.labels.length, 30) * 26 + 80;
    }
    return 320;
  }

  function draw(box) {
    var source = document.getElementById(box.dataset.chart);
    if (!source || typeof echarts === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var panel = box.closest(".sj-panel");
    var table = panel.querySelector(".sj-chart-table");
    var toggle = panel.querySelector(".sj-view-toggle");
    box.hidden = false;
    box.style.height = height(spec) + "px";
    table.classList.add("d-none");
    var chart = echarts.init(box);
    chart.setOption(option(spec));
    chart.on("click", function (params) {
      var series = spec.series[params.seriesIndex];
      var url = series && series.urls[params.dataIndex];
      if (url) { window.location.assign(url); }
    });
    window.addEventListener("resize", function () { chart.resize(); });
    box.sjChart = chart;
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var showTable = table.classList.contains("d-none");
        table.classList.toggle("d-none", !showTable);
        box.hidden = showTable;
        toggle.setAttribute("aria-pressed", showTable ? "true" : "false");
        toggle.textContent = showTable ? toggle.dataset.chartLabel : toggle.dataset.tableLabel;
        if (!showTable) { chart.resize(); }
      });
    }
  }

  function start() {
    document.querySelectorAll(".sj-chart[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
