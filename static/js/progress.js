// Refresh a running job's progress bar until it has finished, then reload to show the result.
(function () {
  var box = document.getElementById("batch");
  if (!box) return;
  var bar = document.getElementById("batch-progress");
  var status = document.getElementById("batch-status");
  function poll() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        bar.value = data.percent;
        status.textContent = data.percent + "%";
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
