// Web push in Pilar's service worker (docs/NOTICES.md, "Web push"), loaded by /field/sw.js with
// importScripts. The server sends {title, body, url, tag} (pilar/accounts/push.py); a
// notification of the same tag replaces the older one, and a tap opens its page in Pilar.
/* global self, clients */
(function () {
  "use strict";

  // The offline app's service worker may name its own icon before importing this file.
  var ICON = self.PILAR_PUSH_ICON || "/static/pilar/favicon.svg";

  function sameSite(url) {
    try {
      var target = new URL(url || "/", self.location.origin);
      return target.origin === self.location.origin ? target.href : self.location.origin + "/";
    } catch (error) {
      return self.location.origin + "/";
    }
  }

  self.addEventListener("push", function (event) {
    var message = {};
    try {
      message = event.data ? event.data.json() : {};
    } catch (error) {
      message = { body: event.data ? event.data.text() : "" };
    }
    var options = {
      body: message.body || "",
      tag: message.tag || undefined,
      renotify: Boolean(message.tag),
      icon: ICON,
      data: { url: sameSite(message.url) },
    };
    event.waitUntil(self.registration.showNotification(message.title || "Pilar", options));
  });

  self.addEventListener("notificationclick", function (event) {
    event.notification.close();
    var url = (event.notification.data && event.notification.data.url) || sameSite("/");
    event.waitUntil(
      clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
        // A Pilar window already on that page is brought forward; else any Pilar window goes
        // there; else a new one opens.
        var exact = windows.find(function (w) { return w.url === url; });
        if (exact) return exact.focus();
        var any = windows.find(function (w) { return new URL(w.url).origin === self.location.origin; });
        if (any && "navigate" in any) {
          return any.focus().then(function (focused) { return (focused || any).navigate(url); });
        }
        return clients.openWindow(url);
      })
    );
  });
})();
