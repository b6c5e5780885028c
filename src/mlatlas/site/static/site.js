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

  // Topic map: hovering or focusing a page lights up what it needs and what it leads to.
  document.querySelectorAll(".topic-graph").forEach(function (svg) {
    svg.querySelectorAll("a.node.page").forEach(function (node) {
      var id = node.getAttribute("data-id");
      var related = function (attr) { return (node.getAttribute(attr) || "").split(" ").filter(Boolean); };
      var mark = function (ids, cls) {
        ids.forEach(function (other) {
          svg.querySelectorAll('a.node[data-id="' + other + '"]').forEach(function (n) { n.classList.add(cls); });
        });
      };
      var on = function () {
        svg.classList.add("dim");
        node.classList.add("on");
        mark(related("data-needs"), "need");
        mark(related("data-leads"), "lead");
        svg.querySelectorAll('path[data-from="' + id + '"], path[data-to="' + id + '"]').forEach(function (p) { p.classList.add("on"); });
      };
      var off = function () {
        svg.classList.remove("dim");
        svg.querySelectorAll(".on, .need, .lead").forEach(function (n) { n.classList.remove("on", "need", "lead"); });
      };
      node.addEventListener("mouseenter", on); node.addEventListener("focus", on);
      node.addEventListener("mouseleave", off); node.addEventListener("blur", off);
    });
  });

  // Topic map: zoom (buttons, ctrl/pinch wheel, + and - keys) and pan (drag, scroll, arrow keys).
  document.querySelectorAll(".map-view").forEach(function (view) {
    var canvas = view.querySelector(".map-canvas");
    var svg = canvas && canvas.querySelector("svg");
    if (!svg) return;
    var natural = parseFloat(svg.getAttribute("data-w")) || svg.viewBox.baseVal.width;
    var fit = function () { return Math.min(natural, canvas.clientWidth || natural); };
    var setWidth = function (width, cx, cy) {  // zoom to `width` px, keeping the point (cx, cy) still
      var rect = canvas.getBoundingClientRect();
      cx = cx === undefined ? rect.width / 2 : cx; cy = cy === undefined ? rect.height / 2 : cy;
      var old = svg.getBoundingClientRect();
      var fx = (canvas.scrollLeft + cx) / (old.width || 1), fy = (canvas.scrollTop + cy) / (old.height || 1);
      width = Math.max(fit(), Math.min(width, fit() * 8));
      svg.style.maxWidth = "none"; svg.style.minWidth = "0"; svg.style.width = width + "px";
      var now = svg.getBoundingClientRect();
      canvas.scrollLeft = fx * now.width - cx;
      canvas.scrollTop = fy * now.height - cy;
    };
    var current = function () { return svg.getBoundingClientRect().width; };
    var apply = function (factor, cx, cy) { setWidth(current() * factor, cx, cy); };
    var tools = view.querySelector(".map-tools");
    if (tools) {
      tools.hidden = false;
      tools.addEventListener("click", function (e) {
        var b = e.target.closest("button");
        if (!b) return;
        var z = b.getAttribute("data-zoom");
        if (z === "in") apply(1.4);
        else if (z === "out") apply(1 / 1.4);
        else { svg.style.width = ""; svg.style.maxWidth = natural + "px"; svg.style.minWidth = "0"; }
      });
    }
    canvas.addEventListener("wheel", function (e) {
      if (!e.ctrlKey) return;  // plain wheel scrolls; ctrl+wheel and trackpad pinch zoom
      e.preventDefault();
      var r = canvas.getBoundingClientRect();
      apply(Math.exp(-e.deltaY * 0.01), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    canvas.addEventListener("keydown", function (e) {
      if (e.target !== canvas) return;
      if (e.key === "+" || e.key === "=") { apply(1.4); e.preventDefault(); }
      else if (e.key === "-" || e.key === "_") { apply(1 / 1.4); e.preventDefault(); }
      else if (e.key === "0") { setWidth(fit()); e.preventDefault(); }
    });
    var drag = null;
    canvas.addEventListener("pointerdown", function (e) {
      if (e.pointerType !== "mouse" || e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, left: canvas.scrollLeft, top: canvas.scrollTop, moved: false };
    });
    window.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) { drag.moved = true; canvas.classList.add("dragging"); }
      canvas.scrollLeft = drag.left - dx; canvas.scrollTop = drag.top - dy;
    });
    window.addEventListener("pointerup", function () {
      if (drag && drag.moved) canvas.addEventListener("click", function stop(ev) { ev.preventDefault(); ev.stopPropagation(); canvas.removeEventListener("click", stop, true); }, true);
      drag = null; canvas.classList.remove("dragging");
    });
    // Two-finger pinch on touch screens.
    var touches = {}, pinch = null;
    canvas.addEventListener("pointerdown", function (e) { if (e.pointerType === "touch") touches[e.pointerId] = e; });
    canvas.addEventListener("pointermove", function (e) {
      if (e.pointerType !== "touch" || !(e.pointerId in touches)) return;
      touches[e.pointerId] = e;
      var ids = Object.keys(touches);
      if (ids.length !== 2) return;
      var a = touches[ids[0]], b = touches[ids[1]];
      var dist = Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY);
      if (pinch === null) pinch = { dist: dist, width: current() };
      else setWidth(pinch.width * dist / pinch.dist);
    });
    var lift = function (e) { delete touches[e.pointerId]; if (Object.keys(touches).length < 2) pinch = null; };
    canvas.addEventListener("pointerup", lift); canvas.addEventListener("pointercancel", lift);
  });

  // Topic map: an area node opens that area's map.
  var openArea = function (hash) {
    var target = hash && document.getElementById(hash.slice(1));
    var details = target && target.closest("details.area-map");
    if (details) { details.open = true; details.scrollIntoView({ block: "start" }); }
  };
  document.querySelectorAll(".topic-graph a.node.area").forEach(function (a) {
    a.addEventListener("click", function () { openArea(a.getAttribute("href")); });
  });
  window.addEventListener("hashchange", function () { openArea(location.hash); });
  if (location.hash) openArea(location.hash);

  // Scroll areas (code, display math, tables, wide figures) are keyboard-focusable only while they
  // actually scroll, so the tab order does not stop at every equation.
  var scrollers = document.querySelectorAll("pre.code, .math-display, .table-wrap, .figure-svg");
  var markScrollers = function () {
    scrollers.forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) {
        el.setAttribute("tabindex", "0");
        if (!el.matches("pre.code") && !el.hasAttribute("aria-label")) {
          el.setAttribute("role", "region");
          el.setAttribute("aria-label", el.matches(".math-display") ? "Equation (scrolls sideways)"
            : el.matches(".table-wrap") ? "Table (scrolls sideways)" : "Figure (scrolls sideways)");
        }
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
