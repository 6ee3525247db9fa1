/* The news QA launcher: one line on any page,
 *
 *   <script src="http://HOST/widget.js" data-title="Ask our newsroom" data-lang="fr"
 *           data-position="bottom-left" data-accent="#0b5fff"
 *           data-examples="What did the council decide?|When does the harbour reopen?"></script>
 *
 * adds a button that opens the chat (HOST/embed/) in a panel. Why an iframe in a Shadow DOM: the
 * host page's CSS cannot reach into either (a shadow tree gets none of the page's rules, and its
 * `:host` rule marked !important beats the page's !important ones), and the chat's CSS cannot leak
 * out. Sizes are in px, never rem/em: the host page may change its root font size. The options
 * travel to /embed/ as query parameters, which that page checks again (ui/widget.py); here they
 * are only ever used as text (textContent, attributes), never as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__newsQaWidget) return; // loaded twice: one launcher
  window.__newsQaWidget = true;

  var LABELS = {
    en: { title: "Ask the articles", open: "Ask the articles", close: "Close" },
    fr: { title: "Interrogez les articles", open: "Interroger les articles", close: "Fermer" },
    de: { title: "Fragen Sie die Artikel", open: "Die Artikel fragen", close: "Schließen" }
  };
  var data = script.dataset;
  var pageLang = (document.documentElement.lang || "").slice(0, 2).toLowerCase();
  var lang = LABELS[data.lang] ? data.lang : (LABELS[pageLang] ? pageLang : "en");
  var labels = LABELS[lang];
  var title = (data.title || "").trim().slice(0, 80) || labels.title;
  // A colour the page may name: hex only (anything else is ignored, never put in CSS text).
  var ownAccent = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(data.accent || "");
  var accent = ownAccent ? data.accent : "#2563eb";
  var left = data.position === "bottom-left";
  var examples = (data.examples || "").split("|").map(function (s) { return s.trim(); })
    .filter(Boolean).slice(0, 4);

  var src = new URL("embed/", script.src); // beside widget.js, wherever the server is mounted
  src.searchParams.set("lang", lang);
  src.searchParams.set("title", title);
  if (ownAccent) src.searchParams.set("accent", accent);
  examples.forEach(function (q) { src.searchParams.append("example", q); });

  var host = document.createElement("news-qa-widget");
  var root = host.attachShadow({ mode: "open" });
  var side = left ? "left" : "right";
  var style = document.createElement("style");
  // Inside the shadow tree only the page's inherited values could arrive: `all: initial` on the
  // host stops them; everything below sets what it looks like itself.
  style.textContent = [
    ":host { all: initial !important; display: block !important; position: static !important; }",
    ".qa-root { font: 400 15px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #111827; }",
    ".qa-launcher { all: initial; position: fixed; " + side + ": 20px; bottom: 20px; z-index: 2147483000;",
    "  box-sizing: border-box; width: 56px; height: 56px; margin: 0; padding: 0; border: 0; border-radius: 28px;",
    "  background: var(--qa-accent); color: #fff; cursor: pointer; display: flex; align-items: center;",
    "  justify-content: center; box-shadow: 0 4px 14px rgba(0,0,0,.25); }",
    ".qa-launcher:focus-visible, .qa-close:focus-visible { outline: 3px solid #111827; outline-offset: 2px; }",
    ".qa-launcher svg { display: block; width: 28px; height: 28px; }",
    ".qa-panel { all: initial; position: fixed; " + side + ": 20px; bottom: 88px; z-index: 2147483000;",
    "  box-sizing: border-box; width: 384px; height: min(600px, calc(100vh - 108px)); min-height: 320px;",
    "  display: flex; flex-direction: column; background: #fff; border: 1px solid #d1d5db; border-radius: 12px;",
    "  overflow: hidden; box-shadow: 0 12px 32px rgba(0,0,0,.25); font: inherit; color: inherit; }",
    ".qa-panel[hidden] { display: none; }",
    ".qa-bar { box-sizing: border-box; display: flex; align-items: center; gap: 8px; height: 44px; margin: 0;",
    "  padding: 0 6px 0 14px; background: var(--qa-accent); color: #fff; flex: none; }",
    ".qa-title { flex: 1; min-width: 0; margin: 0; font-family: inherit; font-size: 15px; font-weight: 600;",
    "  line-height: 1.2;",
    "  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }",
    ".qa-close { all: initial; box-sizing: border-box; width: 36px; height: 36px; border-radius: 18px;",
    "  color: #fff; cursor: pointer; font: 400 24px/36px system-ui, sans-serif; text-align: center; }",
    ".qa-close:hover, .qa-launcher:hover { filter: brightness(1.1); }",
    ".qa-frame { display: block; flex: 1; width: 100%; min-height: 0; margin: 0; padding: 0; border: 0; }",
    // Phones: the panel is the whole screen, and its bar's button closes it.
    "@media (max-width: 480px) {",
    "  .qa-panel { left: 0; right: 0; top: 0; bottom: 0; width: auto; height: auto; min-height: 0;",
    "    border: 0; border-radius: 0; }",
    "  .qa-open .qa-launcher { display: none; }",
    "}"
  ].join("\n");

  var wrap = document.createElement("div");
  wrap.className = "qa-root";
  wrap.style.setProperty("--qa-accent", accent);

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "qa-launcher";
  launcher.setAttribute("aria-label", labels.open);
  launcher.setAttribute("aria-expanded", "false");
  launcher.title = labels.open;
  // A speech bubble (constant markup: no option reaches it).
  launcher.innerHTML = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" ' +
    'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 15a2 2 0 0 1-2 2H7l-4 ' +
    '4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/></svg>';

  var panel = document.createElement("div");
  panel.className = "qa-panel";
  panel.id = "qa-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  launcher.setAttribute("aria-controls", "qa-panel");
  var bar = document.createElement("div");
  bar.className = "qa-bar";
  var heading = document.createElement("p");
  heading.className = "qa-title";
  heading.textContent = title;
  var close = document.createElement("button");
  close.type = "button";
  close.className = "qa-close";
  close.setAttribute("aria-label", labels.close);
  close.title = labels.close;
  close.textContent = "×";
  bar.appendChild(heading);
  bar.appendChild(close);
  panel.appendChild(bar);

  var frame = null; // made on first open: a page that never opens the chat loads nothing
  function setOpen(open) {
    if (open && !frame) {
      frame = document.createElement("iframe");
      frame.className = "qa-frame";
      frame.title = title;
      frame.src = src.href;
      panel.appendChild(frame);
    }
    panel.hidden = !open;
    wrap.classList.toggle("qa-open", open);
    launcher.setAttribute("aria-expanded", String(open));
    if (open) frame.focus(); else launcher.focus();
  }
  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  close.addEventListener("click", function () { setOpen(false); });
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) setOpen(false);
  });

  wrap.appendChild(panel);
  wrap.appendChild(launcher);
  root.appendChild(style);
  root.appendChild(wrap);
  function attach() { document.body.appendChild(host); }
  if (document.body) attach(); else document.addEventListener("DOMContentLoaded", attach);
})();
