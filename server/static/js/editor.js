/* The query editor at /sparql: highlighting as you type, Ctrl+Enter (Cmd+Enter) to run, the query
 * kept in the URL, results as a sortable table (our IRIs linked to their pages here), CONSTRUCT and
 * DESCRIBE results as Turtle, downloads, and syntax errors marked where they are.
 * Needs /static/js/sparql-highlight.js (window.SparqlHighlight), loaded before this file. */
(function () {
  "use strict";

  var root = document.getElementById("editor");
  if (!root || !window.SparqlHighlight) return;

  var endpoint = root.getAttribute("data-endpoint");
  var siteNs = root.getAttribute("data-site-ns");
  var ontologyNs = root.getAttribute("data-ontology-ns");
  var prefixes = JSON.parse(root.getAttribute("data-prefixes") || "{}");

  var form = document.getElementById("query-form");
  var textarea = document.getElementById("query");
  var highlight = document.getElementById("query-highlight");
  var gutter = document.getElementById("query-gutter");
  var runButton = document.getElementById("run");
  var copyButton = document.getElementById("copy-link");
  var shareUrl = document.getElementById("share-url");
  var status = document.getElementById("run-status");
  var errorBox = document.getElementById("query-error");
  var section = document.getElementById("result-section");
  var countEl = document.getElementById("result-count");
  var timeEl = document.getElementById("result-time");
  var truncatedEl = document.getElementById("result-truncated");
  var askEl = document.getElementById("result-ask");
  var tableWrap = document.getElementById("results-wrap");
  var table = document.getElementById("results");
  var moreBox = document.getElementById("results-more");
  var moreButton = document.getElementById("show-more");
  var turtle = document.getElementById("turtle");
  var downloadsSolutions = document.getElementById("downloads-solutions");
  var downloadsGraph = document.getElementById("downloads-graph");

  var SOLUTION_DOWNLOADS = { csv: "download-csv", tsv: "download-tsv", json: "download-json" };
  // "CSV for Excel": the same CSV with a UTF-8 byte order mark (bom=1), so that Excel reads Chinese right.
  var EXCEL_DOWNLOAD = "download-csv-excel";
  var GRAPH_DOWNLOADS = { turtle: "download-turtle", ntriples: "download-ntriples", jsonld: "download-jsonld" };
  var FIRST_ROWS = 1000; // rows drawn at once; "Show all rows" draws the rest

  // ---------------------------------------------------------------------------------------------
  // The editor: a transparent textarea over a highlighted <pre>, with line numbers beside it.

  var errorMark = null; // {line, column, offset} of the last syntax error, until the text changes
  var tabReleased = false; // after Esc, Tab moves the focus on instead of indenting

  function render() {
    var text = textarea.value;
    var options = errorMark ? { markAt: errorMark.offset } : null;
    // The trailing lines let the layer scroll as far as the textarea (whose scrollbar takes room).
    highlight.innerHTML = SparqlHighlight.toHTML(text, options) + "\n\n\n";
    renderGutter(text);
    fitHeight(text);
    syncScroll();
  }

  function renderGutter(text) {
    var lines = 1;
    for (var i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
    var parts = [];
    for (var n = 1; n <= lines; n++) {
      if (errorMark && errorMark.line === n) {
        parts.push("<span class=\"error-line\" title=\"syntax error here\">" + n + "</span>");
      } else {
        parts.push(String(n));
      }
    }
    gutter.innerHTML = parts.join("\n") + "\n\n\n";
  }

  // The textarea grows with the query (up to most of the window) until the user resizes it.
  var fittedHeight = null;

  function fitHeight(text) {
    if (fittedHeight !== null && Math.abs(textarea.offsetHeight - fittedHeight) > 1) return; // resized by hand
    var lines = 1;
    for (var i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
    var style = getComputedStyle(textarea);
    var lineHeight = parseFloat(style.lineHeight) || 21;
    var chrome = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) + lineHeight; // room for a scrollbar
    var wanted = Math.ceil((lines + 1) * lineHeight + chrome);
    var most = Math.max(16 * lineHeight, Math.floor(window.innerHeight * 0.7));
    var height = Math.max(10 * lineHeight, Math.min(wanted, most));
    if (Math.abs(height - textarea.offsetHeight) > 1) textarea.style.height = height + "px";
    fittedHeight = textarea.offsetHeight;
  }

  function syncScroll() {
    highlight.scrollTop = textarea.scrollTop;
    highlight.scrollLeft = textarea.scrollLeft;
    gutter.scrollTop = textarea.scrollTop;
  }

  /** Replace the selection by `text`, keeping the browser's undo history where it can. */
  function insertText(text) {
    textarea.focus();
    var done = false;
    try {
      done = document.execCommand("insertText", false, text);
    } catch (e) {
      done = false;
    }
    if (!done) {
      textarea.setRangeText(text, textarea.selectionStart, textarea.selectionEnd, "end");
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  var INDENT = "  ";

  /** Tab: indent (Shift+Tab: outdent) the selected lines, or insert spaces at the caret. */
  function indent(outdent) {
    var value = textarea.value;
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var multiLine = value.slice(start, end).indexOf("\n") !== -1;
    if (!multiLine && !outdent) {
      insertText(INDENT);
      return;
    }
    var lineStart = value.lastIndexOf("\n", start - 1) + 1;
    var blockEnd = end > start && value.charAt(end - 1) === "\n" ? end - 1 : end;
    var lineEnd = value.indexOf("\n", blockEnd);
    if (lineEnd === -1) lineEnd = value.length;
    var lines = value.slice(lineStart, lineEnd).split("\n");
    var changed = lines.map(function (line) {
      if (!outdent) return line.length ? INDENT + line : line;
      var strip = line.match(/^ {1,2}|^\t/);
      return strip ? line.slice(strip[0].length) : line;
    });
    var block = changed.join("\n");
    if (block === lines.join("\n")) return;
    textarea.setSelectionRange(lineStart, lineEnd);
    insertText(block);
    if (multiLine) {
      textarea.setSelectionRange(lineStart, lineStart + block.length);
    } else {
      var removed = lines[0].length - changed[0].length;
      var caret = Math.max(lineStart, start - removed);
      textarea.setSelectionRange(caret, caret);
    }
  }

  /** Enter keeps the indentation of the line it breaks. */
  function newlineWithIndent() {
    var value = textarea.value;
    var lineStart = value.lastIndexOf("\n", textarea.selectionStart - 1) + 1;
    var leading = value.slice(lineStart, textarea.selectionStart).match(/^[ \t]*/)[0];
    insertText("\n" + leading);
  }

  textarea.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
      return;
    }
    if (event.key === "Shift" || event.key === "Control" || event.key === "Alt" || event.key === "Meta") return;
    if (event.key === "Escape") {
      tabReleased = true;
      return;
    }
    if (event.key === "Tab" && !event.ctrlKey && !event.altKey && !event.metaKey) {
      if (tabReleased) return; // let the focus move on
      event.preventDefault();
      indent(event.shiftKey);
      return;
    }
    tabReleased = false;
    if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.isComposing) {
      event.preventDefault();
      newlineWithIndent();
    }
  });
  textarea.addEventListener("input", function () {
    if (errorMark) {
      errorMark = null;
      gutter.removeAttribute("title");
    }
    render();
  });
  textarea.addEventListener("scroll", syncScroll);
  textarea.addEventListener("blur", function () { tabReleased = false; });
  // A resized textarea (its corner handle) scrolls differently: keep the layers aligned.
  if (window.ResizeObserver) new ResizeObserver(syncScroll).observe(textarea);

  // ---------------------------------------------------------------------------------------------
  // Terms: links for our IRIs, compact names, literals with their language or datatype.

  /** The path of one of our IRIs on this server (as pilotkg.server.site.local_path), else null. */
  function localPath(iri) {
    if (iri.indexOf(ontologyNs) === 0) return "/ontology#" + iri.slice(ontologyNs.length);
    if (iri === ontologyNs.replace(/#$/, "")) return "/ontology";
    if (iri.indexOf(siteNs) === 0) return "/" + iri.slice(siteNs.length);
    return null;
  }

  /** "pk:PilotZone" for an IRI in a known namespace (the longest wins), else the IRI. */
  function compact(iri) {
    var best = null;
    Object.keys(prefixes).forEach(function (prefix) {
      var ns = prefixes[prefix];
      if (iri.indexOf(ns) === 0 && (best === null || ns.length > prefixes[best].length)) best = prefix;
    });
    if (best === null) return iri;
    var local = iri.slice(prefixes[best].length);
    if (!local || /[\/#?]/.test(local)) return best === "pkr" ? "pkr:" + local : iri;
    return best + ":" + local;
  }

  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var NUMERIC_TYPES = {};
  ["integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger",
    "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong",
    "unsignedShort", "unsignedByte"].forEach(function (t) { NUMERIC_TYPES[XSD + t] = true; });
  var PLAIN_TYPES = {};
  PLAIN_TYPES[XSD + "string"] = true;
  PLAIN_TYPES["http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"] = true;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function iriNode(iri) {
    var local = localPath(iri);
    var node;
    if (local !== null) {
      node = el("a");
      node.href = local;
    } else if (/^https?:\/\//i.test(iri)) {
      node = el("a", "external");
      node.href = iri;
      node.rel = "noopener noreferrer";
    } else {
      node = el("span", "iri-other"); // urn:, mailto:, javascript: ... never a link
    }
    appendBreakable(node, compact(iri));
    node.title = iri;
    return node;
  }

  /** Append `text` with a line-break opportunity after each "/" and "#" (long IRIs wrap there). */
  function appendBreakable(node, text) {
    var parts = text.split(/(?<=[\/#])/);
    parts.forEach(function (part, i) {
      node.appendChild(document.createTextNode(part));
      if (i < parts.length - 1) node.appendChild(document.createElement("wbr"));
    });
  }

  /** The nodes showing one RDF term of a JSON result (a cell's content). */
  function termNodes(term) {
    if (term.type === "uri") return [iriNode(term.value)];
    if (term.type === "bnode") return [el("span", "bnode", "_:" + term.value)];
    if (term.type === "triple") {
      var t = term.value || {};
      var nodes = [document.createTextNode("<< ")];
      [t.subject, t.predicate, t.object].forEach(function (part) {
        if (part) nodes = nodes.concat(termNodes(part), [document.createTextNode(" ")]);
      });
      nodes.push(document.createTextNode(">>"));
      return nodes;
    }
    // a literal
    var lit = el("span", "literal", term.value);
    var lang = term["xml:lang"];
    var nodes2 = [lit];
    if (lang) {
      lit.setAttribute("lang", lang);
      nodes2.push(el("span", "lang", "@" + lang));
    } else if (term.datatype && !PLAIN_TYPES[term.datatype]) {
      if (NUMERIC_TYPES[term.datatype]) {
        lit.title = compact(term.datatype);
      } else {
        var dt = el("span", "datatype", compact(term.datatype));
        dt.title = term.datatype;
        nodes2.push(dt);
      }
    }
    return nodes2;
  }

  function isNumeric(term) {
    return term && (term.type === "literal" || term.type === "typed-literal") && !!NUMERIC_TYPES[term.datatype];
  }

  // ---------------------------------------------------------------------------------------------
  // The results table: sortable by any column (numbers as numbers, stable), drawn in batches.

  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var current = null; // {vars, rows: [{index, binding}], shown, sortColumn, sortDirection}

  function sortText(term) {
    if (!term) return "";
    if (term.type === "uri") return compact(term.value);
    if (term.type === "triple") return JSON.stringify(term.value);
    return term.value;
  }

  var NUMBER = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

  /** Compare two rows on `name`; unbound values last, numbers as numbers, then natural text order. */
  function comparator(name, direction, numericColumn) {
    return function (a, b) {
      var x = a.binding[name];
      var y = b.binding[name];
      var result;
      if (!x || !y) {
        result = !x && !y ? 0 : (!x ? 1 : -1);
        return result || a.index - b.index; // unbound last in either direction
      }
      if (numericColumn) {
        result = parseFloat(x.value) - parseFloat(y.value);
      } else {
        result = collator.compare(sortText(x), sortText(y));
      }
      return result * direction || a.index - b.index;
    };
  }

  function numericColumn(name) {
    var seen = false;
    for (var i = 0; i < current.rows.length; i++) {
      var term = current.rows[i].binding[name];
      if (!term) continue;
      if (term.type !== "literal" && term.type !== "typed-literal") return false;
      if (!(isNumeric(term) || NUMBER.test(term.value)) || isNaN(parseFloat(term.value))) return false;
      seen = true;
    }
    return seen;
  }

  function sortBy(column) {
    var name = current.vars[column];
    var direction = current.sortColumn === column && current.sortDirection === 1 ? -1 : 1;
    current.rows.sort(comparator(name, direction, numericColumn(name)));
    current.sortColumn = column;
    current.sortDirection = direction;
    var headers = table.tHead.rows[0].cells;
    for (var i = 0; i < headers.length; i++) {
      headers[i].setAttribute("aria-sort", i === column ? (direction === 1 ? "ascending" : "descending") : "none");
    }
    drawRows();
  }

  function drawHeader() {
    var thead = table.tHead;
    thead.textContent = "";
    var tr = document.createElement("tr");
    current.vars.forEach(function (name, column) {
      var th = el("th", "sortable", name);
      th.scope = "col";
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      th.title = "Sort by ?" + name + " (click again to reverse)";
      th.addEventListener("click", function () { sortBy(column); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(column);
        }
      });
      tr.appendChild(th);
    });
    thead.appendChild(tr);
  }

  function drawRows() {
    var tbody = table.tBodies[0];
    var fragment = document.createDocumentFragment();
    var limit = Math.min(current.shown, current.rows.length);
    for (var r = 0; r < limit; r++) {
      var binding = current.rows[r].binding;
      var tr = document.createElement("tr");
      for (var c = 0; c < current.vars.length; c++) {
        var term = binding[current.vars[c]];
        var td = document.createElement("td");
        if (term) {
          termNodes(term).forEach(function (node) { td.appendChild(node); });
          if (isNumeric(term)) td.className = "num";
        }
        tr.appendChild(td);
      }
      fragment.appendChild(tr);
    }
    tbody.textContent = "";
    tbody.appendChild(fragment);
    var hidden = current.rows.length - limit;
    moreBox.hidden = hidden <= 0;
    if (hidden > 0) moreButton.textContent = "Show all " + current.rows.length + " rows (" + hidden + " more)";
  }

  moreButton.addEventListener("click", function () {
    if (!current) return;
    current.shown = current.rows.length;
    drawRows();
  });

  // ---------------------------------------------------------------------------------------------
  // Running a query, the URL, downloads.

  function datasetParams() {
    var params = [];
    ["default-graph-uri", "named-graph-uri"].forEach(function (name) {
      var inputs = form.querySelectorAll("input[type=hidden][name=\"" + name + "\"]");
      for (var i = 0; i < inputs.length; i++) params.push([name, inputs[i].value]);
    });
    return params;
  }

  function queryParams(query, extra) {
    var params = new URLSearchParams();
    params.set("query", query);
    datasetParams().forEach(function (p) { params.append(p[0], p[1]); });
    (extra || []).forEach(function (p) { params.set(p[0], p[1]); });
    return params;
  }

  /** The editor's own URL for `query`: opening it fills the editor in and runs the query. */
  function shareableUrl(query) {
    return endpoint + "?" + queryParams(query).toString();
  }

  function keepInUrl(query) {
    try {
      history.replaceState(null, "", shareableUrl(query));
    } catch (e) {
      // a URL too long for the browser's history: the query still runs
    }
  }

  function setDownloads(query, kind) {
    var links = kind === "graph" ? GRAPH_DOWNLOADS : SOLUTION_DOWNLOADS;
    Object.keys(links).forEach(function (format) {
      var a = document.getElementById(links[format]);
      a.href = endpoint + "?" + queryParams(query, [["format", format], ["download", "1"]]).toString();
    });
    document.getElementById(EXCEL_DOWNLOAD).href =
      endpoint + "?" + queryParams(query, [["format", "csv"], ["download", "1"], ["bom", "1"]]).toString();
    downloadsSolutions.hidden = kind === "graph";
    downloadsGraph.hidden = kind !== "graph";
  }

  function setStatus(text, running) {
    status.textContent = text;
    status.classList.toggle("running", !!running);
  }

  function clearResults() {
    section.hidden = true;
    askEl.hidden = true;
    tableWrap.hidden = true;
    moreBox.hidden = true;
    turtle.hidden = true;
    truncatedEl.hidden = true;
    table.tHead.textContent = "";
    table.tBodies[0].textContent = "";
    turtle.textContent = "";
    current = null;
  }

  function hideError() {
    errorBox.hidden = true;
    errorBox.textContent = "";
  }

  function plural(n, one, many) {
    return n.toLocaleString("en") + " " + (n === 1 ? one : many);
  }

  function formatMs(ms) {
    return ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(2) + " s";
  }

  var controller = null;

  function run() {
    var query = textarea.value;
    if (!query.trim()) {
      clearResults();
      showError("Nothing to run", "The editor is empty: write a query first.", null);
      return;
    }
    if (controller) controller.abort();
    var mine = controller = new AbortController();
    keepInUrl(query);
    setStatus("Running…", true);
    runButton.setAttribute("aria-busy", "true");
    section.setAttribute("aria-busy", "true");
    var started = performance.now();
    fetch(endpoint, {
      method: "POST",
      headers: { "Accept": "application/sparql-results+json, text/turtle;q=0.9" },
      body: queryParams(query),
      signal: mine.signal,
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      return response.text().then(function (body) { return { response: response, body: body }; });
    }).then(function (answer) {
      if (mine !== controller) return;
      var elapsed = performance.now() - started;
      finish();
      if (!answer.response.ok) {
        clearResults();
        showFailure(answer.response, answer.body, query);
        setStatus("Failed after " + formatMs(elapsed));
        return;
      }
      hideError();
      show(answer.response, answer.body, query, elapsed);
      setStatus("");
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      if (mine !== controller) return;
      finish();
      clearResults();
      showError("The query could not be sent", "The server did not answer (" + (err && err.message || err) +
        "). Is it still running?", null);
      setStatus("");
    });
  }

  function finish() {
    controller = null;
    runButton.removeAttribute("aria-busy");
    section.removeAttribute("aria-busy");
  }

  function show(response, body, query, elapsed) {
    var type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
    var rows = parseInt(response.headers.get("X-Pilotkg-Rows") || "", 10);
    var truncated = response.headers.get("X-Pilotkg-Truncated") === "true";
    var rowLimit = response.headers.get("X-Pilotkg-Row-Limit") || root.getAttribute("data-row-limit");
    clearResults();
    section.hidden = false;
    timeEl.textContent = "in " + formatMs(elapsed);
    if (type === "text/turtle") {
      setDownloads(query, "graph");
      var triples = isNaN(rows) ? null : rows;
      countEl.textContent = triples === null ? "Triples" : plural(triples, "triple", "triples");
      turtle.innerHTML = body.trim() ? SparqlHighlight.toHTML(body) : "";
      if (!body.trim()) turtle.textContent = "# no triples";
      else linkTurtle(body);
      turtle.hidden = false;
      showTruncation(truncated, rowLimit, "triples");
      return;
    }
    var data;
    try {
      data = JSON.parse(body);
    } catch (e) {
      showError("Unexpected answer", "The server sent results that could not be read (" + type + ").", null);
      section.hidden = true;
      return;
    }
    setDownloads(query, "solutions");
    if (typeof data.boolean === "boolean") {
      countEl.textContent = "ASK: " + (data.boolean ? "yes" : "no");
      askEl.textContent = "";
      askEl.appendChild(document.createTextNode(data.boolean ? "Yes" : "No"));
      askEl.appendChild(el("span", "muted", data.boolean ? " — the pattern has at least one match." : " — the pattern has no match."));
      askEl.className = "ask-answer " + (data.boolean ? "yes" : "no");
      askEl.hidden = false;
      return;
    }
    var vars = (data.head && data.head.vars) || [];
    var bindings = (data.results && data.results.bindings) || [];
    current = {
      vars: vars,
      rows: bindings.map(function (binding, index) { return { index: index, binding: binding }; }),
      shown: FIRST_ROWS,
      sortColumn: -1,
      sortDirection: 0
    };
    countEl.textContent = plural(bindings.length, "row", "rows");
    drawHeader();
    drawRows();
    tableWrap.hidden = false;
    showTruncation(truncated, rowLimit, "rows");
  }

  var TURTLE_PREFIX = /^\s*(?:@prefix|PREFIX)\s+([^\s:]*):\s*<([^>]*)>/gim;
  var MAX_TURTLE_LINKS = 20000;

  /** Turn the IRIs and prefixed names of ours in the highlighted Turtle into links to their pages. */
  function linkTurtle(text) {
    var declared = {};
    var m;
    TURTLE_PREFIX.lastIndex = 0;
    var namespaces = {};
    while ((m = TURTLE_PREFIX.exec(text)) !== null) {
      declared[m[1]] = m[2];
      namespaces[m[2]] = true;
    }
    var names = turtle.querySelectorAll(".tok-iri, .tok-pname");
    if (names.length > MAX_TURTLE_LINKS) return;
    for (var i = 0; i < names.length; i++) {
      var span = names[i];
      var token = span.textContent;
      var iri = null;
      if (span.classList.contains("tok-iri")) {
        iri = token.slice(1, -1);
        if (namespaces[iri]) continue; // a prefix declaration's namespace, not a resource
      } else {
        var colon = token.indexOf(":");
        var ns = declared[token.slice(0, colon)];
        var local = token.slice(colon + 1);
        if (ns !== undefined && local) iri = ns + local.replace(/\\(.)/g, "$1");
      }
      var path = iri === null ? null : localPath(iri);
      if (path === null) continue;
      var a = el("a", span.className, token);
      a.href = path;
      a.title = iri;
      span.replaceWith(a);
    }
  }

  function showTruncation(truncated, rowLimit, what) {
    truncatedEl.hidden = !truncated;
    if (truncated) {
      truncatedEl.textContent = "Truncated: the server returns at most " + Number(rowLimit).toLocaleString("en") + " " +
        what + " (its row limit). Add LIMIT and OFFSET to page through, or narrow the query.";
    }
  }

  var POSITION = /line (\d+), column (\d+)/;

  function showFailure(response, body, query) {
    var message = body.trim() || response.statusText;
    var status = response.status;
    if (status === 400 && /^malformed query:/.test(message)) {
      var m = POSITION.exec(message);
      var position = m ? markError(query, parseInt(m[1], 10), parseInt(m[2], 10)) : null;
      showError(position ? "Syntax error at line " + position.line + ", column " + position.column : "Syntax error",
        message, position);
      return;
    }
    if (status === 503) {
      showError("The query was stopped (" + status + ")", message, null);
      return;
    }
    if (status === 400) {
      showError("The query was refused (" + status + ")", message, null);
      return;
    }
    showError("The server answered " + status + (response.statusText ? " " + response.statusText : ""), message, null);
  }

  function showError(title, message, position) {
    errorBox.textContent = "";
    errorBox.appendChild(el("span", "what", title));
    errorBox.appendChild(document.createTextNode(message));
    if (position) {
      var go = el("button", "secondary", "Show in the query");
      go.type = "button";
      go.addEventListener("click", function () { moveCaret(position); });
      errorBox.appendChild(document.createElement("br"));
      errorBox.appendChild(go);
    }
    errorBox.hidden = false;
  }

  /** The UTF-16 offset of a 1-based line and column counted in characters (code points). */
  function offsetOf(text, line, column) {
    var offset = 0;
    for (var l = 1; l < line; l++) {
      var next = text.indexOf("\n", offset);
      if (next === -1) return text.length;
      offset = next + 1;
    }
    for (var c = 1; c < column && offset < text.length && text.charAt(offset) !== "\n"; c++) {
      offset += text.codePointAt(offset) > 0xffff ? 2 : 1;
    }
    return offset;
  }

  /** Mark the error position in the editor (if the text is still the query that failed). */
  function markError(query, line, column) {
    var position = { line: line, column: column, offset: offsetOf(query, line, column) };
    if (textarea.value !== query) return position;
    errorMark = position;
    render();
    moveCaret(position);
    return position;
  }

  function moveCaret(position) {
    if (textarea.value.length < position.offset) return;
    textarea.focus({ preventScroll: true });
    textarea.setSelectionRange(position.offset, position.offset);
    var lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 21;
    var top = (position.line - 1) * lineHeight;
    if (top < textarea.scrollTop || top > textarea.scrollTop + textarea.clientHeight - 2 * lineHeight) {
      textarea.scrollTop = Math.max(0, top - textarea.clientHeight / 3);
    }
    syncScroll();
    var box = textarea.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) textarea.scrollIntoView({ block: "nearest" });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });

  // ---------------------------------------------------------------------------------------------
  // The example queries menu: loads an example into the editor (Ctrl+Z brings the old text back).

  var exampleSelect = document.getElementById("example-select");
  if (exampleSelect) {
    exampleSelect.addEventListener("change", function () {
      var option = exampleSelect.options[exampleSelect.selectedIndex];
      exampleSelect.selectedIndex = 0;
      if (!option || !option.value) return;
      textarea.focus();
      textarea.setSelectionRange(0, textarea.value.length);
      insertText(option.getAttribute("data-query"));
      textarea.setSelectionRange(0, 0);
      textarea.scrollTop = 0;
      syncScroll();
      var params = (option.getAttribute("data-params") || "").split(" ").filter(Boolean);
      status.textContent = "";
      status.classList.remove("running");
      status.appendChild(document.createTextNode("Loaded \u201c" + option.textContent + "\u201d; Ctrl+Enter runs it" +
        (params.length ? " with " + params.map(function (n) { return "$" + n; }).join(", ") +
          " left open (any value). To choose values, use " : ". See also ")));
      var link = el("a", null, "its page");
      link.href = "/queries/" + encodeURIComponent(option.value);
      status.appendChild(link);
      status.appendChild(document.createTextNode("."));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Copy link: the URL that opens this query in the editor and runs it.

  copyButton.addEventListener("click", function () {
    var query = textarea.value;
    keepInUrl(query);
    var url = new URL(shareableUrl(query), location.href).href;
    shareUrl.value = url;
    var fallback = function () {
      shareUrl.hidden = false;
      shareUrl.focus();
      shareUrl.select();
      setStatus("Copy the link below (Ctrl+C).");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(function () {
        shareUrl.hidden = true;
        setStatus("Link copied.");
      }, fallback);
    } else {
      fallback();
    }
  });

  render();
  if (root.getAttribute("data-autorun") === "true") run();
})();
