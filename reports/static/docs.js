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

  // Names that Swagger UI leaves out, for screen readers (axe-core's select-name
  // and button-name): the list of a parameter's values (an enum) is named after
  // its parameter, as the row shows it; a copy button says what it does.
  function nameUnnamedControls() {
    var lists = root.querySelectorAll("tr[data-param-name] select:not([aria-label])");
    lists.forEach(function (list) {
      list.setAttribute("aria-label", list.closest("tr").dataset.paramName);
    });
    var copyButtons = root.querySelectorAll(".copy-to-clipboard > button:not([aria-label])");
    copyButtons.forEach(function (button) {
      button.setAttribute("aria-label", "Copy to the clipboard");
    });
  }
  new MutationObserver(nameUnnamedControls).observe(root, { childList: true, subtree: true });
})();
