// What this browser keeps of the report forms, so that nothing typed is lost to
// a closed tab, a crash or a lost signal. Two stores: the forms as they are
// typed (form.js keeps each), and the outbox, the forms saved or submitted while
// the service could not be reached, sent as soon as it answers again (on every
// page's load, when the browser is back online, and while a page is open, with
// a growing pause between tries), oldest first, each with a fresh CSRF token and
// the key the form was opened with, so that it makes one report however often
// it is sent. On every page: a form the service has saved is forgotten,
// everything is forgotten at sign-out, and another person's typed forms when
// someone else signs in, so that a shared phone shows nobody what another
// typed. Without IndexedDB nothing is kept, and the pages work as they do
// without JavaScript.
"use strict";

// The texts the pages' scripts write, in the page's language: read once from
// <meta name="reports-texts"> (reports/web/script_texts.py). A text that is not
// there (on a page the service worker kept from an older release) is written in
// English, as the script that asks for it has it. `window.reportsTexts(english)`
// gives a script, for its own English texts by key:
// - say(key, values), the text with each %(name)s filled in;
// - fill(element, key, values), the same into `element`, where a value may be an
//   element: a link inside a sentence, a title as typed in a <bdi>.
// A counted text has a form for each plural category of its language, which
// Intl.PluralRules picks for values.count.
(function () {
  // A text split at its placeholders, which the split keeps: "%(name)s" or "%%".
  var PLACEHOLDER = /(%\(\w+\)[sd]|%%)/;
  var given = {};
  var element = document.querySelector('meta[name="reports-texts"]');
  try {
    given = element ? JSON.parse(element.content) : {};
  } catch (error) {
    given = {};
  }
  var pageLanguage = document.documentElement.lang.replace(/_/g, "-");
  var rules = {};

  function categoryOf(count, language) {
    try {
      rules[language] = rules[language] || new Intl.PluralRules(language);
      return rules[language].select(count);
    } catch (error) {
      return "other"; // a language, or a browser, that Intl does not know
    }
  }

  // A text, or a counted text's form for `count`; undefined if there is none.
  function pick(text, count, language) {
    if (text && typeof text === "object") {
      text = text[categoryOf(count, language)] || text.other;
    }
    return typeof text === "string" ? text : undefined;
  }

  // The text's pieces, each placeholder replaced by its value (a placeholder
  // without one stays as it is).
  function pieces(text, values) {
    return text.split(PLACEHOLDER).map(function (piece, index) {
      if (index % 2 === 0) {
        return piece;
      }
      if (piece === "%%") {
        return "%";
      }
      var name = piece.slice(2, -2);
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : piece;
    });
  }

  window.reportsTexts = function (english) {
    function template(key, count) {
      var text = pick(given[key], count, pageLanguage);
      return text === undefined ? pick(english[key], count, "en") : text;
    }

    function say(key, values) {
      values = values || {};
      return pieces(template(key, values.count), values).map(String).join("");
    }

    function fill(element, key, values) {
      values = values || {};
      pieces(template(key, values.count), values).forEach(function (piece) {
        element.appendChild(piece instanceof Node ? piece : document.createTextNode(String(piece)));
      });
      return element;
    }

    return { say: say, fill: fill };
  };
})();

