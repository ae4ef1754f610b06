// Refresh an import's progress bar while its task runs, then reload to show the results.
// The same pattern as progress.js (batch approvals), for an import job's states.
(function () {
  var box = document.getElementById("import-job");
  if (!box) return;
  var bar = document.getElementById("import-progress");
  var status = document.getElementById("import-status");
  function poll() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        bar.value = data.percent;
        status.textContent = data.state_display + " · " + data.percent + "% (" + data.processed + " / " + data.total + ")";
        if (data.state === "queued" || data.state === "running") {
          window.setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
