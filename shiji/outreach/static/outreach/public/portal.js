// The public portal's small helpers; every page works without them.
(function () {
  "use strict";
  function counter(area) {
    var out = document.getElementById(area.getAttribute("data-counter"));
    var max = parseInt(area.getAttribute("maxlength"), 10);
    if (!out || !max) return;
    var show = function () {
      // Characters as people count them (an emoji is one), as the server does.
      var n = Array.from(area.value).length;
      out.textContent = n + " / " + max;
      out.classList.toggle("text-danger", n > max);
    };
    area.addEventListener("input", show);
    show();
  }
  function filesLimit(input) {
    var max = parseInt(input.getAttribute("data-max-files"), 10);
    var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10);
    input.addEventListener("change", function () {
      var tooBig = maxBytes && Array.from(input.files).some(function (f) { return f.size > maxBytes; });
      var message = "";
      if (input.files.length > max) message = input.getAttribute("data-max-files-message") || String(max);
      else if (tooBig) message = input.getAttribute("data-max-message") || "";
      // The server checks both again; this only saves a phone user a wasted upload.
      input.setCustomValidity(message);
      input.reportValidity();
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-counter]").forEach(counter);
    document.querySelectorAll("input[data-max-files]").forEach(filesLimit);
  });
})();
