/* The chat page's and the widget's own script (inlined in the page's <head> by ui/app.py).
 *
 * 1. A new answer is shown from its start. Gradio's autoscroll (turned off in ui/chat.py) follows
 *    the end of a message, and an answer ends with its source passages, so the answer itself was
 *    scrolled out of sight. Here, when a new answer appears, its scroll box (the widget's message
 *    list, or the page) brings its question and first line to the top (or as near as the box can
 *    scroll), and again while the answer streams in its first seconds (the box can scroll further
 *    as it grows); then the reader scrolls on from there.
 * 2. The widget's accent colour: `?accent=#rrggbb` (set by widget.js from data-accent); hex only,
 *    anything else is ignored.
 */
(function () {
  "use strict";
  var accent = new URLSearchParams(location.search).get("accent") || "";
  if (/^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(accent)) {
    var root = document.documentElement.style;
    root.setProperty("--qa-accent", accent);
    root.setProperty("--color-accent", accent);
  }

  var FOLLOW_MS = 3000; // how long a new answer is kept at the top while it streams

  function scrollBox(element) {
    for (var box = element.parentElement; box; box = box.parentElement) {
      var overflow = getComputedStyle(box).overflowY;
      if ((overflow === "auto" || overflow === "scroll") && box.scrollHeight > box.clientHeight) return box;
    }
    return null; // the page itself
  }

  function showStart(answer) {
    // The question too, when it is short enough to leave room for the answer.
    var question = answer.previousElementSibling;
    while (question && !question.classList.contains("user-row")) question = question.previousElementSibling;
    var target = answer;
    if (question && answer.getBoundingClientRect().top - question.getBoundingClientRect().top < 160) target = question;
    var box = scrollBox(answer);
    if (box) box.scrollTop += target.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    var top = target.getBoundingClientRect().top; // and the chat itself inside the window
    if (!box || top < 0 || top > window.innerHeight - 48) window.scrollBy(0, top - 8);
  }

  var shown = 0; // answers already seen; fewer after the chat is cleared
  var latest = null, since = 0;
  new MutationObserver(function () {
    var answers = document.querySelectorAll("#qa-chatbot .message-row.bot-row");
    if (answers.length < shown) shown = answers.length;
    if (answers.length > shown) {
      shown = answers.length;
      since = Date.now();
    }
    if (shown && Date.now() - since < FOLLOW_MS) {
      latest = answers[answers.length - 1];
      requestAnimationFrame(function () { if (latest) showStart(latest); });
    }
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
})();
