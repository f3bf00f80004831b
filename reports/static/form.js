// The report form: under each text with a limit, how many characters are left.
// A convenience only: maxlength keeps the limit, and the server checks it.
"use strict";

(function () {
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
          ? left + (left === 1 ? " character" : " characters") + " left"
          : -left + (left === -1 ? " character" : " characters") + " too many";
      counter.classList.toggle("counter-over", left < 0);
    }

    input.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("[data-counter][maxlength]").forEach(addCounter);
})();
