/* "Copy code" buttons: copy the text of the field named by data-copy-target. */
(function () {
  "use strict";

  function selectText(field) {
    field.focus();
    field.select();
    field.setSelectionRange(0, field.value.length);
  }

  function copyBySelection(field) {
    selectText(field);
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function say(status, text) {
    if (!status) {
      return;
    }
    status.textContent = text;
    window.clearTimeout(status.hideTimer);
    status.hideTimer = window.setTimeout(function () { status.textContent = ""; }, 2500);
  }

  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!field) {
      return;
    }
    button.addEventListener("click", function () {
      function fallback() {
        say(status, copyBySelection(field) ? "Copied" : "Selected: press Ctrl+C to copy");
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () {
          say(status, "Copied");
        }, fallback);
      } else {
        fallback();
      }
    });
  });
}());
