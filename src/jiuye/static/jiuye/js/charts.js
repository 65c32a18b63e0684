/* jiuye charts: every element with data-chart (line | bar | stacked | hbar) is drawn with
   ECharts from the JSON the page put beside it (Django's json_script, its id in
   data-chart-data): {categories, series: [{name, data}], percent, links}. The labels come from
   the page, translated there; the numbers are the table's. Drawn when the page loads and after
   every HTMX swap (the dashboard's panels arrive as fragments; the big screen polls), disposed
   before their element is swapped out, resized with the window. A bar with a link (a child
   unit in a ranking) opens it. No inline script: the Content-Security-Policy allows none. */
(function () {
  "use strict";

  var charts = [];
  var locale = (document.documentElement.lang || "zh").toLowerCase().indexOf("zh") === 0 ? "ZH" : "EN";

  function readSpec(element) {
    var holder = document.getElementById(element.getAttribute("data-chart-data") || "");
    if (!holder) {
      return null;
    }
    return JSON.parse(holder.textContent);
  }

  function formatValue(percent) {
    return function (value) {
      if (value === null || value === undefined || value === "-") {
        return "—";
      }
      return percent ? Number(value).toFixed(2) + "%" : String(value);
    };
  }

  function optionFor(kind, spec, dark) {
    var percent = Boolean(spec.percent);
    var valueAxis = {
      type: "value",
      minInterval: percent ? 0 : 1,
      axisLabel: { formatter: percent ? "{value}%" : "{value}" },
      splitLine: { lineStyle: { opacity: dark ? 0.25 : 1 } }
    };
    var series = spec.series.map(function (item) {
      var drawn = {
        name: item.name,
        type: kind === "line" ? "line" : "bar",
        data: item.data,
        connectNulls: false
      };
      if (kind === "stacked") {
        drawn.stack = "total";
      }
      if (kind === "line") {
        drawn.symbolSize = 5;
      }
      if (kind === "hbar") {
        drawn.label = { show: true, position: "right", formatter: function (p) { return formatValue(percent)(p.value); } };
      }
      return drawn;
    });
    var option = {
      backgroundColor: "transparent",
      animation: false,
      tooltip: { trigger: "axis", confine: true, valueFormatter: formatValue(percent) },
      legend: { type: "scroll", top: 0, show: spec.series.length > 1 },
      grid: { left: 8, right: 24, top: spec.series.length > 1 ? 36 : 12, bottom: 8, containLabel: true },
      series: series
    };
    if (kind === "hbar") {
      option.legend = { show: false };
      option.grid.top = 8;
      option.grid.right = 56;
      option.xAxis = valueAxis;
      option.yAxis = {
        type: "category",
        data: spec.categories,
        inverse: true,
        axisLabel: { width: 120, overflow: "truncate" }
      };
    } else {
      option.xAxis = { type: "category", data: spec.categories };
      option.yAxis = valueAxis;
    }
    return option;
  }

  function draw(element) {
    if (element.getAttribute("data-chart-ready") || typeof echarts === "undefined") {
      return;
    }
    var spec = readSpec(element);
    if (!spec) {
      return;
    }
    var kind = element.getAttribute("data-chart");
    var theme = element.getAttribute("data-chart-theme");
    if (kind === "hbar") {
      element.style.height = Math.max(160, 30 * spec.categories.length + 30) + "px";
    }
    var chart = echarts.init(element, theme || null, { renderer: "canvas", locale: locale });
    chart.setOption(optionFor(kind, spec, theme === "dark"));
    if (spec.links && spec.links.length) {
      chart.on("click", function (params) {
        var url = spec.links[params.dataIndex];
        if (url) {
          window.location.href = url;
        }
      });
    }
    element.setAttribute("data-chart-ready", "true");
    charts.push(chart);
  }

  function drawAll(root) {
    if (!root || !root.querySelectorAll) {
      return;
    }
    if (root.matches && root.matches("[data-chart]")) {
      draw(root);
    }
    root.querySelectorAll("[data-chart]").forEach(draw);
  }

  function disposeIn(root) {
    if (!root || !root.querySelectorAll || typeof echarts === "undefined") {
      return;
    }
    root.querySelectorAll("[data-chart-ready]").forEach(function (element) {
      var chart = echarts.getInstanceByDom(element);
      if (chart) {
        chart.dispose();
      }
    });
    charts = charts.filter(function (chart) { return !chart.isDisposed(); });
  }

  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () {
      charts = charts.filter(function (chart) { return !chart.isDisposed(); });
      charts.forEach(function (chart) { chart.resize(); });
    }, 100);
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    disposeIn(target);
  });

  if (window.htmx && window.htmx.onLoad) {
    window.htmx.onLoad(drawAll);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document.body); });
  } else {
    drawAll(document.body);
  }
})();
