// The validation form: load an example record, take the format from a chosen file's
// extension, clear the form, and put the caret where the parser stopped.
"use strict";

(function () {
  const form = document.getElementById("validate-form");
  if (!form) return;
  const data = form.querySelector("textarea[name=data]");
  const format = form.querySelector("select[name=format]");
  const file = form.querySelector("input[type=file][name=file]");
  const withGraph = form.querySelector("input[name=with]");
  const fileNote = document.getElementById("file-note");
  let byExtension = {};
  try {
    byExtension = JSON.parse(form.dataset.extensions || "{}");
  } catch (err) {
    byExtension = {};
  }

  function noteFile() {
    const chosen = file && file.files && file.files[0];
    if (fileNote) {
      fileNote.textContent = chosen ? "The file " + chosen.name + " will be validated; the pasted text is ignored." : "";
    }
    return chosen;
  }

  for (const button of document.querySelectorAll("button[data-example]")) {
    button.addEventListener("click", function () {
      const source = document.getElementById(button.dataset.example);
      if (!source) return;
      data.value = source.textContent;
      format.value = "turtle";
      if (withGraph) withGraph.checked = true;
      if (file) file.value = "";
      noteFile();
      form.scrollIntoView({ block: "start" });
      data.focus();
      data.setSelectionRange(0, 0);
      data.scrollTop = 0;
    });
  }

  if (file) {
    file.addEventListener("change", function () {
      const chosen = noteFile();
      if (!chosen) return;
      const dot = chosen.name.lastIndexOf(".");
      const name = dot >= 0 ? byExtension[chosen.name.slice(dot).toLowerCase()] : undefined;
      if (name && format.querySelector('option[value="' + name + '"]')) format.value = name;
    });
  }

  const clear = document.getElementById("clear");
  if (clear) {
    clear.addEventListener("click", function () {
      data.value = "";
      if (file) file.value = "";
      noteFile();
      data.focus();
    });
  }

  // After a parse error: select the character at the line and column the parser names.
  const error = document.querySelector("[data-line]");
  if (error && data.value) {
    const line = parseInt(error.dataset.line, 10);
    const column = parseInt(error.dataset.column || "1", 10);
    const lines = data.value.split("\n");
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    offset = Math.min(offset + Math.max(0, column - 1), data.value.length);
    data.focus({ preventScroll: true });
    data.setSelectionRange(offset, Math.min(offset + 1, data.value.length));
    const lineHeight = parseFloat(getComputedStyle(data).lineHeight) || 18;
    data.scrollTop = Math.max(0, (line - 4) * lineHeight);
  }
})();
