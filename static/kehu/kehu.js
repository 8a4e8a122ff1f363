/* Behaviour every page shares. The Content-Security-Policy forbids inline scripts and inline
   event handlers (onclick=, onsubmit=, onchange=, hx-on), so templates mark elements instead:
   - data-confirm="question" on a form, or on one of its submit buttons: ask before submitting
     (Cancel sends nothing, also for an htmx form);
   - data-autosubmit on a field: its form is submitted as soon as the field changes. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var asker = submitter && submitter.hasAttribute("data-confirm") ? submitter
      : form.hasAttribute && form.hasAttribute("data-confirm") ? form : null;
    if (asker && !window.confirm(asker.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true); // capture: before htmx or any other handler of the form sees the submit

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    }
  });
})();
