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
