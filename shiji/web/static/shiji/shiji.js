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
  // Switchers that submit their form on change: <select data-sj-autosubmit>
  // (a <noscript> button does it without JavaScript).
  const auto = event.target.closest("[data-sj-autosubmit]");
  if (auto && auto.form) auto.form.submit();
});