(function () {
  if (!window.indexedDB) {
    return;
  }
  // What this script writes, in English; reports/web/script_texts.py has each,
  // to translate.
  var texts = window.reportsTexts({
    "outbox-waiting": {
      "one": "Saved on this phone. It will be sent when you are back online: %(count)s waiting.",
      "other": "Saved on this phone. It will be sent when you are back online: %(count)s waiting.",
    },
    "outbox-sign-in": {
      "one": "Saved on this phone: %(count)s report waits to be sent. %(link)s",
      "other": "Saved on this phone: %(count)s reports wait to be sent. %(link)s",
    },
    "outbox-sign-in-link": "Sign in again to send them",
    "outbox-refused": "A report kept on this phone was not taken as it was: %(link)s to see why.",
    "outbox-refused-link": "open it",
    "outbox-untitled": "Untitled report",
    "outbox-to-draft": "%(title)s (to save as a draft)",
    "outbox-to-submit": "%(title)s (to submit)",
    "sign-out-heading": {
      "one": "%(count)s report is not sent yet",
      "other": "%(count)s reports are not sent yet",
    },
    "sign-out-text": {
      "one": "Send it first: stay signed in until the phone has a signal again. Or discard it: nobody who uses this phone next will see it.",
      "other": "Send them first: stay signed in until the phone has a signal again. Or discard them: nobody who uses this phone next will see them.",
    },
    "sign-out-stay": "Stay signed in",
    "sign-out-discard": {
      "one": "Discard it and sign out",
      "other": "Discard them and sign out",
    },
  });
  var DATABASE = "post-session-reports";
  var FORMS = "forms";
  var OUTBOX = "outbox";
  // The header with which a form is sent by script (reports/web/forms.py).
  var SENT_BY_SCRIPT = "X-Reports-Script";
  var TIMEOUT_MS = 15000;
  var FIRST_RETRY_MS = 20000;
  var LONGEST_RETRY_MS = 300000;

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
        var request = indexedDB.open(DATABASE, 2);
        request.onupgradeneeded = function () {
          var database = request.result;
          if (!database.objectStoreNames.contains(FORMS)) {
            database.createObjectStore(FORMS, { keyPath: "key" });
          }
          if (!database.objectStoreNames.contains(OUTBOX)) {
            database.createObjectStore(OUTBOX, { keyPath: "id", autoIncrement: true });
          }
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

  // One request on a store (the forms' unless named); resolves with its result
  // once its transaction is done.
  function ask(mode, use, storeName) {
    return open().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction(storeName || FORMS, mode);
        var request = use(transaction.objectStore(storeName || FORMS));
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

  // At sign-out: every typed form, and the pages the service worker kept as
  // last seen (sw.js), which show the person's reports. The outbox stays, to be
  // sent once its person signs in again; nobody else sees more of it than how
  // many wait.
  function forgetEverything() {
    return Promise.all([
      ask("readwrite", function (store) {
        return store.clear();
      }),
      forgetKeptPages(),
    ]);
  }

  function forgetKeptPages() {
    if (!window.caches) {
      return Promise.resolve();
    }
    return caches.keys().then(function (names) {
      return Promise.all(
        names
          .filter(function (name) {
            return name.indexOf("reports-") === 0;
          })
          .map(function (name) {
            return caches.open(name).then(function (cache) {
              return cache.keys().then(function (requests) {
                return Promise.all(
                  requests
                    .filter(function (request) {
                      return new URL(request.url).pathname.indexOf("/static/") !== 0;
                    })
                    .map(function (request) {
                      return cache.delete(request);
                    })
                );
              });
            });
          })
      );
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

  // The outbox ---------------------------------------------------------------

  function outbox() {
    return ask(
      "readonly",
      function (store) {
        return store.getAll();
      },
      OUTBOX
    );
  }

  function mine(entries) {
    return entries.filter(function (entry) {
      return entry.person === person;
    });
  }

  function removeSent(entry) {
    return ask(
      "readwrite",
      function (store) {
        return store.delete(entry.id);
      },
      OUTBOX
    );
  }

  // What became of a form sent: "saved" (with the page to go to), "refused"
  // (the service answered, and the form needs the person's eyes), "sign-in"
  // (the session ended), or "unreachable" (no answer, a timeout, or a 5xx).
  function outcome(kind, location) {
    return { kind: kind, location: location || null };
  }

  function fetched(url, options) {
    var control = new AbortController();
    var timer = setTimeout(function () {
      control.abort();
    }, TIMEOUT_MS);
    options.signal = control.signal;
    options.credentials = "same-origin";
    options.cache = "no-store";
    return fetch(url, options).finally(function () {
      clearTimeout(timer);
    });
  }

  function signedOut(response) {
    return response.redirected && new URL(response.url).pathname === "/login";
  }

  // POST `body` (FormData, the CSRF token in it) to `url` as the form would.
  function post(url, body) {
    return fetched(url, { method: "POST", body: body, headers: { [SENT_BY_SCRIPT]: "1" } }).then(
      function (response) {
        if (response.status === 204) {
          return outcome("saved", response.headers.get("Location"));
        }
        if (signedOut(response) || response.status === 400) {
          return outcome("sign-in");
        }
        return outcome(response.status >= 500 ? "unreachable" : "refused");
      },
      function () {
        return outcome("unreachable");
      }
    );
  }

  // Send one entry of the outbox: its form's page for a fresh CSRF token, then the form.
  function sendEntry(entry) {
    return fetched(entry.url, { method: "GET" })
      .then(
        function (page) {
          if (signedOut(page)) {
            return outcome("sign-in");
          }
          if (page.status >= 500) {
            return outcome("unreachable");
          }
          return page.text().then(function (html) {
            var parsed = new DOMParser().parseFromString(html, "text/html");
            var token = parsed.querySelector('form.report-form input[name="csrf_token"]');
            if (!token) {
              return outcome("refused");
            }
            var body = new FormData();
            body.append("csrf_token", token.value);
            entry.values.forEach(function (pair) {
              body.append(pair[0], pair[1]);
            });
            return post(entry.url, body);
          });
        },
        function () {
          return outcome("unreachable");
        }
      )
      .then(function (result) {
        if (result.kind === "saved") {
          return removeSent(entry).then(function () {
            return result;
          });
        }
        if (result.kind === "refused") {
          // Back into the form, which shows the service's answer once sent from there.
          return kept
            .put(entry.form, {
              values: entry.values,
              formKey: entry.formKey,
              savedAt: entry.savedAt,
              refused: true,
            })
            .then(function () {
              return removeSent(entry);
            })
            .then(function () {
              return result;
            });
        }
        return result;
      });
  }

  var sending = null;
  var pause = FIRST_RETRY_MS;
  var retry = null;

  // Send this person's outbox, oldest first, stopping at the first that cannot
  // go; then say on the page what waits, and try again later if need be.
  function sendAll() {
    if (sending) {
      return sending;
    }
    clearTimeout(retry);
    var stopped = null;
    sending = outbox()
      .then(function (entries) {
        var chain = Promise.resolve();
        mine(entries).forEach(function (entry) {
          chain = chain.then(function () {
            if (stopped) {
              return;
            }
            return sendEntry(entry).then(function (result) {
              if (result.kind === "unreachable" || result.kind === "sign-in") {
                stopped = result.kind;
              }
            });
          });
        });
        return chain;
      })
      .then(function () {
        if (stopped === "unreachable") {
          retry = setTimeout(sendAll, pause);
          pause = Math.min(pause * 2, LONGEST_RETRY_MS);
        } else {
          pause = FIRST_RETRY_MS;
        }
        return showWaiting(stopped);
      })
      .catch(function () {})
      .then(function () {
        sending = null;
      });
    return sending;
  }

  function queue(form, url, values) {
    var formKey = values.filter(function (pair) {
      return pair[0] === "form_key";
    })[0];
    var entry = {
      person: person,
      form: form,
      url: url,
      values: values,
      formKey: formKey ? formKey[1] : null,
      savedAt: new Date().toISOString(),
    };
    return ask(
      "readwrite",
      function (store) {
        return store.add(entry);
      },
      OUTBOX
    ).then(function () {
      return kept.remove(form);
    });
  }

  // The notice on every page of what waits in the outbox, and of kept forms
  // that the service refused; none when nothing does.
  function showWaiting(stopped) {
    return Promise.all([outbox(), kept.all()]).then(function (found) {
      var waiting = signedIn ? mine(found[0]) : found[0];
      var refused = found[1].filter(function (entry) {
        return entry.person === person && entry.refused;
      });
      var old = document.getElementById("outbox");
      if (old) {
        old.remove();
      }
      if (!waiting.length && !refused.length) {
        return;
      }
      var notice = document.createElement("div");
      notice.className = "notice outbox";
      notice.id = "outbox";
      notice.setAttribute("role", "status");
      if (waiting.length) {
        var line = document.createElement("p");
        if (stopped === "sign-in" || !signedIn) {
          var link = document.createElement("a");
          link.href = "/login";
          link.textContent = texts.say("outbox-sign-in-link");
          texts.fill(line, "outbox-sign-in", { count: waiting.length, link: link });
        } else {
          texts.fill(line, "outbox-waiting", { count: waiting.length });
        }
        notice.appendChild(line);
        if (signedIn) {
          notice.appendChild(listOf(waiting));
        }
      }
      refused.forEach(function (entry) {
        var line = document.createElement("p");
        var link = document.createElement("a");
        link.href = entry.form === "new" ? "/reports/new" : "/reports/" + entry.form.slice(5) + "/edit";
        link.textContent = texts.say("outbox-refused-link");
        notice.appendChild(texts.fill(line, "outbox-refused", { link: link }));
      });
      var main = document.getElementById("main");
      if (main) {
        main.insertAdjacentElement("afterbegin", notice);
      }
    });
  }

  // What waits, each by its title (the catalogue's title field, as typed) and
  // what it is to do: only this person's, and only on their own pages.
  function listOf(entries) {
    var titleField = meta("reports-title-field")[0];
    var list = document.createElement("ul");
    list.className = "outbox-list";
    entries.forEach(function (entry) {
      var title = entry.values.filter(function (pair) {
        return pair[0] === titleField && pair[1];
      })[0];
      var action = entry.values.filter(function (pair) {
        return pair[0] === "action";
      })[0];
      // The title as typed, in its own direction.
      var named = document.createElement("bdi");
      named.textContent = title ? title[1] : texts.say("outbox-untitled");
      var item = document.createElement("li");
      if (action && action[1] === "draft") {
        texts.fill(item, "outbox-to-draft", { title: named });
      } else {
        texts.fill(item, "outbox-to-submit", { title: named });
      }
      list.appendChild(item);
    });
    return list;
  }

  // On a page that refuses a form (a report locked meanwhile): what this phone
  // kept of it, to copy from, and a button to discard it.
  function showKeptText() {
    var holder = document.querySelector("[data-kept-form]");
    if (!holder) {
      return Promise.resolve();
    }
    var form = holder.getAttribute("data-kept-form");
    var labels = JSON.parse(holder.getAttribute("data-labels") || "{}");
    return kept.get(form).then(function (entry) {
      if (!entry) {
        return;
      }
      var fields = holder.querySelector("dl");
      entry.values.forEach(function (pair) {
        if (!labels[pair[0]] || pair[1] === "") {
          return; // the form's own keys (version, form_key, action), and empty fields
        }
        var row = document.createElement("div");
        var name = document.createElement("dt");
        var value = document.createElement("dd");
        name.textContent = labels[pair[0]];
        value.textContent = pair[1];
        value.className = "long-text";
        value.dir = "auto";
        row.appendChild(name);
        row.appendChild(value);
        fields.appendChild(row);
      });
      holder.querySelector("button").addEventListener("click", function () {
        kept.remove(form).then(function () {
          holder.hidden = true;
          return showWaiting(null);
        });
      });
      holder.hidden = false;
    });
  }

  // Signing out with reports not sent yet: they are sent first if they can be;
  // else the page asks whether to discard them, or stay signed in to send them.
  function guardSignOut() {
    var signOut = document.querySelector('form[action="/logout"]');
    if (!signOut) {
      return;
    }
    signOut.addEventListener("submit", function (event) {
      if (signOut.hasAttribute("data-confirmed")) {
        return;
      }
      event.preventDefault();
      sendAll()
        .then(outbox)
        .then(function (entries) {
          var waiting = mine(entries);
          if (!waiting.length) {
            signOut.setAttribute("data-confirmed", "");
            signOut.submit();
          } else {
            askBeforeSignOut(signOut, waiting);
          }
        });
    });
  }

  function askBeforeSignOut(signOut, waiting) {
    var old = document.getElementById("sign-out-waiting");
    if (old) {
      old.remove();
    }
    var notice = document.createElement("div");
    notice.className = "notice";
    notice.id = "sign-out-waiting";
    notice.setAttribute("role", "alert");
    var count = { count: waiting.length };
    var heading = document.createElement("h2");
    heading.textContent = texts.say("sign-out-heading", count);
    var text = document.createElement("p");
    text.textContent = texts.say("sign-out-text", count);
    var stay = document.createElement("button");
    stay.type = "button";
    stay.textContent = texts.say("sign-out-stay");
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button-warning";
    discard.textContent = texts.say("sign-out-discard", count);
    stay.addEventListener("click", function () {
      notice.remove();
    });
    discard.addEventListener("click", function () {
      Promise.all(waiting.map(removeSent))
        .then(forgetEverything)
        .then(function () {
          signOut.setAttribute("data-confirmed", "");
          signOut.submit();
        });
    });
    notice.appendChild(heading);
    notice.appendChild(text);
    var buttons = document.createElement("div");
    buttons.className = "actions";
    buttons.appendChild(stay);
    buttons.appendChild(discard);
    notice.appendChild(buttons);
    var main = document.getElementById("main");
    main.insertAdjacentElement("afterbegin", notice);
    stay.focus();
  }

  var signedIn = meta("reports-person").length > 0;
  kept.post = post;
  kept.queue = function (form, url, values) {
    return queue(form, url, values).then(sendAll);
  };
  kept.outbox = outbox;

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
  kept.ready.then(function () {
    guardSignOut();
    showKeptText();
    if (signedIn) {
      sendAll();
    } else {
      showWaiting(null);
    }
  });
  window.addEventListener("online", function () {
    if (signedIn) {
      pause = FIRST_RETRY_MS;
      sendAll();
    }
  });
})();
