// Shiji's small behaviours; everything works without them too.
document.addEventListener("click", function (event) {
  const toggle = event.target.closest("[data-sj-toggle]");
  if (toggle) {
    const li = toggle.closest("li");
    const collapsed = li.classList.toggle("sj-collapsed");
    toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
    toggle.textContent = collapsed ? "▸" : "▾";
  }
  const all = event.target.closest("[data-sj-tree-all]");
  if (all) {
    const expand = all.dataset.sjTreeAll === "expand";
    document.querySelectorAll(".sj-tree li.sj-has-children").forEach(function (li) {
      li.classList.toggle("sj-collapsed", !expand);
      const t = li.querySelector(":scope > .sj-node [data-sj-toggle]");
      if (t) { t.setAttribute("aria-expanded", expand ? "true" : "false"); t.textContent = expand ? "▾" : "▸"; }
    });
  }
});
document.addEventListener("change", function (event) {
  // Select-all checkboxes: <input type=checkbox data-sj-check-all="name">
  const all = event.target.closest("[data-sj-check-all]");
  if (all) {
    document.querySelectorAll('input[type=checkbox][name="' + all.dataset.sjCheckAll + '"]').forEach(function (box) { box.checked = all.checked; });
  }
  // Switchers that submit their form on change: <select data-sj-autosubmit>
  // (a <noscript> button does it without JavaScript).
  const auto = event.target.closest("[data-sj-autosubmit]");
  if (auto && auto.form) auto.form.submit();
});
// The study form's attendance roster (<form data-sj-attendance>): unticked rows
// are marked absent and show their reason field; the summary counts both.
(function () {
  const form = document.querySelector("form[data-sj-attendance]");
  if (!form) return;
  form.classList.add("sj-js");
  const summary = form.querySelector("[data-sj-summary]");
  function sync() {
    const rows = form.querySelectorAll("tr.sj-att");
    let absent = 0;
    rows.forEach(function (row) {
      const box = row.querySelector('input[name="present"]');
      row.classList.toggle("sj-absent", !box.checked);
      if (!box.checked) absent += 1;
    });
    const all = form.querySelector("[data-sj-check-all]");
    if (all) all.checked = absent === 0;
    if (summary) summary.textContent = summary.dataset.sjSummary.replace("{present}", rows.length - absent).replace("{absent}", absent);
  }
  form.addEventListener("change", function (event) {
    // The select-all handler above runs after this one; read the boxes once it has.
    setTimeout(function () {
      sync();
      const box = event.target;
      if (box.name === "present" && !box.checked) {
        const reason = document.getElementById("reason_" + box.value);
        if (reason) reason.focus();
      }
    }, 0);
  });
  sync();
})();
