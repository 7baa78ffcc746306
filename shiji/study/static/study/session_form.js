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

    function commonReason() {
      if (!common) return "";
      if (common.value === "other" || common.value === "") {
        var text = form.querySelector('input[name="common_reason_other"]');
        return text ? text.value.trim() : "";
      }
      return common.value;
    }

    function sync() {
      var ticked = 0;
      var missing = 0;
      var all = rows();
      var shared = commonReason();
      all.forEach(function (row) {
        var box = row.querySelector('input[name="present"]');
        var own = row.querySelector(".sj-reason input");
        row.classList.toggle("sj-ticked", box.checked);
        if (box.checked) ticked += 1;
        else if (!shared && !(own && own.value.trim())) missing += 1;
      });
      form.classList.toggle("sj-recording", ticked > 0);
      if (summary) {
        var text = ticked ? summary.dataset.some : summary.dataset.none;
        if (ticked && missing) text += summary.dataset.missing;
        summary.textContent = text
          .replace("{p}", String(ticked))
          .replace("{a}", String(all.length - ticked))
          .replace("{m}", String(missing));
      }
    }

    function syncReason() {
      if (!common) return;
      if (other) other.classList.toggle("sj-other-hidden", common.value !== "other");
      var shared = commonReason();
      form.querySelectorAll(".sj-reason input").forEach(function (input) {
        input.placeholder = shared
          ? input.dataset.common.replace("{r}", shared)
          : input.dataset.placeholder;
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
    form.addEventListener("input", function (event) {
      if (event.target.name === "common_reason_other") syncReason();
      if (event.target.closest(".sj-reason") || event.target.name === "common_reason_other") sync();
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
