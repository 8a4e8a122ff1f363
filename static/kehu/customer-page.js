/* The customer page's sections as tabs.

   Without JavaScript the sections stand one under the other and the tab bar is a list of
   anchors (#tab-followup …), so everything can be read. With it, one section shows at a time:
   the one named by the address (#tab-deals), or the one holding the element the address points
   at (#contacts, #qualification), else the first. The address keeps the open tab (replaceState),
   so a reload or the back button returns to it. Opening the History tab unfolds the history.
*/
(function () {
  "use strict";

  function init() {
    var nav = document.querySelector("[data-kehu-tabs]");
    if (!nav) return;
    var links = Array.prototype.slice.call(nav.querySelectorAll("a[data-tab]"));
    var panes = {};
    links.forEach(function (link) {
      var pane = document.getElementById("tab-" + link.getAttribute("data-tab"));
      if (pane) panes[link.getAttribute("data-tab")] = pane;
    });
    links = links.filter(function (link) { return panes[link.getAttribute("data-tab")]; });
    if (!links.length) return;

    document.body.classList.add("kehu-tabs-on");
    nav.querySelector("ul").setAttribute("role", "tablist");
    links.forEach(function (link) {
      var key = link.getAttribute("data-tab");
      link.id = "tab-link-" + key;
      link.setAttribute("role", "tab");
      link.setAttribute("aria-controls", "tab-" + key);
      panes[key].setAttribute("role", "tabpanel");
      panes[key].setAttribute("aria-labelledby", link.id);
      link.addEventListener("click", function (event) {
        event.preventDefault();
        show(key, true);
        link.focus();
      });
      link.addEventListener("keydown", function (event) {
        var i = links.indexOf(link);
        var next = event.key === "ArrowRight" ? links[(i + 1) % links.length]
          : event.key === "ArrowLeft" ? links[(i - 1 + links.length) % links.length] : null;
        if (next) {
          event.preventDefault();
          next.click();
        }
      });
    });

    function show(key, remember) {
      links.forEach(function (link) {
        var on = link.getAttribute("data-tab") === key;
        link.classList.toggle("active", on);
        link.setAttribute("aria-selected", on ? "true" : "false");
        link.setAttribute("tabindex", on ? "0" : "-1");
        if (on && link.scrollIntoView) link.scrollIntoView({block: "nearest", inline: "nearest"});
      });
      Object.keys(panes).forEach(function (k) { panes[k].hidden = k !== key; });
      if (key === "history") {
        var fold = panes[key].querySelector("details");
        if (fold) fold.open = true;
      }
      if (remember && window.history && window.history.replaceState) {
        window.history.replaceState(window.history.state, "", "#tab-" + key);
      }
    }

    function fromAddress() {
      var hash = decodeURIComponent(window.location.hash.slice(1));
      var key = null;
      var target = null;
      if (hash.indexOf("tab-") === 0 && panes[hash.slice(4)]) {
        key = hash.slice(4);
      } else if (hash) {
        target = document.getElementById(hash);
        var pane = target && target.closest("[data-tab-pane]");
        key = pane ? pane.getAttribute("data-tab-pane") : null;
      }
      show(key || links[0].getAttribute("data-tab"), false);
      if (target) target.scrollIntoView();
    }

    window.addEventListener("hashchange", fromAddress);
    fromAddress();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
