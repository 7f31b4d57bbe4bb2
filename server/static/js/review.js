// The review page: a finding's "Show in text" marks its quote and scrolls it into view;
// a click on a highlighted quote goes to its finding. Without this script the links still
// jump to the quote (#q-ID) and every decision is a plain form field.
(function () {
  "use strict";
  var text = document.getElementById("review-text");
  if (!text) { return; }
  var marks = Array.prototype.slice.call(text.querySelectorAll("mark.hl"));

  function idsOf(mark) { return (mark.getAttribute("data-f") || "").split(" ").filter(Boolean); }

  function clear() {
    document.querySelectorAll(".current").forEach(function (el) { el.classList.remove("current"); });
  }

  function markQuote(fid) {
    var first = null;
    marks.forEach(function (m) {
      if (idsOf(m).indexOf(fid) >= 0) {
        m.classList.add("current");
        if (!first) { first = m; }
      }
    });
    return first;
  }

  function showInText(fid) {
    clear();
    var item = document.getElementById("f-" + fid);
    if (item) { item.classList.add("current"); }
    var first = markQuote(fid);
    if (first) { first.scrollIntoView({block: "center"}); }
  }

  function goToFinding(fid) {
    clear();
    markQuote(fid);
    var item = document.getElementById("f-" + fid);
    if (!item) { return; }
    item.classList.add("current");
    item.scrollIntoView({block: "center"});
    item.focus({preventScroll: true});
  }

  document.querySelectorAll("a.show[data-finding]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      showInText(link.getAttribute("data-finding"));
    });
  });

  text.addEventListener("click", function (event) {
    var mark = event.target.closest ? event.target.closest("mark.hl") : null;
    if (!mark) { return; }
    var ids = idsOf(mark);  // the shortest quote first
    if (ids.length) { goToFinding(ids[0]); }
  });

  // A correction typed in means "correct": choose that radio button.
  document.querySelectorAll(".corrections input, .corrections select").forEach(function (field) {
    field.addEventListener("input", function () {
      var item = field.closest("li.finding");
      var radio = item && item.querySelector("input[type=radio][value=correct]");
      if (radio && field.value) { radio.checked = true; }
    });
  });
})();
