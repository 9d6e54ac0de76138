/* Cotaflux: small progressive enhancements (the pages work without them).
   Loaded from /static under Content-Security-Policy script-src 'self'. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // After a refused form, move the focus to the error summary so that screen readers
    // announce it and keyboard users start from the list of errors.
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.focus();
      // A link of the summary focuses its field (not only scrolls to it).
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        if (!link) { return; }
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (target) {
          event.preventDefault();
          target.focus();
          target.scrollIntoView({ block: "center" });
        }
      });
    }
  });
})();
