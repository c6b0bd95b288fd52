// Start loading plotly.js (4.8 MB) as soon as the page opens, while the server builds the page.
// dcc.Graph would only ask for it once a graph is on the page, and Dash holds every callback that
// touches a graph until it has loaded: measured, that put 0.7-1.4 s on top of each page with graphs
// (docs/performance.md). dcc.Graph uses window.Plotly when it is there.
(function () {
    "use strict";
    if (window.Plotly) {
        return;
    }
    var config = document.getElementById("_dash-config");
    var prefix = "/dash/";
    try {
        prefix = JSON.parse(config.textContent).requests_pathname_prefix || prefix;
    } catch (e) { /* keep the default prefix */ }
    var script = document.createElement("script");
    script.src = prefix + "_dash-component-suites/plotly/package_data/plotly.min.js";
    script.async = true;
    document.head.appendChild(script);
}());
