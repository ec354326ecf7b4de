// The outbox (docs/FIELD.md, "The outbox"): what a pillar records is kept on the phone
// (IndexedDB) with an id made here, then sent to /field/sync/ one item at a time, oldest first;
// the server accepts each id once. Plain script, no framework, no build step. The first part
// (store and sender) also runs inside the service worker for Background Sync; the second part
// runs in the pages and takes its words from the page (translated by Django).
(function (scope) {
  "use strict";

  // --- the store ---------------------------------------------------------------------------
  var DB_NAME = "pilar-outbox";
  var PAGE_CACHE = "pilar-pages";

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("items", { keyPath: "id" });
        request.result.createObjectStore("meta");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var request = work(tx.objectStore(name));
        tx.oncomplete = function () { db.close(); resolve(request && request.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  var store = {
    all: function () {
      return run("items", "readonly", function (s) { return s.getAll(); }).then(function (items) {
        return items.sort(function (a, b) { return a.seq - b.seq; });  // in the order recorded
      });
    },
    get: function (id) { return run("items", "readonly", function (s) { return s.get(id); }); },
    put: function (item) { return run("items", "readwrite", function (s) { return s.put(item); }); },
    remove: function (id) { return run("items", "readwrite", function (s) { return s.delete(id); }); },
    meta: function (key) { return run("meta", "readonly", function (s) { return s.get(key); }); },
    setMeta: function (key, value) {
      return run("meta", "readwrite", function (s) { return s.put(value, key); });
    },
  };

  // --- the sender ----------------------------------------------------------------------------
  // The CSRF token is read at send time: it changes at sign-in.
  async function csrfToken() {
    if (typeof document !== "undefined") {
      var found = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
      return found ? decodeURIComponent(found[1]) : "";
    }
    if (scope.cookieStore) {
      var cookie = await scope.cookieStore.get("csrftoken");
      return cookie ? cookie.value : "";
    }
    return "";
  }

  // A send never hangs: a minute, two with a photo; a timeout counts as no signal.
  var SEND_TIMEOUT = 60 * 1000;
  var PHOTO_TIMEOUT = 120 * 1000;
  var SERVER_ERRORS = 3;  // a server error this many times: the item steps aside (docs/FIELD.md)

  async function post(item, conf) {
    var body = new FormData();
    body.append("item", JSON.stringify({
      id: item.id, type: item.type, user: item.user, person: item.person,
      recorded_at: item.recorded_at, data: item.data,
    }));
    if (item.photo) body.append("photo", item.photo, item.photo_name || "photo.jpg");
    // The phone's time of sending: beside recorded_at it tells the server whether the phone's
    // clock is wrong or the item was only recorded long ago.
    body.append("sent_at", new Date().toISOString());
    var abort = new AbortController();
    var timer = setTimeout(function () { abort.abort(); }, item.photo ? PHOTO_TIMEOUT : SEND_TIMEOUT);
    try {
      var response = await fetch(conf.sync_url, {
        method: "POST", body: body, credentials: "same-origin", signal: abort.signal,
        headers: { "X-CSRFToken": await csrfToken() },
      });
      var answer = {};
      try { answer = await response.json(); } catch (error) { answer = {}; }
      return { response: response, answer: answer };
    } finally {
      clearTimeout(timer);
    }
  }

  // One item: null when the server answered for it (accepted or refused) or it stepped aside
  // after repeated server errors, else why the sending stops ("offline", "signed_out",
  // "forbidden", "other_user").
  async function sendOne(item, conf) {
    var sent;
    try {
      sent = await post(item, conf);
      if (sent.response.status === 403 && sent.answer.status === "csrf") {
        await fetch(conf.field_url, { credentials: "same-origin" });  // a fresh token
        sent = await post(item, conf);
      }
    } catch (error) {
      return "offline";
    }
    var status = sent.response.status;
    var answer = sent.answer;
    if (status === 401 || answer.status === "signed_out") return "signed_out";
    if (status === 403) return "forbidden";
    // Recorded by another user than the one signed in: it waits for them, never refused.
    if (status === 409 && answer.status === "other_user") return "other_user";
    if (answer.status === "accepted" || answer.status === "refused") {
      await store.setMeta("clock_note", answer.clock_note || "");
    }
    if (status === 400 || (sent.response.ok && answer.status === "refused")) {
      // A broken item (400) is shown as refused and never sent again by itself.
      item.status = "refused";
      item.errors = answer.errors || {};
      item.message = answer.message || "";
    } else if (sent.response.ok && answer.status === "accepted") {
      item.status = "accepted";
      item.url = answer.url || "";
      item.message = answer.message || "";
      item.duplicate = !!answer.duplicate;
      item.errors = {};
      item.photo = null;  // on the server now: the phone's space is freed
    } else {
      // The server is in trouble (5xx, an answer that is not JSON, 413...): try again later.
      // After a few such answers the item steps aside so that the ones behind it are sent;
      // it is tried again at each sync, after the others.
      item.attempts = (item.attempts || 0) + 1;
      item.server_error = item.attempts >= SERVER_ERRORS;
      await store.put(item);
      return item.server_error ? null : "offline";
    }
    item.attempts = 0;
    item.server_error = false;
    item.clock_note = answer.clock_note || "";
    item.answered_at = new Date().toISOString();
    await store.put(item);
    return null;
  }

  // Send the waiting items of the signed-in user (from the page's last word, in the store),
  // oldest first; stop at the first network failure or sign-in problem, continue past refusals.
  async function syncStored(progress) {
    var conf = await store.meta("config");
    if (!conf) return { stop: null };
    async function work() {
      var items = await store.all();
      items = items.filter(function (i) { return !i.server_error; })
        .concat(items.filter(function (i) { return i.server_error; }));
      for (var i = 0; i < items.length; i++) {
        var item = await store.get(items[i].id);
        if (!item || item.status !== "waiting" || item.user !== conf.user) continue;
        var stop = await sendOne(item, conf);
        if (stop) { await store.setMeta("stopped", stop); return { stop: stop }; }
        if (progress) progress();
      }
      await store.setMeta("stopped", null);
      return { stop: null };
    }
    // One sender at a time on the phone (two tabs, the worker): the server would refuse
    // nothing twice anyway, but each item is sent once where it can be.
    if (scope.navigator && navigator.locks) return navigator.locks.request("pilar-outbox", work);
    return work();
  }

  scope.PilarOutbox = { store: store, syncStored: syncStored };
  if (typeof document === "undefined") return;  // in the service worker: only the above

  // --- the pages -----------------------------------------------------------------------------
  var holder = document.getElementById("pilar-field");
  if (!holder) return;
  var config = JSON.parse(holder.textContent);
  var hasWorker = "serviceWorker" in navigator;

  // Every signed-in user's pages register the worker (web push needs it); it keeps copies of
  // pages only while the stored config names a pillar (docs/FIELD.md, "Who gets it").
  var registration = hasWorker
    ? navigator.serviceWorker.register(config.sw_url, { scope: "/" }).catch(function () { return null; })
    : Promise.resolve(null);

  // This browser's push subscription, if any (push.js makes it).
  function pushSubscription() {
    if (!hasWorker) return Promise.resolve(null);
    return navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg && reg.pushManager ? reg.pushManager.getSubscription() : null;
    }).catch(function () { return null; });
  }
  // Notifications stop for the user signing out, even if another session turned them on.
  function forgetPush() {
    return pushSubscription().then(function (subscription) {
      if (!subscription) return null;
      return csrfToken().then(function (token) {
        var input = document.querySelector("#logout input[name=csrfmiddlewaretoken]");
        return fetch(config.push_unsubscribe_url, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": token || (input ? input.value : "") },
          body: JSON.stringify({ endpoint: subscription.endpoint }),
        });
      }).catch(function () { return null; }).then(function () { return subscription.unsubscribe(); });
    }).catch(function () { return null; });
  }
  function forgetPages() {
    // The worker counts a generation: a copy fetched before this never lands in the cache.
    if (hasWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget-pages" });
    }
    return scope.caches ? caches.delete(PAGE_CACHE) : Promise.resolve();
  }
  // Another user signed in on this phone: the previous one's notifications and copies go.
  var previousUser = localStorage.getItem("pilar-user");
  if (previousUser !== String(config.user)) {
    if (previousUser) pushSubscription().then(function (s) { return s && s.unsubscribe(); }).catch(function () {});
    forgetPages();
    localStorage.removeItem("pilar-kept");
    localStorage.setItem("pilar-user", String(config.user));
  }

  // Sign-out (any user): ask first when items wait (pillars), then turn this browser's
  // notifications off and forget the kept pages, never the outbox. Never hangs: 3 seconds.
  var leaving = function () { return Promise.resolve(true); };
  var logout = document.getElementById("logout");
  if (logout) {
    logout.addEventListener("submit", function (event) {
      if (logout.dataset.ready) return;
      event.preventDefault();
      leaving().then(function (go) {
        if (!go) return;
        localStorage.removeItem("pilar-user");
        localStorage.removeItem("pilar-kept");
        var work = Promise.all([forgetPush(), forgetPages(), store.setMeta("config", null)])
          .catch(function () {});
        var late = new Promise(function (resolve) { setTimeout(resolve, 3000); });
        return Promise.race([work, late]).then(function () { logout.dataset.ready = "1"; logout.submit(); });
      });
    });
  }

  if (!config.pillar) {
    // Nobody else's pages are kept: remove what a pillar left on this phone.
    forgetPages();
    store.setMeta("config", null).catch(function () {});
    return;
  }

  var S = config.strings;
  var main = document.querySelector("main");

  // A counted sentence: "<key>" for one, "<key>_many" for more (pilar/field/offline.py).
  function counted(key, count) { return fmt(S[count === 1 ? key : key + "_many"], { count: count }); }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (all, key) { return values[key]; });
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function when(iso) {
    return new Date(iso).toLocaleString(config.lang, {
      day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    });
  }
  function localDate() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" +
      String(d.getDate()).padStart(2, "0");
  }
  function megabytes(size) {
    return (size / 1048576).toLocaleString(config.lang,
      { maximumFractionDigits: 1 }) + " MB";
  }
  function messageAtTop(text, kind) {
    var list = el("ul", { class: "messages", "data-outbox-message": "" },
      [el("li", { class: "msg-" + (kind || "success"), text: text })]);
    var old = main.querySelector("[data-outbox-message]");
    if (old) old.remove();
    main.insertBefore(list, main.firstChild);
    return list.firstChild;
  }

  // This user's outbox configuration for the service worker; pages kept for someone else
  // who used this phone are forgotten.
  store.setMeta("config", {
    user: config.user, person: config.person, sync_url: config.sync_url, field_url: config.field_url,
  });
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist();

  function backgroundSync() {
    registration.then(function () { return navigator.serviceWorker.ready; }).then(function (reg) {
      if (reg.sync) return reg.sync.register("pilar-outbox");
    }).catch(function () {});
  }

  // A copy kept by the service worker, opened with no signal.
  var copy = document.documentElement.dataset.offlineCopy;
  if (copy) {
    main.querySelectorAll(".messages").forEach(function (old) { old.remove(); });
    main.insertBefore(el("p", { class: "offline-banner", role: "status", "data-offline-banner": "",
      text: fmt(S.offline_copy, { time: when(copy) }) }), main.firstChild);
  }
  var flash = sessionStorage.getItem("pilar-flash");
  if (flash) { sessionStorage.removeItem("pilar-flash"); messageAtTop(flash); }

  // --- recording -----------------------------------------------------------------------------
  async function record(type, data, extra) {
    var item = Object.assign({
      id: extra.id || crypto.randomUUID(), user: config.user, person: config.person,
      recorded_at: new Date().toISOString(), type: type, data: data, photo: null,
      status: "waiting", seq: Date.now(), errors: {}, message: "",
    }, extra);
    if (extra.id) {
      var before = await store.get(extra.id);
      if (before) item.seq = before.seq;  // a fixed item keeps its place
    }
    item.id = item.id || crypto.randomUUID();
    await store.put(item);
    return item;
  }

  var syncing = null;
  var lastStop = null;
  function syncNow() {
    if (!syncing) {
      syncing = syncStored(render).then(function (result) {
        lastStop = result.stop;
        syncing = null;
        render();
        return result;
      }, function () { syncing = null; return { stop: "offline" }; });
    }
    return syncing;
  }

  // Send at once when there is signal: the answer for this item, or why it waits.
  async function sendAtOnce(item) {
    var result = { stop: "offline" };
    if (navigator.onLine) {
      result = await syncNow();
      var now = await store.get(item.id);
      if (now && now.status === "waiting" && !result.stop) result = await syncNow();
    }
    var fresh = await store.get(item.id);
    if (fresh.status === "waiting") backgroundSync();
    var waiting = (await store.all()).filter(function (i) {
      return i.user === config.user && i.status === "waiting";
    }).length;
    return { item: fresh, stop: result.stop, waiting: waiting };
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-outbox-errors], .field .error").forEach(function (node) { node.remove(); });
    form.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
  }
  function showErrors(form, errors, message) {
    clearErrors(form);
    var loose = [];
    Object.keys(errors || {}).forEach(function (name) {
      var input = form.querySelector("[name='" + name + "']");
      var field = input && input.closest(".field");
      (errors[name] || []).forEach(function (text) {
        if (field) field.appendChild(el("p", { class: "error", role: "alert", text: text }));
        else loose.push(text);
      });
      if (field) field.classList.add("has-error");
    });
    if (message && loose.indexOf(message) < 0) loose.unshift(message);
    if (loose.length) {
      form.insertBefore(el("div", { class: "errors", role: "alert", "data-outbox-errors": "" },
        loose.map(function (text) { return el("p", { text: text }); })), form.firstChild);
    }
    var first = form.querySelector(".has-error, [data-outbox-errors]");
    if (first) first.scrollIntoView({ block: "center" });
  }
  function waitNotice(outcome) {
    if (outcome.stop === "other_user") return counted("other_user", outcome.waiting);
    return outcome.stop === "signed_out" ? signInLine(outcome.waiting) : S.saved_here;
  }
  function noticeWaiting(outcome) {
    var line = messageAtTop(waitNotice(outcome), "warning");
    if (outcome.stop === "signed_out") {
      line.appendChild(document.createTextNode(" "));
      line.appendChild(el("a", { href: config.login_url, text: S.sign_in }));
    }
    line.scrollIntoView({ block: "center" });
  }
  function busy(form, on) {
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = on; });
  }

  // The activity form (casework/activity_form.html).
  // Only the activity form itself: other forms share its look (the class), not its outbox.
  var activityForm = document.querySelector("form[data-outbox=activity]");
  if (activityForm) {
    var photoInput = activityForm.querySelector("input[name=photo]");
    var photoProblem = function () {
      var file = photoInput && photoInput.files[0];
      if (!file || file.size <= config.photo_max) return null;
      return fmt(S.photo_too_big, { size: megabytes(file.size), max: config.photo_max_label });
    };
    if (photoInput) {
      photoInput.addEventListener("change", function () {
        var problem = photoProblem();
        if (problem) showErrors(activityForm, { photo: [problem] });
      });
    }
    var value = function (name) {
      var input = activityForm.elements[name];
      return input && input.value !== undefined ? input.value : "";
    };
    activityForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      var again = event.submitter && event.submitter.name === "again";
      var data = {
        date: value("date"), kind: value("kind"), activity_type: value("activity_type"),
        need_category: value("need_category"), kube_group: value("kube_group"),
        notes: value("notes"), follow_up_on: value("follow_up_on"),
        latitude: value("latitude"), longitude: value("longitude"),
        households: Array.prototype.map.call(
          activityForm.querySelectorAll("input[name=households]:checked"),
          function (box) { return box.value; }),
      };
      var keep = activityForm.querySelector("input[name=keep_location]");
      if (keep && keep.checked) data.keep_location = "on";
      var problems = {};
      ["activity_type", "date"].forEach(function (name) { if (!data[name]) problems[name] = [S.required]; });
      if (activityForm.elements.kind && !data.kind) problems.kind = [S.required];
      var tooBig = photoProblem();
      if (tooBig) problems.photo = [tooBig];
      if (Object.keys(problems).length) { showErrors(activityForm, problems); return; }
      var typeSelect = activityForm.elements.activity_type;
      var what = typeSelect.options[typeSelect.selectedIndex].text;
      var day = data.date.split("-").reverse().join("-");
      var photo = photoInput && photoInput.files[0];
      busy(activityForm, true);
      var item = await record("activity", data, {
        id: activityForm.dataset.itemId, label: what + " · " + day,
        photo: photo || null, photo_name: photo ? photo.name : "",
      });
      activityForm.dataset.itemId = item.id;
      var outcome = await sendAtOnce(item);
      busy(activityForm, false);
      if (outcome.item.status === "accepted") {
        sessionStorage.setItem("pilar-flash", fmt(S.saved, { what: what, day: day }) +
          (outcome.item.clock_note ? " " + outcome.item.clock_note : ""));
        location.href = again ? config.activity_url : config.reports_url;
      } else if (outcome.item.status === "refused") {
        showErrors(activityForm, outcome.item.errors, outcome.item.message);
        if (outcome.item.clock_note) messageAtTop(outcome.item.clock_note, "warning");
      } else {
        // Waiting on the phone: the form is ready for the next activity.
        delete activityForm.dataset.itemId;
        clearErrors(activityForm);
        activityForm.querySelectorAll("input[name=households]").forEach(function (b) { b.checked = false; });
        ["notes", "follow_up_on", "latitude", "longitude"].forEach(function (name) {
          if (activityForm.elements[name]) activityForm.elements[name].value = "";
        });
        if (photoInput) photoInput.value = "";
        noticeWaiting(outcome);
      }
    });
    var fix = /#fix=([\w-]+)/.exec(location.hash);
    if (fix) fillActivity(fix[1]);
  }

  async function fillActivity(id) {
    var item = await store.get(id);
    if (!item || item.type !== "activity" || item.user !== config.user) return;
    var form = activityForm;
    var data = item.data;
    Object.keys(data).forEach(function (name) {
      if (name === "households") return;
      var input = form.elements[name];
      if (!input || input.type === "file") return;
      if (input.type === "checkbox") input.checked = !!data[name];
      else input.value = data[name];
    });
    form.querySelectorAll("input[name=households]").forEach(function (box) {
      box.checked = data.households.indexOf(box.value) >= 0;
    });
    if (item.photo && photoInput && scope.DataTransfer) {
      var files = new DataTransfer();
      files.items.add(new File([item.photo], item.photo_name || "photo.jpg", { type: item.photo.type }));
      photoInput.files = files.files;
    }
    var details = form.querySelector("details");
    if (details && (data.follow_up_on || item.photo || data.need_category)) details.open = true;
    form.dataset.itemId = item.id;
    showErrors(form, item.errors, item.message);
  }

  // "Done" on a follow-up (casework/follow_ups.html).
  document.querySelectorAll("form[data-outbox=follow_up]").forEach(function (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      busy(form, true);
      var row = form.closest("li");
      var item = await record("follow_up", { activity: Number(form.dataset.activity), done_on: localDate() },
        { label: row ? row.textContent.replace(/\s+/g, " ").trim() : "" });
      var outcome = await sendAtOnce(item);
      if (outcome.item.status === "accepted") {
        sessionStorage.setItem("pilar-flash", S.follow_up_done);
        location.reload();
        return;
      }
      var refused = outcome.item.status === "refused";
      form.replaceWith(el("small", { class: refused ? "error" : "muted", role: "status",
        text: refused ? outcome.item.message : waitNotice(outcome) }));
    });
  });

  // A household note (field/home.html).
  var noteForm = document.querySelector("form[data-outbox=note]");
  if (noteForm) {
    noteForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      var data = { household: noteForm.elements.household.value, date: noteForm.elements.date.value,
        text: noteForm.elements.text.value.trim() };
      var problems = {};
      Object.keys(data).forEach(function (name) { if (!data[name]) problems[name] = [S.required]; });
      if (Object.keys(problems).length) { showErrors(noteForm, problems); return; }
      var select = noteForm.elements.household;
      busy(noteForm, true);
      var item = await record("note", data, { id: noteForm.dataset.itemId,
        label: select.options[select.selectedIndex].text + " · " + data.text.slice(0, 60) });
      noteForm.dataset.itemId = item.id;
      var outcome = await sendAtOnce(item);
      busy(noteForm, false);
      if (outcome.item.status === "refused") {
        showErrors(noteForm, outcome.item.errors, outcome.item.message);
        return;
      }
      delete noteForm.dataset.itemId;
      clearErrors(noteForm);
      noteForm.elements.text.value = "";
      if (outcome.item.status === "accepted") messageAtTop(S.note_saved);
      else noticeWaiting(outcome);
      render();
    });
    var fixNote = /#fix=([\w-]+)/.exec(location.hash);
    if (fixNote) {
      store.get(fixNote[1]).then(function (item) {
        if (!item || item.type !== "note" || item.user !== config.user) return;
        Object.keys(item.data).forEach(function (name) { noteForm.elements[name].value = item.data[name]; });
        noteForm.dataset.itemId = item.id;
        showErrors(noteForm, item.errors, item.message);
        noteForm.scrollIntoView();
      });
    }
  }

  // --- the outbox page (field/home.html) -----------------------------------------------------
  var outbox = document.getElementById("outbox");

  function signInLine(count) { return counted("sign_in_again", count); }

  var RECENT = 14 * 24 * 3600 * 1000;  // sent items stay listed for two weeks

  async function render() {
    if (!outbox) return;
    var items = await store.all();
    var mine = { waiting: [], refused: [], accepted: [] };
    var others = 0;
    var aside = 0;
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      if (item.user !== config.user) { if (item.status !== "accepted") others++; continue; }
      if (item.status === "accepted" && Date.now() - new Date(item.answered_at) > RECENT) {
        await store.remove(item.id);
        continue;
      }
      mine[item.status].push(item);
      if (item.status === "waiting" && item.server_error) aside++;
    }
    // The server said these were recorded by someone else than the one signed in.
    if (lastStop === "other_user") others += mine.waiting.length;
    ["refused", "waiting", "accepted"].forEach(function (status) {
      var list = outbox.querySelector("[data-list=" + status + "]");
      list.replaceChildren.apply(list, mine[status].map(row));
      outbox.querySelector("[data-list-title=" + status + "]").hidden = !mine[status].length;
    });
    var status = outbox.querySelector("[data-outbox-status]");
    if (syncing) status.textContent = S.syncing;
    else if (!mine.waiting.length) status.textContent = mine.accepted.length ? S.synced : S.nothing_waits;
    else if (lastStop === "forbidden") status.textContent = S.forbidden;
    else status.textContent = counted("waiting_count", mine.waiting.length) +
      (lastStop === "offline" || !navigator.onLine ? " " + S.no_signal : "") +
      (aside ? " " + counted("server_error_count", aside) : "");
    var signIn = outbox.querySelector("[data-sign-in]");
    signIn.hidden = !(lastStop === "signed_out" && mine.waiting.length);
    if (!signIn.hidden) {
      signIn.replaceChildren(document.createTextNode(signInLine(mine.waiting.length) + " "),
        el("a", { href: config.login_url, text: S.sign_in }));
    }
    var other = outbox.querySelector("[data-other-user]");
    other.hidden = !others;
    other.textContent = counted("other_user", others);
    var note = await store.meta("clock_note");
    var clock = outbox.querySelector("[data-clock-note]");
    clock.hidden = !note;
    clock.textContent = note || "";
  }

  function row(item) {
    var li = el("li", { class: "outbox-item status-" + item.status, "data-item": item.id }, [
      el("strong", { text: S["type_" + item.type] || item.type }),
      document.createTextNode(" · " + (item.label || "")),
      el("small", { class: "muted", text: " (" + fmt(S.recorded, { time: when(item.recorded_at) }) + ")" }),
    ]);
    if (item.status === "waiting" && item.server_error) {
      li.appendChild(el("p", { class: "error", "data-server-error": "", text: S.server_error }));
    }
    if (item.status === "accepted") {
      li.appendChild(el("span", { class: "muted", text: " — " + S.accepted + (item.duplicate ? ", " + S.duplicate : "") }));
      if (item.url) li.appendChild(document.createTextNode(" "));
      if (item.url) li.appendChild(el("a", { href: item.url, text: S.open }));
    }
    if (item.status === "refused") {
      var reasons = [item.message].concat(Object.keys(item.errors || {}).reduce(function (all, key) {
        return all.concat(item.errors[key]);
      }, [])).filter(function (text, index, all) { return text && all.indexOf(text) === index; });
      reasons.forEach(function (text) { li.appendChild(el("p", { class: "error", text: text })); });
      var actions = el("div", { class: "actions" });
      if (item.type === "activity") {
        actions.appendChild(el("a", { class: "button", href: config.activity_url + "#fix=" + item.id, text: S.fix }));
      } else if (item.type === "note") {
        actions.appendChild(el("a", { class: "button", href: config.field_url + "#fix=" + item.id, text: S.fix }));
      }
      var discard = el("button", { type: "button", "data-discard": item.id, text: S.discard });
      actions.appendChild(discard);
      li.appendChild(actions);
    }
    return li;
  }

  if (outbox) {
    outbox.addEventListener("click", function (event) {
      var discard = event.target.closest("[data-discard]");
      if (discard && window.confirm(S.discard_confirm)) {
        store.remove(discard.dataset.discard).then(render);
      }
      if (event.target.closest("a[href*='#fix=']") && location.pathname === config.field_url) {
        // A note is fixed on this page: the hash alone does not reload it.
        setTimeout(function () { location.reload(); }, 0);
      }
    });
    outbox.querySelector("[data-sync-now]").addEventListener("click", function () {
      syncNow();
      render();
    });
    var kept = localStorage.getItem("pilar-kept");
    if (kept) {
      var parts = kept.split("|");
      outbox.querySelector("[data-cached]").textContent = fmt(S.cached, { count: parts[0], time: when(parts[1]) });
    }
    render();
  }

  // Fresh copies of all the pillar's pages when the outbox page opens (the installed app's
  // start page); any other kept page is refreshed as it is visited with signal (the worker).
  if (hasWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.type === "outbox-changed") render();
      if (data.type === "pages-kept") {
        var now = new Date().toISOString();
        localStorage.setItem("pilar-kept", data.count + "|" + now);
        var line = outbox && outbox.querySelector("[data-cached]");
        if (line) line.textContent = fmt(S.cached, { count: data.count, time: when(now) });
      }
    });
    if (navigator.onLine && !copy && outbox) {
      registration.then(function () { return navigator.serviceWorker.ready; }).then(function (reg) {
        reg.active.postMessage({ type: "keep-pages" });
      });
    }
  }

  // Sign-out warns about what has not been sent (the handler is above).
  leaving = function () {
    return store.all().then(function (items) {
      var open = items.filter(function (i) { return i.user === config.user && i.status !== "accepted"; }).length;
      return !open || window.confirm(counted("logout_warn", open));
    });
  };

  window.addEventListener("online", syncNow);
  if (navigator.onLine) syncNow();
})(self);
