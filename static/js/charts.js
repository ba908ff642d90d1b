// Charts: every element with data-chart="<id of a json_script>" is drawn with Apache ECharts as
// SVG (tenancy/common/charts.py builds the data; components/chart.html the markup and the table).
(function () {
  "use strict";

  function formatter(spec) {
    var number = new Intl.NumberFormat("en-US", {
      minimumFractionDigits: spec.places,
      maximumFractionDigits: spec.places,
    });
    return function (value) {
      return number.format(value) + (spec.unit ? " " + spec.unit : "");
    };
  }

  function draw(element) {
    if (!window.echarts || element.getAttribute("data-chart-drawn")) {
      return;
    }
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var format = formatter(spec);
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: format },
      legend: { top: 0 },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: spec.categories },
      yAxis: { type: "value", axisLabel: { formatter: function (v) { return new Intl.NumberFormat("en-US", { notation: "compact" }).format(v); } } },
      series: spec.series.map(function (series) {
        return {
          name: series.name,
          type: spec.kind,
          data: series.data,
          stack: spec.stacked ? "total" : undefined,
          itemStyle: series.color ? { color: series.color } : undefined,
          lineStyle: series.color ? { color: series.color } : undefined,
          showSymbol: spec.kind === "line",
        };
      }),
    });
    element.setAttribute("data-chart-drawn", "1");
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    drawAll(event.target);
  });
})();
