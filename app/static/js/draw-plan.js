// Live allocation table on the draw page: re-computed by the server as the plan form changes.
// Without JavaScript the "save the plan" button does the same with a page load.
(function () {
  "use strict";
  var form = document.getElementById("plan-form");
  var table = document.getElementById("allocation-table");
  var problem = document.getElementById("allocation-problem");
  if (!form || !table) { return; }
  var timer = null;

  function cell(tag, text) {
    var el = document.createElement(tag);
    if (tag === "th") { el.setAttribute("scope", "row"); }
    el.textContent = text;
    return el;
  }

  function render(data) {
    problem.hidden = !data.problem;
    problem.textContent = data.problem || data.error || "";
    if (data.error) { problem.hidden = false; return; }
    var body = table.tBodies[0];
    body.textContent = "";
    var eligible = 0, drawn = 0;
    data.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.appendChild(cell("th", row.stratum));
      tr.appendChild(cell("td", row.eligible));
      tr.appendChild(cell("td", row.drawn));
      tr.appendChild(cell("td", row.probability.toFixed(4)));
      body.appendChild(tr);
      eligible += row.eligible;
      drawn += row.drawn;
    });
    var totals = table.tFoot.rows[0].cells;
    totals[1].textContent = eligible;
    totals[2].textContent = drawn;
  }

  function refresh() {
    var params = new URLSearchParams(new FormData(form));
    params.delete("csrf_token");
    fetch(form.dataset.previewUrl + "?" + params.toString(), {headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(render)
      .catch(function () { /* keep the last table; the save button still works */ });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
}());
