/* The respondent's survey script, one file (with the stylesheet and the icon, the page's only static files).
 *
 * Part 1, the condition evaluator, is below. Part 2, the one-page survey: the whole questionnaire is in the
 * page; this script shows one page at a time.
 *
 * Without this script the page is an introduction whose button leads to the server-paged flow
 * (/s/survey/1 …), which needs no JavaScript. With it, the respondent pages in the browser: conditions are
 * evaluated here (part 1, the server's rules), the department pages are made from one template for
 * each department picked, answers in progress stay in this phone's storage, and everything is sent in one
 * POST. The server checks the whole submission again and trusts nothing sent from here.
 */

/* ---- Part 1: the evaluator of show-if / required-if conditions.
 *
 * The server parses each condition once (rules/expressions.py) and sends its tree as nested lists:
 * ["var", name], ["lit", value], ["not", x], ["cmp", op, a, b], ["and", a, b], ["or", a, b].
 * This part only evaluates such trees, with exactly the Python rules (rules.expressions.compare and truthy):
 * tests/e2e/test_conditions_differential.py runs thousands of random trees and answers through both.
 */
(function (root) {
  "use strict";

  function isNumber(v) { return typeof v === "number"; }
  function isMissing(v) { return v === null || v === undefined; }

  // A value used as a condition means "is answered": null, "", [] and false are false; 0 is an answer.
  function truthy(v) {
    if (isMissing(v) || v === false) { return false; }
    if (typeof v === "string" || Array.isArray(v)) { return v.length > 0; }
    return true;
  }

  function kind(v) {
    if (isNumber(v)) { return "number"; }
    if (typeof v === "boolean") { return "boolean"; }
    if (typeof v === "string") { return "string"; }
    if (Array.isArray(v)) { return "list"; }
    return "other";
  }

  function sameKind(a, b) { var k = kind(a); return k !== "other" && k === kind(b); }

  // Python's ==: numbers and booleans compare by value (True == 1), strings by text, lists element-wise.
  function pyEqual(a, b) {
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) { return false; }
      for (var i = 0; i < a.length; i++) { if (!pyEqual(a[i], b[i])) { return false; } }
      return true;
    }
    var na = isNumber(a) || typeof a === "boolean", nb = isNumber(b) || typeof b === "boolean";
    if (na && nb) { return Number(a) === Number(b); }
    if (typeof a === "string" && typeof b === "string") { return a === b; }
    return false;
  }

  // Python orders strings by code point; JavaScript's < by UTF-16 unit, which differs above U+FFFF.
  function codePointOrder(a, b) {
    var x = Array.from(a), y = Array.from(b), n = Math.min(x.length, y.length);
    for (var i = 0; i < n; i++) {
      var d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d !== 0) { return d; }
    }
    return x.length - y.length;
  }

  function compare(op, a, b) {
    if (isMissing(a) || isMissing(b)) { return false; }
    if (op === "=" || op === "!=") {
      var same = sameKind(a, b) && pyEqual(a, b);
      return op === "=" ? same : !same;
    }
    if (op === "contains") {
      if (Array.isArray(a)) { return a.some(function (x) { return sameKind(x, b) && pyEqual(x, b); }); }
      if (typeof a === "string" && typeof b === "string") { return a.indexOf(b) >= 0; }
      return false;
    }
    var d;
    if (isNumber(a) && isNumber(b)) { d = a < b ? -1 : (a > b ? 1 : 0); }
    else if (typeof a === "string" && typeof b === "string") { d = codePointOrder(a, b); }
    else { return false; }
    if (op === "<") { return d < 0; }
    if (op === "<=") { return d <= 0; }
    if (op === ">") { return d > 0; }
    if (op === ">=") { return d >= 0; }
    return false;
  }

  function value(node, values) {
    switch (node[0]) {
      case "var": return Object.prototype.hasOwnProperty.call(values, node[1]) ? values[node[1]] : null;
      case "lit": return node[1];
      case "not": return !truthy(value(node[1], values));
      case "cmp": return compare(node[1], value(node[2], values), value(node[3], values));
      case "and": return truthy(value(node[1], values)) && truthy(value(node[2], values));
      case "or": return truthy(value(node[1], values)) || truthy(value(node[2], values));
      default: throw new Error("unknown condition node " + node[0]);
    }
  }

  /* Evaluate a condition tree against {name: value}; an unknown name is unanswered. */
  function evaluate(tree, values) { return truthy(value(tree, values || {})); }

  root.BeikaobeiConditions = { evaluate: evaluate, truthy: truthy, compare: compare };
}(window));

