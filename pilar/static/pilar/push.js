// Web push on this phone (docs/NOTICES.md, "Web push"): the button of
// accounts/_push_toggle.html turns Pilar's notifications on or off for the browser at hand.
// It registers no service worker: Pilar's (/field/sw.js, scope /) is registered by the offline
// app's script; this waits for it (navigator.serviceWorker.ready).
(function () {
  "use strict";

  var box = document.querySelector("[data-push]");
  if (!box) return;
  var button = box.querySelector("[data-push-toggle]");
  var state = box.querySelector("[data-push-state]");

  function show(selector) {
    var note = box.querySelector(selector);
    if (note) note.hidden = false;
    button.hidden = true;
  }

  function say(text) {
    state.textContent = text || "";
  }

  var supported =
    window.isSecureContext &&
    "serviceWorker" in navigator &&
    "PushManager" in window &&
    "Notification" in window &&
    window.crypto && window.crypto.subtle;
  if (!supported) return show("[data-push-unsupported]");
  if (Notification.permission === "denied") return show("[data-push-denied]");

  function csrfToken() {
    // Read at send time: the token rotates when someone signs in.
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
  }

  function keyBytes(base64url) {
    var text = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(text + "===".slice((text.length + 3) % 4));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameKey(buffer, bytes) {
    if (!buffer) return false;
    var have = new Uint8Array(buffer);
    if (have.length !== bytes.length) return false;
    for (var i = 0; i < have.length; i++) if (have[i] !== bytes[i]) return false;
    return true;
  }

  function digest(text) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (hash) {
      return Array.prototype.map
        .call(new Uint8Array(hash), function (b) { return ("0" + b.toString(16)).slice(-2); })
        .join("");
    });
  }

  var server = null; // {key, mine}: the server's public key and this user's browsers
  var registration = null;
  var on = false;

  function render() {
    button.hidden = false;
    button.disabled = false;
    button.textContent = on ? box.dataset.labelOff : box.dataset.labelOn;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    say(on ? box.dataset.stateOn : box.dataset.stateOff);
  }

  function refresh() {
    return registration.pushManager.getSubscription().then(function (subscription) {
      if (!subscription) return false;
      // On only when this user's notifications come here, with the server's present key.
      if (!sameKey(subscription.options.applicationServerKey, keyBytes(server.key))) return false;
      return digest(subscription.endpoint).then(function (hex) {
        return server.mine.indexOf(hex) >= 0;
      });
    }).then(function (isOn) {
      on = isOn;
      render();
    });
  }

  function answerOf(response) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      if (response.status === 401) throw new Error(box.dataset.signedOut);
      if (!response.ok) throw new Error(body.message || box.dataset.failed);
      return body;
    });
  }

  function turnOn() {
    return Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        if (permission === "denied") show("[data-push-denied]");
        throw null; // dismissed: nothing to say
      }
      var key = keyBytes(server.key);
      return registration.pushManager.getSubscription().then(function (old) {
        // A subscription made with another key (the server's key changed) is useless.
        if (old && !sameKey(old.options.applicationServerKey, key)) {
          return old.unsubscribe().then(function () { return null; });
        }
        return old;
      }).then(function (old) {
        return old || registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      });
    }).then(function (subscription) {
      return post(box.dataset.subscribeUrl, subscription.toJSON()).then(answerOf).then(function () {
        return digest(subscription.endpoint);
      });
    }).then(function (hex) {
      server.mine.push(hex);
      on = true;
    });
  }

  function turnOff() {
    return registration.pushManager.getSubscription().then(function (subscription) {
      if (!subscription) return null;
      return post(box.dataset.unsubscribeUrl, { endpoint: subscription.endpoint })
        .then(answerOf)
        .then(function () { return subscription.unsubscribe(); });
    }).then(function () {
      on = false;
    });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    (on ? turnOff() : turnOn()).then(render, function (error) {
      render();
      if (error) say(error.message || box.dataset.failed);
    });
  });

  // Pilar's service worker may take a moment to install (or not be installed on this phone yet).
  var waiting = setTimeout(function () { show("[data-push-waiting]"); }, 8000);
  Promise.all([
    fetch(box.dataset.keyUrl, { credentials: "same-origin" }).then(answerOf),
    navigator.serviceWorker.ready,
  ]).then(function (results) {
    clearTimeout(waiting);
    box.querySelector("[data-push-waiting]").hidden = true;
    server = results[0];
    registration = results[1];
    return refresh();
  }).catch(function (error) {
    clearTimeout(waiting);
    say((error && error.message) || box.dataset.failed);
  });
})();
