// Steward portal: the only script. Pages work without it; it stops a
// decision from being sent twice while the server merges and publishes, and
// shows the column filter of long tables (their columns are in a <details>
// that works without it).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.method && form.method.toLowerCase() === "post") {
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  }
});

// <input data-filter-table="ID">: keeps the rows of table ID whose
// data-name contains what is typed (any case), and says how many.
document.querySelectorAll("input[data-filter-table]").forEach(function (input) {
  var table = document.getElementById(input.getAttribute("data-filter-table"));
  if (!table || !table.tBodies.length) { return; }
  var box = input.closest(".col-filter");
  var count = box && box.querySelector(".col-count");
  if (box) { box.hidden = false; }
  var rows = table.tBodies[0].rows;
  input.addEventListener("input", function () {
    var q = input.value.trim().toLowerCase();
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var name = (rows[i].getAttribute("data-name") || "").toLowerCase();
      var keep = q === "" || name.indexOf(q) !== -1;
      rows[i].hidden = !keep;
      if (keep) { shown++; }
    }
    if (count) { count.textContent = q === "" ? "" : shown + " of " + rows.length + " columns"; }
  });
});
