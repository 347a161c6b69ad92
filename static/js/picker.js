/* Pick a record by its name: as the user types (Chinese, English, pinyin or its initials, or a code), the
   suggestions of /pick/ appear under the field; choosing one puts its name in the field and its code in the
   hidden input beside it. Without this script the form still works: the server looks the typed name up.
   No inline script or style (the CSP forbids them); no library. */
(function () {
  "use strict";

  var DELAY_MS = 150;

  function kindOf(box) {
    var kind = box.getAttribute("data-kind");
    if (kind === "scope") {
      // The role-grant form: the kind of scope is chosen in the select beside it.
      var select = box.closest("form").querySelector("[name=scope_kind]");
      kind = select ? select.value : "";
    }
    return kind;
  }

  function setup(box) {
    var text = box.querySelector("[data-picker-text]");
    var value = box.querySelector("[data-picker-value]") || box.parentNode.querySelector("[data-picker-value]");
    var list = box.querySelector(".picker-list");
    if (!text || !value || !list) { return; }
    text.removeAttribute("list");
    text.setAttribute("role", "combobox");
    text.setAttribute("aria-autocomplete", "list");
    text.setAttribute("aria-expanded", "false");
    list.id = text.id + "-options";
    text.setAttribute("aria-controls", list.id);
    var timer = null;
    var active = -1;
    var asked = 0;

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      list.textContent = "";
      active = -1;
      text.setAttribute("aria-expanded", "false");
      text.removeAttribute("aria-activedescendant");
    }

    function mark(index) {
      var items = options();
      if (!items.length) { return; }
      active = (index + items.length) % items.length;
      for (var i = 0; i < items.length; i += 1) {
        items[i].classList.toggle("active", i === active);
        items[i].setAttribute("aria-selected", i === active ? "true" : "false");
      }
      text.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({block: "nearest"});
    }

    function choose(item) {
      text.value = item.getAttribute("data-name");
      value.value = item.getAttribute("data-value");
      close();
      text.dispatchEvent(new Event("change", {bubbles: true}));
    }

    function show(results) {
      list.textContent = "";
      active = -1;
      results.forEach(function (r, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.className = "list-group-item list-group-item-action";
        li.setAttribute("role", "option");
        li.setAttribute("data-value", r.value);
        li.setAttribute("data-name", r.name);
        li.textContent = r.label;
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the field
          choose(li);
        });
        list.appendChild(li);
      });
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "list-group-item text-body-secondary";
        none.textContent = list.getAttribute("data-empty") || "—";
        list.appendChild(none);
      }
      list.hidden = false;
      text.setAttribute("aria-expanded", "true");
    }

    function ask() {
      var q = text.value.trim();
      var kind = kindOf(box);
      if (!q || !kind) { close(); return; }
      var params = new URLSearchParams({kind: kind, q: q});
      var scope = box.getAttribute("data-scope");
      if (scope && kind === "jurisdiction") { params.set("scope", scope); }
      if (box.getAttribute("data-kind") === "scope" && (kind === "zone" || kind === "metro")) {
        params.set("action", "change");
      }
      var ticket = ++asked;
      fetch(box.getAttribute("data-picker-url") + "?" + params.toString(), {
        credentials: "same-origin",
        headers: {"Accept": "application/json"}
      })
        .then(function (response) { return response.ok ? response.json() : {results: []}; })
        .then(function (body) { if (ticket === asked) { show(body.results || []); } })
        .catch(function () { close(); });
    }

    text.addEventListener("input", function () {
      value.value = ""; // what was chosen no longer matches what is typed
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });
    text.addEventListener("keydown", function (event) {
      if (list.hidden) {
        if (event.key === "ArrowDown") { ask(); }
        return;
      }
      if (event.key === "ArrowDown") { event.preventDefault(); mark(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); mark(active - 1); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(options()[active]); }
      else if (event.key === "Escape") { close(); }
    });
    text.addEventListener("blur", function () { setTimeout(close, 100); });
    if (box.getAttribute("data-kind") === "scope") {
      var select = box.closest("form").querySelector("[name=scope_kind]");
      if (select) {
        select.addEventListener("change", function () { value.value = ""; close(); });
      }
    }
  }

  document.querySelectorAll("[data-picker]").forEach(setup);
})();
