// The copy buttons beside long codes and hashes (templates/_hash.html): hidden until this script can copy.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll('button.copy[data-copy]').forEach(function (button) {
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        button.textContent = button.dataset.done;
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
})();
