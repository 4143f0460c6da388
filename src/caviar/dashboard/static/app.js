// caviar dashboard: routing over the pages in core.js, table.js, study.js, trial.js,
// compare.js (a tiny single page over the JSON API). plotly.js is loaded when a page first needs
// it (CV.loadPlotly in core.js), never ahead of a study page's first paint.
"use strict";
(function () {
  function route() {
    CV.timers.forEach(clearInterval);
    CV.timers = [];
    var view = document.getElementById("view");
    CV.purgeAll(view);
    CV.holdPlotly = false;
    var parts = location.hash.replace(/^#\/?/, "").split("/");
    if (parts[0] === "compare" && parts.length >= 3) return CV.comparePage(view, parts.slice(1).filter(Boolean).map(decodeURIComponent));
    if (parts[0] === "study" && parts.length >= 2) {
      var name = decodeURIComponent(parts[1]);
      if (parts[2] === "trial" && parts[3] !== undefined) return CV.trialPage(view, name, parseInt(parts[3], 10));
      return CV.studyPage(view, name);
    }
    return CV.studiesPage(view);
  }
  CV.takeToken();
  window.addEventListener("hashchange", route);
  route();
})();
