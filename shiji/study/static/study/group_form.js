// The attendee group form (study/group_form.html): a filter over a long
// roster, the count of chosen members, and reloading when the org changes.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var form = document.getElementById("sj-group-form");
    if (!form) return;
    form.classList.add("sj-js");
    var count = document.getElementById("sj-member-count");
    var filter = document.getElementById("sj-member-filter");
    function sync() {
      var n = form.querySelectorAll('input[name="members"]:checked').length;
      if (count) count.textContent = count.dataset.template.replace("{n}", String(n));
    }
    form.addEventListener("change", function (event) {
      if (event.target.matches("[data-sj-refresh]")) {
        var refresh = form.querySelector('button[value="refresh"]');
        if (refresh) form.requestSubmit(refresh);
        return;
      }
      sync();
    });
    if (filter) {
      filter.hidden = false;
      filter.addEventListener("input", function () {
        var words = filter.value.trim().toLowerCase();
        form.querySelectorAll(".sj-member").forEach(function (item) {
          item.hidden = words !== "" && item.textContent.toLowerCase().indexOf(words) === -1;
        });
      });
    }
    sync();
  });
})();