/* ---- Part 2: the one-page survey. */
(function () {
  "use strict";

  // The pages that end a survey (thanks, already submitted, closed) load this file to clear what it kept.
  if (document.body && document.body.hasAttribute("data-survey-ended")) {
    try {
      Object.keys(window.localStorage).forEach(function (key) {
        if (key.indexOf("beikaobei:survey:") === 0) { window.localStorage.removeItem(key); }
      });
    } catch (e) { /* no storage: nothing kept */ }
    return;
  }
  var form = document.getElementById("survey");
  var specNode = document.getElementById("survey-spec");
  // A browser that lacks any of these keeps the paged flow (the introduction's link) instead.
  var capable = window.fetch && window.FormData && window.Promise && Array.from && Object.assign &&
    window.Element && Element.prototype.after && window.NodeList && NodeList.prototype.forEach && window.crypto;
  if (!form || !specNode || !window.BeikaobeiConditions || !capable) { return; }
  var spec = JSON.parse(specNode.textContent);
  var evaluate = window.BeikaobeiConditions.evaluate;
  var text = spec.text;
  // The key is made per respondent's session (never the invitation, never the token): two people answering
  // the same round on one phone never see each other's answers.
  var storageKey = "beikaobei:survey:" + form.getAttribute("data-store");
  var submissionKey = null;
  var live = document.getElementById("announce");
  var pagesBox = document.getElementById("pages");
  var template = document.getElementById("department-page");
  var pickerPage = pagesBox.querySelector("[data-kind=picker]");
  var confirmPage = pagesBox.querySelector("[data-kind=confirm]");
  var backButton = document.getElementById("back");
  var nextButton = document.getElementById("next");
  var submitButton = document.getElementById("submit");
  var progress = document.getElementById("progress");
  var current = 0;
  // The builder's preview (data-preview holds its message): everything is checked, nothing is kept or sent.
  var preview = form.getAttribute("data-preview");

  // ------------------------------------------------------------------ storage (this phone only)
  function load() {
    try { return JSON.parse(window.localStorage.getItem(storageKey)) || {}; } catch (e) { return {}; }
  }
  function save() {
    if (preview !== null) { return; }
    var state = load(), present = {};
    Array.prototype.forEach.call(form.elements, function (n) { if (n.name) { present[n.name] = true; } });
    // Answers of a department unticked for now are kept, so that ticking it again brings them back.
    var kept = {};
    Object.keys(state.answers || {}).forEach(function (name) { if (!present[name]) { kept[name] = state.answers[name]; } });
    state.answers = Object.assign(kept, collect());
    state.page = current;
    submissionKey = state.id || submissionKey || submissionId();
    state.id = submissionKey;
    try { window.localStorage.setItem(storageKey, JSON.stringify(state)); } catch (e) { /* full or private */ }
  }
  function forget() { try { window.localStorage.removeItem(storageKey); } catch (e) { /* nothing kept */ } }
  function submissionId() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // ------------------------------------------------------------------ reading the answers
  function inputs(name) { return form.querySelectorAll("[name=\"" + name + "\"]"); }
  function raw(name) {
    var nodes = inputs(name), out = [];
    for (var i = 0; i < nodes.length; i++) {
      var n = nodes[i];
      if (n.type === "radio" || n.type === "checkbox") { if (n.checked) { out.push(n.value); } }
      else if (n.value.trim() !== "") { out.push(n.value); }
    }
    return out;
  }
  function collect() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (n) {
      if (!n.name || n.name === "csrf_token" || n.name === "submission_id") { return; }
      var value = null;
      if (n.type === "radio" || n.type === "checkbox") { if (n.checked) { value = n.value; } }
      else if (n.value.trim() !== "") { value = n.value; }
      if (value !== null) { (out[n.name] = out[n.name] || []).push(value); }
    });
    return out;
  }
  function restore(answers) {
    Object.keys(answers || {}).forEach(function (name) {
      var values = answers[name], nodes = inputs(name);
      for (var i = 0; i < nodes.length; i++) {
        var n = nodes[i];
        if (n.type === "radio" || n.type === "checkbox") { n.checked = values.indexOf(n.value) >= 0; }
        else { n.value = values[0]; }
      }
    });
  }

  // A field's value as the server's question types parse it (questionnaire/types.py); undefined = invalid.
  var DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
  function parse(q, values) {
    if (!values.length) { return null; }
    switch (q.read) {
      case "scale":
        if (q.not_familiar && values[0] === q.not_familiar) { return q.not_familiar; }
        var v = Number(values[0]);
        return /^-?[0-9]+$/.test(values[0]) && q.values.indexOf(v) >= 0 ? v : undefined;
      case "choice": return q.values.indexOf(values[0]) >= 0 ? values[0] : undefined;
      case "choices":
        var picked = q.values.filter(function (o) { return values.indexOf(o) >= 0; });
        if ((q.min && picked.length < q.min) || (q.max && picked.length > q.max)) { return undefined; }
        return picked;
      case "text":
        var t = values[0].replace(/\r?\n/g, "\r\n").trim();  // a browser sends a line break as CR LF
        if (!t) { return null; }
        return Array.from(t).length > q.max ? undefined : t;
      case "date":  // YYYY-MM-DD, a real day, within the bounds (the same text order as the server's)
        var day = values[0].trim(), m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(day);
        if (!m) { return undefined; }
        var real = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
        if (real.getUTCFullYear() !== +m[1] || real.getUTCMonth() !== +m[2] - 1 || real.getUTCDate() !== +m[3]) {
          return undefined;
        }
        if ((q.min && day < q.min) || (q.max && day > q.max)) { return undefined; }
        return day;
      case "rank":
        var r = Number(values[0]);
        return /^[0-9]+$/.test(values[0]) && r >= 1 && r <= q.count ? r : undefined;
      case "number":
        var s = values[0].trim();
        if (!DECIMAL.test(s)) { return undefined; }
        var x = Number(s);
        if (q.integer && x !== Math.trunc(x)) { return undefined; }
        if ((q.min !== null && q.min !== undefined && x < q.min) || (q.max !== null && q.max !== undefined && x > q.max)) {
          return undefined;
        }
        return x;
      default: return null;
    }
  }

  // ------------------------------------------------------------------ resolution (questionnaire/answers.py)
  // In the round's order, as the server sorts them (the picker groups them by kind).
  function departmentCodes() {
    var ticked = raw(spec.picker);
    return spec.departments.filter(function (c) { return ticked.indexOf(c) >= 0; });
  }
  function fieldName(name, code) { return name.split(spec.placeholder).join(code); }

  function resolveQuestion(q, code, values, parentVisible, states, notes) {
    var visible = parentVisible && (!q.show_if || evaluate(q.show_if, values));
    var required = visible && (q.required || (q.required_if !== null && evaluate(q.required_if, values)));
    if (!q.fields.length) { notes[(code ? code + ":" : "") + q.key] = visible; }  // a note: shown or not
    var mine = [];
    q.fields.forEach(function (f) {
      var name = code ? fieldName(f.name, code) : f.name;
      // A field may have its own rules (the text of "other": a text, required when "other" is chosen).
      var value = visible ? parse(f.read ? f : q, raw(name)) : null;
      var needed = f.required_if ? visible && evaluate(f.required_if, values) : required;
      if (f.required_if && !needed) { value = null; }  // the text of "other" counts once "other" is chosen
      states[name] = {visible: visible, required: needed, value: value, question: q};
      mine.push(states[name]);
      if (visible && value !== null && value !== undefined) { values[f.key] = value; }
    });
    if (q.read === "rank") { settleRanks(mine); }
  }

  // A ranking, as the server's: once begun, every item ranked, each rank given once.
  function settleRanks(states) {
    var given = states.filter(function (st) { return st.value !== null && st.value !== undefined; });
    if (!given.length) { return; }
    states.forEach(function (st) {
      if (st.value === null) { st.value = undefined; return; }
      var same = given.filter(function (other) { return other.value === st.value; });
      if (same.length > 1) { st.value = undefined; }
    });
  }

  function resolve() {
    var values = {}, states = {}, sections = {}, notes = {}, pageVisible = true, picked = [];
    spec.items.forEach(function (item) {
      if (item.kind === "section") {
        pageVisible = !item.show_if || evaluate(item.show_if, values);
        sections[item.key] = pageVisible;
      } else if (item.kind === "block") {
        var visible = !item.show_if || evaluate(item.show_if, values);
        picked = visible ? departmentCodes() : [];
        var tooMany = item.max !== null && item.max !== undefined && picked.length > item.max;
        var tooFew = picked.length > 0 && picked.length < item.min;
        states[item.field] = {visible: visible, required: item.min > 0,
                              value: tooMany || tooFew ? undefined : (picked.length ? picked : null), question: item};
        if (picked.length) { values[item.key] = picked; }
        picked.forEach(function (code) {
          var scope = Object.assign({}, values);
          item.items.forEach(function (q) { resolveQuestion(q, code, scope, true, states, notes); });
        });
        pageVisible = true;
      } else {
        resolveQuestion(item, null, values, pageVisible, states, notes);
      }
    });
    return {states: states, sections: sections, notes: notes, picked: picked};
  }

  // ------------------------------------------------------------------ pages
  function syncDepartmentPages(picked) {
    var existing = {};
    pagesBox.querySelectorAll("[data-kind=department]").forEach(function (page) { existing[page.dataset.dept] = page; });
    var anchor = pickerPage, added = false;
    picked.forEach(function (code) {
      var page = existing[code];
      if (!page) {
        // Codes are [A-Za-z0-9_-] (the department forms, the import and the service check them).
        var html = template.innerHTML.split(spec.placeholder).join(code);
        var holder = document.createElement("div");
        holder.innerHTML = html;
        page = holder.firstElementChild;
        page.querySelector("[data-department-name]").textContent = spec.names[code] || code;
        searchable(page);
        added = true;
      }
      delete existing[code];
      anchor.after(page);
      anchor = page;
    });
    if (added) { restore(load().answers); }
    Object.keys(existing).forEach(function (code) { existing[code].remove(); });
  }

  function pages() {
    var res = resolve();
    syncDepartmentPages(res.picked);
    return Array.prototype.filter.call(pagesBox.children, function (page) {
      if (!page.classList.contains("pg")) { return false; }
      var section = page.dataset.section;
      if (page.dataset.kind === "picker" && res.states[spec.picker] && !res.states[spec.picker].visible) { return false; }
      return !(page.dataset.kind === "page" && section && res.sections[section] === false);
    });
  }

  function showQuestions(res) {
    form.querySelectorAll("[data-fields]").forEach(function (box) {
      var names = box.dataset.fields.split(" ");
      var state = res.states[names[0]];
      box.hidden = state ? !state.visible : false;
    });
    form.querySelectorAll("[data-note]").forEach(function (box) { box.hidden = res.notes[box.dataset.note] === false; });
  }

  function clearErrors(page) {
    page.querySelectorAll(".err.js").forEach(function (e) { e.remove(); });
    page.querySelectorAll(".bad").forEach(function (e) { e.classList.remove("bad"); });
  }

  function problems(page, res) {
    var found = [];
    page.querySelectorAll("[data-fields]").forEach(function (box) {
      if (box.hidden) { return; }
      box.dataset.fields.split(" ").forEach(function (name) {
        var state = res.states[name];
        if (!state || !state.visible) { return; }
        var message = null;
        if (state.value === undefined) { message = text.invalid; }
        else if (state.required && state.value === null) { message = text.required; }
        if (message && found.every(function (f) { return f.box !== box; })) { found.push({box: box, message: message}); }
      });
    });
    return found;
  }

  function showProblems(found) {
    found.forEach(function (p) {
      p.box.classList.add("bad");
      var note = document.createElement("p");
      note.className = "err js";
      note.setAttribute("role", "alert");
      note.textContent = p.message;
      var legend = p.box.querySelector("legend, label");
      (legend || p.box.firstChild).after(note);
    });
    if (found.length) {
      var first = found[0].box.querySelector("input, textarea, select");
      if (first) { first.focus(); }
    }
  }

  function review() {
    var list = confirmPage.querySelector("dl");
    list.textContent = "";
    var res = resolve();
    pages().forEach(function (page) {
      if (page.dataset.kind === "department") {
        var dt = document.createElement("dt");
        dt.className = "dept";
        dt.textContent = spec.names[page.dataset.dept] || page.dataset.dept;
        list.appendChild(dt);
      }
      page.querySelectorAll("[data-fields]").forEach(function (box) {
        if (box.hidden) { return; }
        box.dataset.fields.split(" ").forEach(function (name) {
          var state = res.states[name];
          if (!state || !state.visible || state.value === null || state.value === undefined) { return; }
          var dt = document.createElement("dt"), dd = document.createElement("dd");
          var label = box.querySelector("legend, label");
          dt.textContent = label ? label.textContent.replace(/\s*\*\s*$/, "").trim() : name;
          var node = inputs(name)[0];
          var part = node && node.id && (box.classList.contains("parts") || name !== box.dataset.fields.split(" ")[0]);
          var own = part ? box.querySelector("label[for=\"" + node.id + "\"]") : null;
          if (own) { dt.textContent += " · " + own.textContent.trim(); }  // a part: a ranked item, a sub-field
          var chosen = Array.prototype.filter.call(inputs(name), function (n) { return n.checked; });
          dd.textContent = chosen.length
            ? chosen.map(function (n) { return n.parentNode.textContent.trim(); }).join("、")
            : node && node.tagName === "SELECT" ? node.options[node.selectedIndex].textContent : raw(name).join("");
          list.appendChild(dt);
          list.appendChild(dd);
        });
      });
    });
  }

  function show(index, focus) {
    var all = pages();
    current = Math.max(0, Math.min(index, all.length - 1));
    var res = resolve();
    showQuestions(res);
    all.forEach(function (page, i) { page.hidden = i !== current; });
    Array.prototype.forEach.call(pagesBox.children, function (page) { if (all.indexOf(page) < 0) { page.hidden = true; } });
    var page = all[current];
    if (page === confirmPage) { review(); }
    backButton.hidden = current === 0;
    nextButton.hidden = page === confirmPage;
    submitButton.hidden = page !== confirmPage;
    nextButton.textContent = current === 0 ? text.start : text.next;
    var depts = all.filter(function (p) { return p.dataset.kind === "department"; });
    var n = depts.indexOf(page);
    progress.textContent = n >= 0 ? text.department.replace("%(n)s", n + 1).replace("%(total)s", depts.length) : "";
    var heading = page.querySelector("h1, h2");
    if (focus && heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
      live.textContent = heading.textContent;
    }
    if (focus) { window.scrollTo(0, 0); }
  }

  function next() {
    var all = pages(), page = all[current];
    clearErrors(page);
    var found = problems(page, resolve());
    if (found.length) { showProblems(found); return; }
    save();
    show(current + 1, true);
  }

  // ------------------------------------------------------------------ the one POST
  function submit() {
    var all = pages();
    for (var i = 0; i < all.length; i++) {
      var found = problems(all[i], resolve());
      if (found.length) { show(i, true); showProblems(found); return; }
    }
    save();
    var notice = document.getElementById("submit-notice");
    if (preview !== null) {
      notice.textContent = preview;
      notice.className = "notice info";
      notice.hidden = false;
      notice.focus();
      return;
    }
    form.elements.submission_id.value = submissionKey;
    submitButton.disabled = true;
    notice.hidden = true;
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual",
                        headers: {"X-Survey-Flow": "one-page", "Accept": "application/json"}})
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 303) {
          forget();
          window.location.replace(spec.thanks);
          return null;
        }
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (body.csrf_token) { form.elements.csrf_token.value = body.csrf_token; }
          if (body.final) { forget(); }
          if (body.errors) { markServerErrors(body.errors); }
          throw new ServerSaid(body.message || text.failed);
        });
      })
      .catch(function (error) {
        // The server's own words, or ours: a network error's text ("Failed to fetch", "Load failed") helps nobody.
        notice.textContent = error instanceof ServerSaid ? error.message : text.failed;
        notice.hidden = false;
        notice.focus();
        submitButton.disabled = false;
      })
      .then(function () { submitButton.disabled = false; });
  }

  function ServerSaid(message) { this.message = message; }

  // The questions the server refused, marked where they are, and their first page shown.
  function markServerErrors(errors) {
    var all = pages(), found = [];
    Object.keys(errors).forEach(function (name) {
      var box = form.querySelector("[data-fields~=\"" + name + "\"]");
      if (box && found.every(function (f) { return f.box !== box; })) { found.push({box: box, message: errors[name][0]}); }
    });
    if (!found.length) { return; }
    var first = all.findIndex(function (page) { return page.contains(found[0].box); });
    if (first >= 0) { show(first, true); }
    all.forEach(clearErrors);
    showProblems(found);
  }

  // ------------------------------------------------------------------ the picker: groups, search, count
  function pickerCount() {
    var count = document.getElementById("picked-count");
    if (count) { count.textContent = text.picked.replace("%(n)s", departmentCodes().length); }
  }
  var search = document.getElementById("department-search");
  if (search) {
    search.hidden = false;
    search.addEventListener("input", function () {
      var needle = search.value.trim().toLowerCase();
      pickerPage.querySelectorAll(".opt").forEach(function (opt) {
        opt.hidden = needle !== "" && opt.textContent.toLowerCase().indexOf(needle) < 0;
      });
    });
  }

  // ------------------------------------------------------------------ long drop-down lists: a search box
  // The list stays a plain <select> (what the server reads, what a phone shows natively); typing above it keeps
  // only the options that contain the text, and always the empty line and the one chosen.
  var LONG_LIST = 15;
  function searchable(root) {
    root.querySelectorAll("select:not(.rank)").forEach(function (select) {
      if (select.options.length <= LONG_LIST || select.dataset.searchable) { return; }
      select.dataset.searchable = "1";
      var all = Array.prototype.slice.call(select.options);
      var box = document.createElement("input");
      box.type = "search";
      box.className = "picker-search";
      box.placeholder = text.search_options;
      box.setAttribute("aria-label", text.search_options);
      box.setAttribute("aria-controls", select.id);
      select.before(box);
      box.addEventListener("input", function () {
        var needle = box.value.trim().toLowerCase(), chosen = select.value;
        select.textContent = "";
        all.forEach(function (option) {
          var keep = !option.value || option.value === chosen || option.textContent.toLowerCase().indexOf(needle) >= 0;
          if (keep) { select.appendChild(option); }
        });
        select.value = chosen;
      });
    });
  }

  // A section with nothing to answer (an explanation) is shown above the page that follows it, not as a screen
  // of its own; one whose visibility depends on answers keeps its own page.
  function mergeExplanations() {
    pagesBox.querySelectorAll(".pg[data-kind=page]").forEach(function (page) {
      if (page.querySelector("[data-fields]")) { return; }
      var item = spec.items.filter(function (i) { return i.kind === "section" && i.key === page.dataset.section; })[0];
      if (item && item.show_if) { return; }
      var next = page.nextElementSibling;
      while (next && !next.classList.contains("pg")) { next = next.nextElementSibling; }
      if (!next || next.dataset.kind === "confirm") { return; }
      var nextItem = spec.items.filter(function (i) {
        return (i.kind === "section" && i.key === next.dataset.section) || (i.kind === "block" && next.dataset.kind === "picker");
      })[0];
      if (nextItem && nextItem.show_if) { return; }  // the next page may be skipped: keep the explanation's own
      var first = next.firstChild;
      while (page.firstChild) { next.insertBefore(page.firstChild, first); }
      page.remove();
    });
  }

  // ------------------------------------------------------------------ wiring
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.tagName === "INPUT" && event.target.type !== "submit") {
      event.preventDefault();
      if (!nextButton.hidden) { next(); }
    }
  });
  form.addEventListener("change", function () { save(); showQuestions(resolve()); pickerCount(); });
  backButton.addEventListener("click", function () { save(); show(current - 1, true); });
  nextButton.addEventListener("click", next);
  submitButton.addEventListener("click", submit);
  mergeExplanations();
  searchable(pagesBox);
  if (preview !== null) { forget(); }  // a preview starts empty, whatever an earlier one left
  var saved = load();
  submissionKey = saved.id || null;
  restore(saved.answers);
  pages();
  restore(saved.answers);
  pickerCount();
  show(saved.page || 0, false);
  // Only now, with everything set up, does the paged flow's link give way to the script's buttons.
  var start = document.getElementById("start-paged");
  if (start && !form.hasAttribute("data-resume")) { start.hidden = true; }
  document.getElementById("js-nav").hidden = false;
}());
