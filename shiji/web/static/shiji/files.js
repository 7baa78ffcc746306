// Files in the browser: the size check before an upload is sent, and the
// image viewer. Both enhance plain HTML that works without them: the server
// checks the size again, and every thumbnail is a link to its image.
(function () {
  "use strict";

  var english = (document.documentElement.lang || "").toLowerCase().indexOf("en") === 0;
  var WORDS = english
    ? { viewer: "Image viewer", close: "Close", prev: "Previous", next: "Next", zoomIn: "Zoom in",
        zoomOut: "Zoom out", reset: "Fit", download: "Download", loading: "Loading…",
        failed: "The image could not be loaded." }
    : { viewer: "查看图片", close: "关闭", prev: "上一张", next: "下一张", zoomIn: "放大",
        zoomOut: "缩小", reset: "还原", download: "下载", loading: "正在加载…",
        failed: "图片无法加载。" };

  // Upload size ------------------------------------------------------------
  // <input type=file data-max-bytes="…" data-max-message="…"> (the template
  // tag upload_limit_attrs): a file over the limit is named next to the input
  // and the form is not sent, so nobody waits for 200 MB to go up only to be
  // told it is too large.

  function sizeProblem(input) {
    var limit = Number(input.dataset.maxBytes);
    if (!limit || !input.files) return "";
    var big = Array.prototype.filter.call(input.files, function (f) { return f.size > limit; });
    if (!big.length) return "";
    var message = input.dataset.maxMessage;
    return input.files.length > 1 || big.length > 1
      ? big.map(function (f) { return f.name; }).join("、") + "：" + message
      : message;
  }

  function showSizeProblem(input, message) {
    var feedback = input.sjSizeError;
    if (!feedback && message) {
      feedback = input.sjSizeError = document.createElement("div");
      feedback.className = "invalid-feedback";
      feedback.setAttribute("data-sj-size-error", "");
      feedback.setAttribute("role", "alert");
      feedback.id = (input.id || input.name) + "-size-error";
      // In an input group the message goes below the group, as Bootstrap's own do.
      var group = input.closest(".input-group");
      if (group) group.append(feedback);
      else input.insertAdjacentElement("afterend", feedback);
    }
    if (!feedback) return;
    feedback.textContent = message;
    feedback.classList.toggle("d-block", !!message);
    input.classList.toggle("is-invalid", !!message);
    if (message) {
      input.setAttribute("aria-describedby", feedback.id);
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-max-bytes]")) {
      showSizeProblem(input, sizeProblem(input));
    }
  });

  // Capture phase: runs before htmx or any handler on the form itself. (Not
  // setCustomValidity: the browser's bubble would cover the message, and
  // forms marked novalidate would ignore it.)
  document.addEventListener("submit", function (event) {
    var inputs = event.target.querySelectorAll("input[type=file][data-max-bytes]");
    var first = null;
    Array.prototype.forEach.call(inputs, function (input) {
      var message = sizeProblem(input);
      showSizeProblem(input, message);
      if (message && !first) first = input;
    });
    if (first) {
      event.preventDefault();
      event.stopImmediatePropagation();
      first.focus();
    }
  }, true);

  // Image viewer -----------------------------------------------------------
  // <a href="…?inline=1" data-sj-viewer="group" data-sj-caption="…"
  //    data-sj-download="…"><img src="…?size=thumb"></a>
  // A click opens the group's images in a dialog: previous/next (buttons,
  // ←/→, swipe), zoom (buttons, +/−/0, double-click or double-tap, wheel,
  // pinch; a zoomed image pans by scrolling or dragging), Esc closes.

  var ZOOMS = [1, 1.5, 2, 3, 4];
  var viewer = null;

  function button(action, label, text, extra) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "sj-viewer-btn" + (extra ? " " + extra : "");
    b.dataset.act = action;
    b.setAttribute("aria-label", label);
    b.title = label;
    b.textContent = text;
    return b;
  }

  function build() {
    var dialog = document.createElement("dialog");
    dialog.className = "sj-viewer";
    dialog.setAttribute("aria-label", WORDS.viewer);
    var bar = document.createElement("div");
    bar.className = "sj-viewer-bar";
    var count = document.createElement("span");
    count.className = "sj-viewer-count";
    var caption = document.createElement("span");
    caption.className = "sj-viewer-caption";
    var download = document.createElement("a");
    download.className = "sj-viewer-btn sj-viewer-text";
    download.textContent = WORDS.download;
    var spacer = document.createElement("span");
    spacer.className = "sj-viewer-spacer";
    bar.append(count, spacer, button("zoom-out", WORDS.zoomOut, "−"),
      button("zoom-in", WORDS.zoomIn, "+"), button("reset", WORDS.reset, WORDS.reset, "sj-viewer-text"),
      download, button("close", WORDS.close, "×", "sj-viewer-close"));
    var stage = document.createElement("div");
    stage.className = "sj-viewer-stage";
    var img = document.createElement("img");
    img.className = "sj-viewer-img";
    img.alt = "";
    img.draggable = false;
    var status = document.createElement("div");
    status.className = "sj-viewer-status";
    status.setAttribute("role", "status");
    stage.append(img);
    dialog.append(bar, stage, caption, status, button("prev", WORDS.prev, "‹", "sj-viewer-prev"),
      button("next", WORDS.next, "›", "sj-viewer-next"));
    document.body.append(dialog);

    viewer = { dialog: dialog, stage: stage, img: img, count: count, caption: caption,
      download: download, status: status, links: [], index: 0, zoom: 1, opener: null };

    dialog.addEventListener("click", function (event) {
      var act = event.target.closest("[data-act]");
      if (act) { perform(act.dataset.act); return; }
      // A click on the dark backdrop around the image closes, as in most viewers.
      if (event.target === dialog || (event.target === stage && viewer.zoom === 1)) close();
    });
    dialog.addEventListener("keydown", function (event) {
      var keys = { ArrowLeft: "prev", ArrowRight: "next", "+": "zoom-in", "=": "zoom-in",
        "-": "zoom-out", "0": "reset", Home: "first", End: "last" };
      var act = keys[event.key];
      if (act && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        perform(act);
      }
    });
    dialog.addEventListener("close", function () {
      img.removeAttribute("src");
      if (viewer.opener && document.contains(viewer.opener)) viewer.opener.focus();
    });
    img.addEventListener("load", function () { status.textContent = ""; fit(); });
    img.addEventListener("error", function () {
      if (img.getAttribute("src")) status.textContent = WORDS.failed;
    });
    img.addEventListener("dblclick", function (event) {
      setZoom(viewer.zoom === 1 ? 2 : 1, event.clientX, event.clientY);
    });
    stage.addEventListener("wheel", function (event) {
      if (!event.ctrlKey && viewer.zoom === 1 && Math.abs(event.deltaX) < Math.abs(event.deltaY)) {
        // Plain wheel over a fitted image zooms in; once zoomed it scrolls.
        if (event.deltaY < 0) { event.preventDefault(); step(1, event.clientX, event.clientY); }
        return;
      }
      if (event.ctrlKey) {
        event.preventDefault();
        step(event.deltaY < 0 ? 1 : -1, event.clientX, event.clientY);
      }
    }, { passive: false });
    window.addEventListener("resize", function () { if (dialog.open) fit(); });
    touch(stage);
    drag(stage);
  }

  function perform(act) {
    if (act === "close") close();
    else if (act === "prev") show(viewer.index - 1);
    else if (act === "next") show(viewer.index + 1);
    else if (act === "first") show(0);
    else if (act === "last") show(viewer.links.length - 1);
    else if (act === "zoom-in") step(1);
    else if (act === "zoom-out") step(-1);
    else if (act === "reset") setZoom(1);
  }

  function open(link) {
    if (!viewer) build();
    var group = link.dataset.sjViewer;
    viewer.links = Array.prototype.filter.call(
      document.querySelectorAll("a[data-sj-viewer]"),
      function (a) { return a.dataset.sjViewer === group; });
    viewer.opener = link;
    viewer.dialog.classList.toggle("sj-viewer-single", viewer.links.length < 2);
    if (!viewer.dialog.open) viewer.dialog.showModal();
    show(viewer.links.indexOf(link));
    // Keys work from the first moment; Enter or Space on it closes again.
    viewer.dialog.querySelector(".sj-viewer-close").focus();
  }

  function close() {
    if (viewer && viewer.dialog.open) viewer.dialog.close();
  }

  function show(index) {
    var n = viewer.links.length;
    if (!n) return;
    viewer.index = (index + n) % n;  // wraps around, as a slideshow does
    var link = viewer.links[viewer.index];
    viewer.zoom = 1;
    viewer.dialog.classList.remove("sj-viewer-zoomed");
    viewer.img.style.width = "";  // until it loads, the stylesheet fits it
    viewer.img.style.height = "";
    viewer.status.textContent = WORDS.loading;
    viewer.img.alt = link.dataset.sjCaption || "";
    viewer.img.src = link.href;
    viewer.count.textContent = (viewer.index + 1) + " / " + n;
    viewer.caption.textContent = link.dataset.sjCaption || "";
    viewer.download.href = link.dataset.sjDownload || link.href;
  }

  // The fitted size: the whole image within the stage, never enlarged.
  function fitted() {
    var img = viewer.img;
    var w = img.naturalWidth, h = img.naturalHeight;
    if (!w || !h) return null;
    var scale = Math.min(1, viewer.stage.clientWidth / w, viewer.stage.clientHeight / h);
    return { w: w * scale, h: h * scale };
  }

  function fit() { setZoom(viewer.zoom); }

  function step(direction, x, y) {
    var z = viewer.zoom;
    var next = direction > 0
      ? ZOOMS.filter(function (v) { return v > z + 0.01; })[0] || ZOOMS[ZOOMS.length - 1]
      : ZOOMS.filter(function (v) { return v < z - 0.01; }).pop() || 1;
    setZoom(next, x, y);
  }

  // Zoom to `zoom` keeping the point under (x, y) (the centre by default)
  // where it is. The image gets an explicit size and the stage scrolls, so
  // panning is the browser's own scrolling (touch, wheel, keys, scrollbars).
  function setZoom(zoom, x, y) {
    var size = fitted();
    if (!size) return;
    var stage = viewer.stage, box = stage.getBoundingClientRect();
    var cx = x === undefined ? box.left + stage.clientWidth / 2 : x;
    var cy = y === undefined ? box.top + stage.clientHeight / 2 : y;
    var old = viewer.img.getBoundingClientRect();
    var clamp = function (v) { return Math.max(0, Math.min(1, v)); };
    var rx = old.width ? clamp((cx - old.left) / old.width) : 0.5;
    var ry = old.height ? clamp((cy - old.top) / old.height) : 0.5;
    viewer.zoom = Math.max(1, Math.min(ZOOMS[ZOOMS.length - 1], zoom));
    var w = size.w * viewer.zoom, h = size.h * viewer.zoom;
    viewer.img.style.width = w + "px";
    viewer.img.style.height = h + "px";
    viewer.dialog.classList.toggle("sj-viewer-zoomed", viewer.zoom > 1);
    // The image starts at the stage's left (top) edge once it is wider
    // (taller) than the stage; the browser clamps what is out of range.
    stage.scrollLeft = rx * w - (cx - box.left);
    stage.scrollTop = ry * h - (cy - box.top);
  }

  // Swipe for previous/next while the image fits; pinch to zoom.
  function touch(stage) {
    var start = null, pinch = null;
    function distance(t) {
      return Math.hypot(t[0].clientX - t[1].clientX, t[0].clientY - t[1].clientY);
    }
    stage.addEventListener("touchstart", function (event) {
      if (event.touches.length === 2) {
        pinch = { d: distance(event.touches), zoom: viewer.zoom,
          x: (event.touches[0].clientX + event.touches[1].clientX) / 2,
          y: (event.touches[0].clientY + event.touches[1].clientY) / 2 };
        start = null;
      } else if (event.touches.length === 1) {
        start = { x: event.touches[0].clientX, y: event.touches[0].clientY, t: Date.now() };
      }
    }, { passive: true });
    stage.addEventListener("touchmove", function (event) {
      if (pinch && event.touches.length === 2) {
        event.preventDefault();
        setZoom(pinch.zoom * distance(event.touches) / pinch.d, pinch.x, pinch.y);
      }
    }, { passive: false });
    stage.addEventListener("touchend", function (event) {
      if (pinch && event.touches.length < 2) { pinch = null; return; }
      if (!start || viewer.zoom > 1 || event.changedTouches.length !== 1) { start = null; return; }
      var dx = event.changedTouches[0].clientX - start.x;
      var dy = event.changedTouches[0].clientY - start.y;
      if (Math.abs(dx) > 50 && Math.abs(dx) > 1.5 * Math.abs(dy) && Date.now() - start.t < 800) {
        show(viewer.index + (dx < 0 ? 1 : -1));
      }
      start = null;
    });
  }

  // Drag a zoomed image with the mouse (touch already scrolls).
  function drag(stage) {
    var from = null;
    stage.addEventListener("pointerdown", function (event) {
      if (event.pointerType !== "mouse" || viewer.zoom === 1 || event.button !== 0) return;
      from = { x: event.clientX, y: event.clientY, left: stage.scrollLeft, top: stage.scrollTop };
      stage.setPointerCapture(event.pointerId);
      stage.classList.add("sj-viewer-dragging");
    });
    stage.addEventListener("pointermove", function (event) {
      if (!from) return;
      stage.scrollLeft = from.left - (event.clientX - from.x);
      stage.scrollTop = from.top - (event.clientY - from.y);
    });
    function end() { from = null; stage.classList.remove("sj-viewer-dragging"); }
    stage.addEventListener("pointerup", end);
    stage.addEventListener("pointercancel", end);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-sj-viewer]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    if (typeof HTMLDialogElement !== "function") return;  // an old browser follows the link
    event.preventDefault();
    open(link);
  });
})();
