// The study session form (study/form.html): small enhancements over a form
// that works without them. Changing the org or the expected attendees
// reloads the list (the no-JS path is the 更新名单 button); 全部出席 ticks
// everyone here instead of asking the server; a reason field shows only for
// the unticked once someone has been ticked.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var form = document.getElementById("sj-session-form");
    if (!form) return;
    form.classList.add("sj-js");
    var summary = document.getElementById("sj-roster-summary");
    var common = document.getElementById("id_common_reason");
    var other = form.querySelector(".sj-other-reason");

    function rows() {
      return form.querySelectorAll(".sj-att");
    }

    function sync() {
      var ticked = 0;
      var all = rows();
      all.forEach(function (row) {
        var box = row.querySelector('input[name="present"]');
        row.classList.toggle("sj-ticked", box.checked);
        if (box.checked) ticked += 1;
      });
      form.classList.toggle("sj-recording", ticked > 0);
      if (summary) {
        var text = ticked ? summary.dataset.some : summary.dataset.none;
        summary.textContent = text
          .replace("{p}", String(ticked))
          .replace("{a}", String(all.length - ticked));
      }
    }

    function syncReason() {
      if (!common) return;
      var isOther = common.value === "other";
      if (other) other.classList.toggle("sj-other-hidden", !isOther);
      var shown = isOther ? "" : common.value;
      form.querySelectorAll(".sj-reason input").forEach(function (input) {
        input.placeholder = shown ? shown + " ✓" : input.dataset.placeholder;
      });
    }

    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.matches("[data-sj-refresh]")) {
        var refresh = form.querySelector('button[value="refresh"]');
        if (refresh) form.requestSubmit(refresh);
        return;
      }
      if (target === common) syncReason();
      sync();
    });

    var allPresent = document.getElementById("sj-all-present");
    if (allPresent) {
      allPresent.addEventListener("click", function (event) {
        event.preventDefault();
        rows().forEach(function (row) {
          row.querySelector('input[name="present"]').checked = true;
        });
        sync();
      });
    }
    sync();
    syncReason();
  });
})();
