// The report form: under each text with a limit, how many characters are left
// (a convenience only: maxlength keeps the limit, and the server checks it); and
// everything typed kept in this browser as it is typed (offline.js), and put
// back when the form is opened again after the page was left, the tab closed or
// the browser stopped, with a notice and a Discard button. What it writes is in
// the page's language: window.reportsTexts comes from offline.js, which every
// page loads before this script.
"use strict";

(function () {
  // What this part writes, in English; reports/web/script_texts.py has each, to translate.
  var texts = window.reportsTexts({
    "counter-left": {
      "one": "%(count)s character left",
      "other": "%(count)s characters left",
    },
    "counter-over": {
      "one": "%(count)s character too many",
      "other": "%(count)s characters too many",
    },
  });

  function addCounter(input) {
    var limit = Number(input.getAttribute("maxlength"));
    var counter = document.createElement("p");
    counter.className = "counter";
    counter.id = input.id + "-counter";
    input.insertAdjacentElement("afterend", counter);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);

    function update() {
      // As maxlength counts: in UTF-16 code units, a line break as one.
      var left = limit - input.value.length;
      counter.textContent =
        left >= 0
          ? texts.say("counter-left", { count: left })
          : texts.say("counter-over", { count: -left });
      counter.classList.toggle("counter-over", left < 0);
    }

    input.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("[data-counter][maxlength]").forEach(addCounter);
})();

(function () {
  var form = document.querySelector("form[data-autosave]");
  var kept = window.reportsKept;
  if (!form || !kept) {
    return;
  }
  // What this part writes, in English; reports/web/script_texts.py has each, to translate.
  var texts = window.reportsTexts({
    "form-restored": "Restored what you typed at %(time)s.",
    "form-discard": "Discard",
    "form-start-another": "Start another report",
  });
  var name = form.getAttribute("data-autosave");
  // The CSRF token is the page's, not the report's; the rest (the version it was
  // opened at, a new form's key) is kept, so that a form put back is the same form.
  var NOT_KEPT = ["csrf_token", "action"];

  function values() {
    var pairs = [];
    new FormData(form).forEach(function (value, key) {
      if (NOT_KEPT.indexOf(key) < 0) {
        pairs.push([key, value]);
      }
    });
    return pairs;
  }

  function put(pairs) {
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || NOT_KEPT.indexOf(element.name) >= 0) {
        return;
      }
      var given = pairs
        .filter(function (pair) {
          return pair[0] === element.name;
        })
        .map(function (pair) {
          return pair[1];
        });
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = given.indexOf(element.value) >= 0;
      } else if (element.tagName !== "BUTTON") {
        element.value = given.length ? given[0] : "";
      }
      element.dispatchEvent(new Event("input", { bubbles: false }));
    });
  }

  function when(savedAt) {
    var saved = new Date(savedAt);
    var time = saved.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    if (saved.toDateString() === new Date().toDateString()) {
      return time;
    }
    return saved.toLocaleDateString([], { day: "numeric", month: "short" }) + ", " + time;
  }

  function showRestored(entry) {
    var notice = document.createElement("div");
    notice.className = "notice restored";
    notice.id = "restored";
    notice.setAttribute("role", "status");
    var text = document.createElement("p");
    text.textContent = texts.say("form-restored", { time: when(entry.savedAt) });
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button-secondary";
    discard.textContent = texts.say("form-discard");
    discard.addEventListener("click", function () {
      kept.remove(name).then(function () {
        window.location.reload();
      });
    });
    notice.appendChild(text);
    notice.appendChild(discard);
    form.insertAdjacentElement("beforebegin", notice);
  }

  function keep() {
    var pairs = values();
    var formKey = pairs.filter(function (pair) {
      return pair[0] === "form_key";
    })[0];
    kept.put(name, {
      values: pairs,
      formKey: formKey ? formKey[1] : null,
      savedAt: new Date().toISOString(),
    });
  }

  // A new form's key, made here: a form the browser shows from its cache,
  // without a signal, would otherwise carry the same key every time, and two
  // reports filed from it would be taken for one.
  function freshFormKey() {
    var input = form.querySelector('input[name="form_key"]');
    if (input && name === "new" && !form.hasAttribute("data-shown-as-sent")) {
      var bytes = crypto.getRandomValues(new Uint8Array(16));
      input.value = btoa(String.fromCharCode.apply(null, bytes))
        .replace(/\+/g, "-")
        .replace(/\//g, "_")
        .replace(/=+$/, "");
    }
  }

  // Save draft or Submit, sent by script so that a form the service cannot be
  // reached with is kept in the outbox rather than lost to an error page.
  function send(event) {
    var button = event.submitter;
    if (!button || !button.name || !window.fetch) {
      return;
    }
    event.preventDefault();
    if (form.classList.contains("sending")) {
      return; // a second tap while the first is on its way
    }
    var body = new FormData(form);
    body.append(button.name, button.value);
    var values = [];
    body.forEach(function (value, key) {
      if (key !== "csrf_token") {
        values.push([key, value]);
      }
    });
    var url = form.getAttribute("action") || window.location.pathname;
    form.classList.add("sending");
    kept.post(url, body).then(function (result) {
      if (result.kind === "saved") {
        window.location.assign(result.location);
      } else if (result.kind === "refused") {
        // The service's answer (what is wrong, a conflict) as a page: the form sent as is.
        var action = document.createElement("input");
        action.type = "hidden";
        action.name = button.name;
        action.value = button.value;
        form.appendChild(action);
        HTMLFormElement.prototype.submit.call(form);
      } else {
        kept.queue(name, url, values).then(function () {
          form.hidden = true;
          var again = document.createElement("p");
          again.className = "outbox-next";
          var link = document.createElement("a");
          link.href = "/reports/new";
          link.textContent = texts.say("form-start-another");
          again.appendChild(link);
          form.insertAdjacentElement("afterend", again);
          window.scrollTo(0, 0);
        });
      }
    });
  }

  kept.ready
    .then(function () {
      // A form the service answered with (an error, a conflict) shows what was
      // sent already; a fresh one gets back what was typed, if it differs.
      if (form.hasAttribute("data-shown-as-sent")) {
        return;
      }
      return kept.get(name).then(function (entry) {
        if (entry && JSON.stringify(entry.values) !== JSON.stringify(values())) {
          put(entry.values);
          showRestored(entry);
        } else {
          freshFormKey();
        }
      });
    })
    .catch(function () {
      // Storage refused: the form works, keeping nothing.
    })
    .then(function () {
      form.addEventListener("input", keep);
      form.addEventListener("change", keep);
      form.addEventListener("submit", send);
    });
})();
