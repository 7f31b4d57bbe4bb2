/* SPARQL syntax highlighting for pilotkg's pages (no dependencies).
 *
 * SparqlHighlight.tokenize(text)          -> [{type, text, start}], covering the text exactly
 * SparqlHighlight.toHTML(text, options)   -> HTML of <span class="tok-TYPE"> runs (text escaped);
 *                                            options.markAt: a UTF-16 offset to underline as an error
 * SparqlHighlight.highlightElement(el)    -> replaces el's text with its highlighted form
 * SparqlHighlight.highlightAll(root)      -> highlights every <pre><code class="sparql"> under root
 *
 * Every <pre><code class="sparql"> on a page is highlighted when the page has loaded.
 * Token types: keyword, function, variable, iri, pname, bnode, string, langtag, datatype-mark,
 * number, boolean, comment, punct, operator, text (anything else), ws. The colours are in
 * /static/sparql-highlight.css. Turtle (as CONSTRUCT returns it) is tokenized well enough too.
 */
(function () {
  "use strict";

  // Character classes of the SPARQL 1.1 grammar (section 19.8), as regular-expression fragments.
  var BASE = "A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF" +
    "\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD" +
    "\\u{10000}-\\u{EFFFF}";
  var CHARS_U = BASE + "_";
  var CHARS = CHARS_U + "\\-0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040";
  var PLX = "%[0-9A-Fa-f]{2}|\\\\[_~.\\-!$&'()*+,;=/?#@%]";
  var PN_PREFIX_RUN = "[" + BASE + "][" + CHARS + ".]*";
  var PN_LOCAL = "(?:[" + CHARS_U + ":0-9]|" + PLX + ")(?:(?:[" + CHARS + ".:]|" + PLX + ")*(?:[" + CHARS + ":]|" + PLX + "))?";
  var VARNAME = "[" + CHARS_U + "0-9][" + CHARS_U + "0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040]*";

  // One alternative per token type, tried in this order at each position.
  var PARTS = [
    ["ws", "\\s+"],
    ["comment", "#[^\\n\\r]*"],
    ["iri", "<[^<>\"{}|^`\\\\\\u0000-\\u0020]*>"],
    ["longstring", "\"\"\"(?:(?:\"|\"\")?(?:[^\"\\\\]|\\\\[\\s\\S]))*(?:\"\"\"|$)" +
      "|'''(?:(?:'|'')?(?:[^'\\\\]|\\\\[\\s\\S]))*(?:'''|$)"],
    ["string", "\"(?:[^\"\\\\\\n\\r]|\\\\.)*\"?|'(?:[^'\\\\\\n\\r]|\\\\.)*'?"],
    ["variable", "[?$]" + VARNAME],
    ["bnode", "_:[" + CHARS_U + "0-9](?:[" + CHARS + ".]*[" + CHARS + "])?"],
    ["pname", "(?:" + PN_PREFIX_RUN + ")?:(?:" + PN_LOCAL + ")?"],
    ["at", "@[A-Za-z]+(?:-[A-Za-z0-9]+)*"],
    ["number", "[0-9]+\\.[eE][+-]?[0-9]+|[0-9]+(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|\\.[0-9]+(?:[eE][+-]?[0-9]+)?"],
    ["word", "[A-Za-z_][A-Za-z0-9_]*"],
    ["datatype-mark", "\\^\\^"],
    ["operator", "&&|\\|\\||!=|<=|>=|[=<>!+\\-*/|^?]"],
    ["punct", "[{}()\\[\\];,.]"],
    ["text", "[\\s\\S]"]
  ];
  // A run of prefix characters: a prefixed name can start inside it only if a ":" follows the run.
  var PREFIX_RUN = new RegExp(PN_PREFIX_RUN, "uy");
  var PNAME_AT = PARTS.findIndex(function (p) { return p[0] === "pname"; });
  var NO_PNAME = new RegExp(PARTS.filter(function (p) { return p[0] !== "pname"; })
    .map(function (p, i) { return "(?<t" + (i < PNAME_AT ? i : i + 1) + ">" + p[1] + ")"; }).join("|"), "uy");

  // Each alternative is a named group (t0, t1, ...), so inner groups do not shift the numbering.
  var TOKEN = new RegExp(PARTS.map(function (p, i) { return "(?<t" + i + ">" + p[1] + ")"; }).join("|"), "uy");

  function words(list) {
    var set = Object.create(null);
    list.split(/\s+/).forEach(function (w) { if (w) set[w] = true; });
    return set;
  }

  var KEYWORDS = words(
    "BASE PREFIX SELECT DISTINCT REDUCED AS CONSTRUCT WHERE DESCRIBE ASK FROM NAMED GROUP BY HAVING " +
    "ORDER ASC DESC LIMIT OFFSET VALUES LOAD SILENT INTO CLEAR DROP CREATE ADD MOVE COPY TO INSERT " +
    "DELETE DATA WITH USING DEFAULT GRAPH ALL OPTIONAL SERVICE BIND UNDEF MINUS UNION FILTER IN NOT " +
    "EXISTS SEPARATOR LATERAL");
  var FUNCTIONS = words(
    "STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE " +
    "LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES " +
    "SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT " +
    "SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE COUNT SUM MIN MAX AVG " +
    "SAMPLE GROUP_CONCAT TRIPLE SUBJECT PREDICATE OBJECT ISTRIPLE LANGDIR HASLANG HASLANGDIR STRLANGDIR");

  /** The tokens of `text`, in order; their texts joined give `text` back. */
  function tokenize(text) {
    var tokens = [];
    var previous = null; // the last token that is not white space or a comment
    var start = 0;
    var runEnd = -1; // the end of the last run of prefix characters that no ":" follows
    while (start < text.length) {
      // Inside such a run no prefixed name can start: skip that alternative, so that a long run
      // (a.b.c.d...) is not scanned again from each of its positions.
      var pattern = TOKEN;
      if (start < runEnd) {
        pattern = NO_PNAME;
      } else {
        PREFIX_RUN.lastIndex = start;
        if (PREFIX_RUN.test(text) && text.charAt(PREFIX_RUN.lastIndex) !== ":") {
          runEnd = PREFIX_RUN.lastIndex;
          pattern = NO_PNAME;
        }
      }
      pattern.lastIndex = start;
      var m = pattern.exec(text);
      if (!m) { // cannot happen (the last alternative takes any character), but never loop forever
        tokens.push({ type: "text", text: text.slice(start), start: start });
        break;
      }
      start = pattern.lastIndex;
      var index = 0;
      while (m.groups["t" + index] === undefined) index++;
      var kind = PARTS[index][0];
      var value = m[0];
      var type = kind;
      if (kind === "longstring") type = "string";
      else if (kind === "word") type = classifyWord(value);
      else if (kind === "at") {
        var afterString = previous && previous.type === "string" && previous.start + previous.text.length === start - value.length;
        type = afterString ? "langtag" : (/^@(prefix|base)$/i.test(value) ? "keyword" : "text");
      }
      var token = { type: type, text: value, start: start - value.length };
      tokens.push(token);
      if (type !== "ws" && type !== "comment") previous = token;
    }
    return tokens;
  }

  function classifyWord(word) {
    if (word === "a") return "keyword"; // rdf:type, lower case only
    var upper = word.toUpperCase();
    if (word === "true" || word === "false") return "boolean"; // case-sensitive, unlike keywords
    if (KEYWORDS[upper]) return "keyword";
    if (FUNCTIONS[upper]) return "function";
    return "text";
  }

  var ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" };

  function escapeHTML(text) {
    return text.replace(/[&<>"']/g, function (c) { return ESCAPES[c]; });
  }

  function span(type, text) {
    if (!text) return "";
    if (type === "ws" || type === "text") return escapeHTML(text);
    return "<span class=\"tok-" + type + "\">" + escapeHTML(text) + "</span>";
  }

  // Longer texts are shown plain: highlighting stays instant for anything a person types.
  var MAX_HIGHLIGHT = 300000;

  /** HTML for `text`, highlighted; `options.markAt` (an offset) is marked as the place of an error. */
  function toHTML(text, options) {
    var markAt = options && typeof options.markAt === "number" ? options.markAt : -1;
    if (text.length > MAX_HIGHLIGHT) {
      return escapeHTML(text);
    }
    var out = [];
    var marked = false;
    tokenize(text).forEach(function (token) {
      var end = token.start + token.text.length;
      if (!marked && markAt >= token.start && markAt < end) {
        marked = true;
        var at = markAt - token.start;
        var ch = String.fromCodePoint(token.text.codePointAt(at));
        out.push(span(token.type, token.text.slice(0, at)));
        if (ch === "\n" || ch === "\r") {
          out.push("<span class=\"tok-error-at tok-error-eol\"> </span>");
          out.push(span(token.type, token.text.slice(at)));
        } else {
          out.push("<span class=\"tok-error-at\">" + span(token.type, ch) + "</span>");
          out.push(span(token.type, token.text.slice(at + ch.length)));
        }
      } else {
        out.push(span(token.type, token.text));
      }
    });
    if (!marked && markAt >= text.length) {
      out.push("<span class=\"tok-error-at tok-error-eol\"> </span>");
    }
    return out.join("");
  }

  /** Replace the text of `el` by its highlighted form (once). */
  function highlightElement(el) {
    if (!el || el.getAttribute("data-highlighted") === "true") return;
    el.innerHTML = toHTML(el.textContent || "");
    el.setAttribute("data-highlighted", "true");
    el.classList.add("sparql-highlight");
  }

  /** Highlight every <pre><code class="sparql"> under `root` (the document by default). */
  function highlightAll(root) {
    var scope = root || document;
    var blocks = scope.querySelectorAll("pre > code.sparql");
    for (var i = 0; i < blocks.length; i++) highlightElement(blocks[i]);
  }

  window.SparqlHighlight = {
    tokenize: tokenize,
    toHTML: toHTML,
    escapeHTML: escapeHTML,
    highlightElement: highlightElement,
    highlightAll: highlightAll
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { highlightAll(document); });
  } else {
    highlightAll(document);
  }
})();
