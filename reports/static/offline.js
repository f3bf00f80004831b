// What this browser keeps of the report forms, so that nothing typed is lost to
// a closed tab or a crash (form.js keeps each form as it is typed). On every
// page: a form the service has saved is forgotten, everything is forgotten at
// sign-out, and another person's forms when someone else signs in, so that a
// shared phone shows nobody what another typed. Without IndexedDB nothing is
// kept, and the pages work as they do without JavaScript.
"use strict";

(function () {
  if (!window.indexedDB) {
    return;
  }
  var DATABASE = "post-session-reports";
  var FORMS = "forms";

  function meta(name) {
    return Array.prototype.map.call(
      document.querySelectorAll('meta[name="' + name + '"]'),
      function (element) {
        return element.content;
      }
    );
  }

  var person = meta("reports-person")[0] || "anonymous";
  var opened = null;

  function open() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DATABASE, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(FORMS, { keyPath: "key" });
        };
        request.onsuccess = function () {
          resolve(request.result);
        };
        request.onerror = function () {
          reject(request.error);
        };
      });
    }
    return opened;
  }

  // One request on the forms' store; resolves with its result once its transaction is done.
  function ask(mode, use) {
    return open().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction(FORMS, mode);
        var request = use(transaction.objectStore(FORMS));
        transaction.oncomplete = function () {
          resolve(request.result);
        };
        transaction.onerror = transaction.onabort = function () {
          reject(transaction.error);
        };
      });
    });
  }

  function keyOf(form) {
    return person + "|" + form;
  }

  var kept = {
    // The kept copy of this person's form `form` ("new", "edit:REPORT_ID"), or undefined.
    get: function (form) {
      return ask("readonly", function (store) {
        return store.get(keyOf(form));
      });
    },
    put: function (form, entry) {
      entry.key = keyOf(form);
      entry.person = person;
      entry.form = form;
      return ask("readwrite", function (store) {
        return store.put(entry);
      });
    },
    remove: function (form) {
      return ask("readwrite", function (store) {
        return store.delete(keyOf(form));
      });
    },
    // Every kept form, of everyone, as a list.
    all: function () {
      return ask("readonly", function (store) {
        return store.getAll();
      });
    },
  };

  function forgetEverything() {
    return ask("readwrite", function (store) {
      return store.clear();
    });
  }

  function forgetOthers() {
    return kept.all().then(function (entries) {
      return Promise.all(
        entries
          .filter(function (entry) {
            return entry.person !== person;
          })
          .map(function (entry) {
            return ask("readwrite", function (store) {
              return store.delete(entry.key);
            });
          })
      );
    });
  }

  // A new form is forgotten only if it is the one saved (its key, the form's
  // Idempotency-Key): another tab's new report may be kept under the same name.
  function forgetSaved(saved) {
    var separator = saved.indexOf(":");
    var form = saved.slice(0, separator);
    if (form !== "new") {
      return kept.remove(saved);
    }
    return kept.get("new").then(function (entry) {
      if (entry && entry.formKey === saved.slice(separator + 1)) {
        return kept.remove("new");
      }
    });
  }

  var forget = meta("reports-forget");
  var done;
  if (forget.indexOf("everything") >= 0) {
    done = forgetEverything();
  } else {
    done = Promise.all(forget.map(forgetSaved)).then(function () {
      return meta("reports-person").length ? forgetOthers() : null;
    });
  }
  kept.ready = done.catch(function () {
    // A browser that refuses storage (a private window's quota, say) keeps nothing.
  });
  window.reportsKept = kept;
})();
