// ML Atlas: small progressive enhancements. Every page works without this file except labs and search.
(function () {
  var root = document.documentElement;
  var toggle = document.querySelector(".theme-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var next = root.dataset.theme === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      try { localStorage.setItem("mlatlas-theme", next); } catch (e) {}
      document.dispatchEvent(new CustomEvent("themechange", { detail: { theme: next } }));
    });
  }
  // Follow the OS while the reader has not chosen.
  var mq = window.matchMedia("(prefers-color-scheme: dark)");
  mq.addEventListener("change", function (e) {
    var chosen = null;
    try { chosen = localStorage.getItem("mlatlas-theme"); } catch (err) {}
    if (!chosen) {
      root.dataset.theme = e.matches ? "dark" : "light";
      document.dispatchEvent(new CustomEvent("themechange", { detail: { theme: root.dataset.theme } }));
    }
  });

  // Topic graph: hovering a topic lights up the prerequisite links into and out of it.
  document.querySelectorAll(".topic-graph").forEach(function (svg) {
    svg.querySelectorAll(".node").forEach(function (node) {
      var id = node.getAttribute("data-id");
      var on = function () {
        svg.classList.add("dim");
        svg.querySelectorAll('path[data-from="' + id + '"], path[data-to="' + id + '"]').forEach(function (p) { p.classList.add("on"); });
      };
      var off = function () {
        svg.classList.remove("dim");
        svg.querySelectorAll("path.on").forEach(function (p) { p.classList.remove("on"); });
      };
      node.addEventListener("mouseenter", on); node.addEventListener("focus", on);
      node.addEventListener("mouseleave", off); node.addEventListener("blur", off);
    });
  });

  // Scroll areas (code, display math, tables, wide figures) are keyboard-focusable only while they
  // actually scroll, so the tab order does not stop at every equation.
  var scrollers = document.querySelectorAll("pre.code, .math-display, .table-wrap, .figure-svg");
  var markScrollers = function () {
    scrollers.forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) {
        el.setAttribute("tabindex", "0");
        if (!el.hasAttribute("aria-label") && !el.closest("figure.code-ref")) el.setAttribute("aria-label", "Scrollable content");
      } else if (!el.matches("pre.code")) {
        el.removeAttribute("tabindex");
      }
    });
  };
  if (scrollers.length) {
    markScrollers();
    window.addEventListener("resize", markScrollers);
  }

  // Essays: filter the cards by tag (the buttons are hidden without JavaScript).
  var filter = document.querySelector(".tag-filter");
  if (filter) {
    filter.hidden = false;
    var apply = function (tag) {
      filter.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.tag === tag)); });
      document.querySelectorAll("#cards .card").forEach(function (card) {
        var tags = (card.dataset.tags || "").split(",");
        card.hidden = Boolean(tag) && tags.indexOf(tag) < 0;
      });
      var url = new URL(location.href);
      if (tag) url.searchParams.set("tag", tag); else url.searchParams.delete("tag");
      history.replaceState(null, "", url);
    };
    filter.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (b) apply(b.dataset.tag);
    });
    var initial = new URLSearchParams(location.search).get("tag");
    if (initial) apply(initial);
  }
})();
