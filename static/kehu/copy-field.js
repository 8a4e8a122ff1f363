/* Copy buttons: <button data-copy="#input-id" data-copied="Copied">: copies the input's value
   (the clipboard API where the page is served over HTTPS or on localhost, else selects the text
   so the user can copy it). Loaded by templates/accounts/me.html. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) { return; }
    var label = button.textContent;
    var done = function () {
      button.textContent = button.getAttribute("data-copied") || label;
      window.setTimeout(function () { button.textContent = label; }, 1500);
    };
    input.focus();
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
