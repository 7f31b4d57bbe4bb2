/* The page of an example query (/queries/NAME):
 * - a parameter whose options depend on another (the sentences of a source) reloads its
 *   list from /queries/NAME/options/PARAM when that other parameter changes;
 * - the result table sorts by a column when its heading is clicked (numbers as numbers). */
(function () {
  "use strict";

  var form = document.getElementById("query-params");

  function reloadOptions(select) {
    var source = form.elements[select.dataset.dependsOn];
    if (!source) { return; }
    var url = select.dataset.optionsUrl + "?" + new URLSearchParams([[source.name, source.value]]).toString();
    select.disabled = true;
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { return response.text().then(function (t) { throw new Error(t); }); }
        return response.json();
      })
      .then(function (options) {
        select.replaceChildren();
        options.forEach(function (o) {
          var option = document.createElement("option");
          option.value = o.value;
          option.textContent = o.label;
          select.appendChild(option);
        });
        select.removeAttribute("aria-invalid");
      })
      .catch(function (err) {
        select.setAttribute("aria-invalid", "true");
        select.title = String(err.message || err);
      })
      .finally(function () { select.disabled = false; });
  }

  if (form) {
    form.querySelectorAll("select[data-depends-on]").forEach(function (select) {
      var source = form.elements[select.dataset.dependsOn];
      if (source) {
        source.addEventListener("change", function () { reloadOptions(select); });
      }
    });
  }

  // Sorting the result table.
  var table = document.getElementById("results");
  if (!table || !table.tBodies.length) { return; }
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function cellValue(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }

  function compare(a, b) {
    var x = Number(a), y = Number(b);
    if (a !== "" && b !== "" && !isNaN(x) && !isNaN(y)) { return x - y; }
    if (a === "" || a === "—") { return b === "" || b === "—" ? 0 : 1; }
    if (b === "" || b === "—") { return -1; }
    return collator.compare(a, b);
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    th.tabIndex = 0;
    function sort() {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (r1, r2) {
        var order = compare(cellValue(r1, index), cellValue(r2, index));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
    });
  });
})();
