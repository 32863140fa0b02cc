// Confirmations (templates/_confirm.html): with a script, a dialog with the box's own words replaces the box.
(function () {
  document.querySelectorAll('form.confirm[data-confirm]').forEach(function (form) {
    var box = form.querySelector('input[name="confirm"]');
    if (!box) return;
    box.required = false;
    box.closest('label').hidden = true;
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
      box.checked = true;
    });
  });
})();
