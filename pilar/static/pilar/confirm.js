// A form with data-confirm asks before it is sent (instead of an inline onsubmit handler,
// which the Content-Security-Policy refuses).
document.addEventListener("submit", function (event) {
  var message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
