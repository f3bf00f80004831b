// Installs the service worker (/sw.js, reports/static/sw.js), which keeps the
// app's shell and the report form and My reports for a phone without a signal.
// Without it, or in a browser without service workers, the pages work as ever.
"use strict";

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" });
}
