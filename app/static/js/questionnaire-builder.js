/* Questionnaire builder, progressive enhancement only: every action also works without this file.
   - drag and drop of questions within their list (top level or department block);
   - conditions (show if / required if) checked as you type. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": fields.csrf_token }
    });
  }

  /* ---- drag and drop */
  var list = document.querySelector(".builder-items[data-csrf]");
  if (list) {
    var dragged = null;
    list.querySelectorAll(".builder-item[data-move-url]").forEach(function (item) {
      item.setAttribute("draggable", "true");
      item.addEventListener("dragstart", function (event) {
        dragged = item;
        item.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.dataset.key);
      });
      item.addEventListener("dragend", function () {
        item.classList.remove("dragging");
        list.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
      });
      item.addEventListener("dragover", function (event) {
        if (dragged && dragged !== item && dragged.dataset.group === item.dataset.group) {
          event.preventDefault();
          item.classList.add("drop-target");
        }
      });
      item.addEventListener("dragleave", function () { item.classList.remove("drop-target"); });
      item.addEventListener("drop", function (event) {
        event.preventDefault();
        if (!dragged || dragged === item || dragged.dataset.group !== item.dataset.group) { return; }
        var siblings = Array.prototype.filter.call(list.children, function (el) {
          return el.dataset && el.dataset.group === item.dataset.group;
        });
        var position = siblings.indexOf(item);
        post(dragged.dataset.moveUrl, { csrf_token: list.dataset.csrf, key: dragged.dataset.key, position: String(position) })
          .then(function () { window.location.reload(); });
      });
    });
  }

  /* ---- conditions checked as you type */
  var form = document.querySelector("form.item-form[data-check-url]");
  if (form) {
    var token = form.querySelector("input[name=csrf_token]");
    form.querySelectorAll("input.expression").forEach(function (input) {
      var live = document.getElementById(input.id + "-live");
      var timer = null;
      input.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          if (!live) { return; }
          if (!input.value.trim()) { live.textContent = ""; live.className = "expr-live"; return; }
          // Sent with where it stands, so that the server answers as the draft's own check would (unknown
          // questions, options that do not exist), not only whether it parses.
          post(form.dataset.checkUrl, { csrf_token: token ? token.value : "", expression: input.value,
                                        version_id: form.dataset.version || "", loc: form.dataset.loc || "",
                                        field: input.name })
            .then(function (response) { return response.json(); })
            .then(function (result) {
              if (result.ok) {
                live.textContent = "✓";
                live.className = "expr-live ok";
                input.removeAttribute("aria-invalid");
              } else if (result.message) {
                live.textContent = result.pointer ? result.message + "\n" + result.pointer : result.message;
                live.className = "expr-live bad";
                input.setAttribute("aria-invalid", "true");
              }
            })
            .catch(function () { /* offline: the server checks again on Save */ });
        }, 300);
      });
    });
  }
}());
