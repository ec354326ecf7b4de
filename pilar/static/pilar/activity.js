// The activity form's "Add my position" button: the phone's GPS into two hidden fields.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector("[data-gps]");
  if (!button) return;
  var status = document.querySelector("[data-gps-status]");
  if (!("geolocation" in navigator)) { button.hidden = true; return; }
  button.addEventListener("click", function () {
    status.textContent = button.dataset.wait;
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("id_latitude").value = pos.coords.latitude.toFixed(6);
      document.getElementById("id_longitude").value = pos.coords.longitude.toFixed(6);
      status.textContent = button.dataset.done;
    }, function () {
      status.textContent = button.dataset.fail;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
});

// A field the server sent back with an error ("This field is required.") loses the error as
// soon as the person fills it with a value the browser accepts: a message about the value
// that was there before would only mislead. The server checks the field again on saving.
(function () {
  function filled(field) {
    var boxes = field.querySelectorAll("input[type=checkbox], input[type=radio]");
    if (boxes.length) {
      return Array.prototype.some.call(boxes, function (box) { return box.checked; });
    }
    var input = field.querySelector("input, select, textarea");
    return !!input && input.value.trim() !== "" && input.checkValidity();
  }
  function clearField(field) {
    if (!field || !filled(field)) return;
    field.classList.remove("has-error");
    field.querySelectorAll(".error").forEach(function (message) { message.remove(); });
    field.querySelectorAll("[aria-invalid]").forEach(function (input) {
      input.removeAttribute("aria-invalid");
    });
  }
  function clear(event) {
    clearField(event.target.closest && event.target.closest(".activity-form .field.has-error"));
  }
  document.addEventListener("input", clear);
  document.addEventListener("change", clear);
  // On a slow phone a field may be filled before this script arrives: check them once now.
  document.querySelectorAll(".activity-form .field.has-error").forEach(clearField);
})();
