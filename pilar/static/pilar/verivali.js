// The verivali finding form (pilar/verivali/templates/verivali/field_visit.html): only the
// part of the form the chosen finding needs is shown. Without this script every part shows,
// each titled with its finding; the server reads only the chosen finding's fields.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector(".vv-form");
  if (!form) return;
  var parts = form.querySelectorAll(".vv-part[data-kind]");
  function show() {
    var chosen = form.querySelector("input[name=kind]:checked");
    var kind = chosen ? chosen.value : "";
    form.classList.add("vv-scripted");
    parts.forEach(function (part) { part.hidden = part.dataset.kind !== kind; });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "kind") show();
  });
  show();
});
