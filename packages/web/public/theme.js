// Apply the saved theme before the first paint, so a dark-theme user never sees a white flash.
// A plain file loaded by index.html: the Content-Security-Policy allows no inline script.
(function () {
  try {
    var t = localStorage.getItem('mychat.theme') || 'system';
    var dark = t === 'dark' || (t === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
    document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  } catch {
    // Storage blocked (private mode): the light default stays.
  }
})();
