// Source text pages (/source/DOC): highlight the RFC 5147 fragment #char=START,END
// (or #char=POS, #char=START, and #char=,END) in pre#source-text as mark#highlight,
// scroll it into view, and do it again whenever the fragment changes.
//
// Offsets count Unicode code points, as the evidence's oa:start/oa:end do (Python str
// indices); JavaScript strings count UTF-16 units, so a character outside the Basic
// Multilingual Plane is one position here but two units in the DOM.
(function () {
  "use strict";

  const pre = document.getElementById("source-text");
  if (!pre) return;
  const notice = document.getElementById("fragment-notice");
  const table = document.getElementById("evidence-spans");
  // The text as the server sent it (with its ?char= mark, if any), kept as nodes: a round trip
  // through innerHTML would turn each CR LF into LF and shift every later offset.
  const original = Array.from(pre.childNodes, (node) => node.cloneNode(true));
  const serverNotice = notice ? notice.cloneNode(true) : null;
  const total = codePointLength(pre.textContent);
  const declared = Number(pre.dataset.length);
  if (Number.isFinite(declared) && declared !== total) {
    console.warn("source.js: the page says", declared, "characters, the text holds", total);
  }

  function codePointLength(s) {
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
      n++;
    }
    return n;
  }

  // UTF-16 index in `s` of code point `cp` (cp <= code point length of s).
  function unitIndex(s, cp) {
    let i = 0;
    for (let n = 0; n < cp && i < s.length; n++) {
      const c = s.charCodeAt(i);
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    }
    return i;
  }

  function textNodes() {
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    const nodes = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
    return nodes;
  }

  // The DOM point of code point offset `offset`: a text node and a UTF-16 index in it.
  function locate(offset, nodes) {
    let seen = 0;
    for (const node of nodes) {
      const len = codePointLength(node.data);
      if (offset <= seen + len) return { node: node, index: unitIndex(node.data, offset - seen) };
      seen += len;
    }
    return null;
  }

  // RFC 5147: "char=" (position | position "," [position] | "," position) *(";" integrity-check)
  function parse(hash) {
    let text = hash.replace(/^#/, "");
    try {
      text = decodeURIComponent(text);
    } catch (e) {
      return { error: "the fragment is not valid percent-encoding" };
    }
    const m = /^char=(\d*)(,(\d*))?((?:;[A-Za-z0-9-]+=[^;]*)*)$/.exec(text);
    if (!m || (m[1] === "" && (m[2] === undefined || m[3] === ""))) {
      return { error: "#" + text + " is not a character range: write #char=START,END (RFC 5147), e.g. #char=120,180" };
    }
    let length = null;
    for (const check of m[4].split(";").filter(Boolean)) {
      const [name, value] = check.split("=");
      if (name.toLowerCase() === "length") {
        if (!/^\d+$/.test(value)) return { error: "the integrity check ;length=" + value + " needs a whole number" };
        length = Number(value);
      }
    }
    if (m[2] === undefined) {
      const pos = Number(m[1]);
      if (pos > total) return { error: "position " + pos + " is past the end of the text (" + total + " characters)" };
      return { start: pos, end: pos, position: true, length: length };
    }
    const start = m[1] === "" ? 0 : Number(m[1]);
    const end = m[3] === "" ? total : Number(m[3]);
    if (start > end) return { error: "char=" + start + "," + end + ": the start comes after the end" };
    if (end > total) return { error: "char=" + start + "," + end + " runs past the end of the text (" + total + " characters)" };
    return { start: start, end: end, position: start === end, length: length };
  }

  function unwrap(mark) {
    const parent = mark.parentNode;
    while (mark.firstChild) parent.insertBefore(mark.firstChild, mark);
    parent.removeChild(mark);
    parent.normalize();
  }

  function mark(range) {
    const nodes = textNodes();
    const a = locate(range.start, nodes);
    const b = locate(range.end, nodes);
    if (!a || !b) return null;
    const dom = document.createRange();
    dom.setStart(a.node, a.index);
    dom.setEnd(b.node, b.index);
    const el = document.createElement("mark");
    el.id = "highlight";
    if (range.position) {
      el.className = "position";
    } else {
      el.appendChild(dom.extractContents()); // splits the evidence spans the range cuts through
    }
    dom.insertNode(el);
    return el;
  }

  function rowsFor(range) {
    if (!table) return [];
    return Array.from(table.querySelectorAll("tbody tr[data-start]")).filter(
      (row) => Number(row.dataset.start) === range.start && Number(row.dataset.end) === range.end
    );
  }

  function say(parts, problem) {
    if (!notice) return;
    notice.textContent = "";
    notice.classList.toggle("problem", Boolean(problem));
    for (const part of parts) notice.append(part);
  }

  function describe(range, rows) {
    const parts = [];
    parts.push(range.position ? "Marked position " + range.start + "." : "Highlighted characters " + range.start + "–" + range.end + ".");
    if (range.length !== null && range.length !== total) {
      parts.push(" The link expects a text of " + range.length + " characters; this one has " + total + ", so the positions may not hold.");
    }
    const links = [];
    for (const row of rows) {
      for (const a of row.querySelectorAll("ul.supports a")) links.push(a.cloneNode(true));
    }
    if (links.length) {
      parts.push(" This passage is the evidence for: ");
      links.forEach((a, i) => {
        if (i) parts.push(", ");
        parts.push(a);
      });
      parts.push(".");
    }
    return parts;
  }

  function apply() {
    const hash = window.location.hash;
    const isChar = /^#char=/i.test(hash);
    if (hash && !isChar) {
      let id = hash.slice(1);
      try { id = decodeURIComponent(id); } catch (e) { /* not an id then */ }
      if (document.getElementById(id)) return; // an ordinary anchor on this page
    }
    pre.replaceChildren(...original.map((node) => node.cloneNode(true)));
    if (table) table.querySelectorAll("tr.current").forEach((row) => row.classList.remove("current"));
    if (!hash) {
      restoreNotice();
      const server = document.getElementById("highlight");
      if (server) server.scrollIntoView({ block: "center" });
      return;
    }
    const range = parse(hash);
    if (range.error) {
      say(["Cannot highlight: " + range.error + "."], true);
      return;
    }
    const server = pre.querySelector("mark#highlight");
    if (server) unwrap(server);
    const el = mark(range);
    if (!el) {
      say(["Cannot highlight " + hash + " in this text."], true);
      return;
    }
    const rows = rowsFor(range);
    rows.forEach((row) => row.classList.add("current"));
    say(describe(range, rows), false);
    el.scrollIntoView({ block: "center" });
  }

  function restoreNotice() {
    if (!notice || !serverNotice) return;
    const copy = serverNotice.cloneNode(true);
    notice.className = copy.className;
    notice.replaceChildren(...copy.childNodes);
  }

  // Clicking an underlined passage selects the shortest evidence span around the click.
  pre.addEventListener("click", function (event) {
    const ev = event.target.closest ? event.target.closest("span.ev") : null;
    if (!ev || !table || window.getSelection().toString()) return;
    let offset = 0;
    for (const node of textNodes()) {
      if (ev.contains(node)) break;
      offset += codePointLength(node.data);
    }
    let best = null;
    for (const row of table.querySelectorAll("tbody tr[data-start]")) {
      const s = Number(row.dataset.start);
      const e = Number(row.dataset.end);
      if (s <= offset && offset < e && (!best || e - s < best.e - best.s)) best = { s: s, e: e };
    }
    if (best) window.location.hash = "char=" + best.s + "," + best.e;
  });

  window.addEventListener("hashchange", apply);
  apply();
})();
