// /docs: Swagger UI renders the OpenAPI document named by #swagger-ui.
// A file of its own rather than an inline script, so that the
// Content-Security-Policy can forbid inline scripts.
"use strict";

(function () {
  var root = document.getElementById("swagger-ui");

  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Without deep links: Swagger UI puts each one inside the button that opens
    // its operation, a link within a button, which keyboards and screen readers
    // cannot use (axe-core's nested-interactive).
    deepLinking: false,
    // Plain examples: the highlighter's colours are too faint on its dark background.
    syntaxHighlight: { activated: false },
    // No badge from the online validator: the page calls nothing but this server.
    validatorUrl: null,
  });

  // Names that Swagger UI leaves out or gets wrong, for screen readers (axe-core's
  // select-name, button-name, label-content-name-mismatch): the list of a
  // parameter's values (an enum) is named after its parameter, as the row shows
  // it; a copy or close button says what it does; a button whose name leaves out
  // its visible text (Authorize is "Apply credentials") says that text first, as
  // speech control users say it.
  function nameControls() {
    var lists = document.querySelectorAll("tr[data-param-name] select:not([aria-label])");
    lists.forEach(function (list) {
      list.setAttribute("aria-label", list.closest("tr").dataset.paramName);
    });
    var unnamed = {
      ".copy-to-clipboard > button": "Copy to the clipboard",
      ".close-modal": "Close",
    };
    Object.keys(unnamed).forEach(function (selector) {
      document.querySelectorAll(selector + ":not([aria-label])").forEach(function (button) {
        button.setAttribute("aria-label", unnamed[selector]);
      });
    });
    document.querySelectorAll("#swagger-ui button[aria-label]").forEach(function (button) {
      var text = button.textContent.trim();
      var name = button.getAttribute("aria-label");
      if (text && name.toLowerCase().indexOf(text.toLowerCase()) === -1) {
        button.setAttribute("aria-label", text + ": " + name.toLowerCase());
      }
    });
  }
  new MutationObserver(nameControls).observe(root, { childList: true, subtree: true });
})();
