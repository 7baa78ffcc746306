// The poster's print button: shown only where scripts run (the page works
// without it: the browser's own print command does the same).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-sj-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});
