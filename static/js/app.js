// Ask before an irreversible action: any submit button with data-confirm.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var message = button && button.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A select marked data-submit-on-change sends its form as soon as a choice is made (the
// language switcher); the form's own button is there for browsers without scripts.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change") && field.form) {
    field.form.submit();
  }
});

// The activation page opened from a slip's QR code: the code comes after "#" in the address
// (a fragment never reaches a server or its logs) and fills the code field.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-code-from-fragment]");
  var field = form && form.querySelector("input[name=code]");
  var code = window.location.hash.replace(/^#/, "");
  if (field && !field.value && /^[A-Za-z0-9-]{10,11}$/.test(code)) {
    field.value = code;
    history.replaceState(null, "", window.location.pathname);
  }
});
