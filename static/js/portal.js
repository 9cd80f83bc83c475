// htmx leaves the form alone when the server refuses a too large upload (413); say why.
document.addEventListener("htmx:responseError", function (event) {
  var form = event.detail.elt.closest("form");
  if (!form || event.detail.xhr.status !== 413) {
    return;
  }
  var slot = form.querySelector("[data-too-large]");
  if (slot) {
    slot.textContent = slot.dataset.tooLarge;
    slot.hidden = false;
  }
});
