// Web chat client: speaks the POST /api/chat contract, shows the session's recent turns
// again after a reload (GET /api/chat/history) and a counsellor's later messages
// (GET /api/chat/events, server-sent events). Every text goes in through text nodes only:
// links and phone numbers become <a> elements built here, nothing is parsed as HTML.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("q");
  var send = document.getElementById("send");
  var statusEl = document.getElementById("status");
  var main = document.querySelector("main");

  function newSession() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var session;
  try {
    session = window.localStorage.getItem("hn_session");
    if (!session) { session = newSession(); window.localStorage.setItem("hn_session", session); }
  } catch (e) { session = newSession(); }

  // -- tappable links and phone numbers -----------------------------------------------------
  // a web address (with or without its scheme) or a phone number as Vietnamese sites write one
  var LINKABLE = /(https?:\/\/[^\s<>"]+|www\.[^\s<>"]+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:edu\.vn|gov\.vn|com\.vn|org\.vn|vn|com|org|net)\b(?:\/[^\s<>"]*)?|(?:\+84|(?<![\d.,])0[1-9]|(?<![\d.,])1[89]00)[\d .\-]{5,14}\d)/gi;
  var TRAILING = /[.,;:!?)\]»”]+$/;

  function phoneHref(raw) {
    var digits = raw.replace(/[^\d+]/g, "");
    var count = digits.replace(/\D/g, "").length;
    if (/^1[89]00/.test(digits) ? count >= 8 && count <= 10 : count >= 10 && count <= 12) {
      return "tel:" + digits;
    }
    return null;
  }

  function linkify(parent, text) {
    var last = 0;
    LINKABLE.lastIndex = 0;
    var m;
    while ((m = LINKABLE.exec(text)) !== null) {
      var found = m[0];
      var tail = found.match(TRAILING);
      if (tail) { found = found.slice(0, found.length - tail[0].length); }
      var href = null;
      if (/^[\d+]/.test(found)) { href = phoneHref(found); }
      else if (/^https?:\/\//i.test(found)) { href = found; }
      else if (found.indexOf("@") < 0) { href = "https://" + found; }
      if (href === null || !found) { continue; }
      if (m.index > last) { parent.appendChild(document.createTextNode(text.slice(last, m.index))); }
      var a = document.createElement("a");
      a.href = href;
      a.textContent = found;
      if (href.indexOf("tel:") !== 0) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
      parent.appendChild(a);
      last = m.index + found.length;
      LINKABLE.lastIndex = last;
    }
    if (last < text.length) { parent.appendChild(document.createTextNode(text.slice(last))); }
  }

  function block(tag, className, text) {
    var el = document.createElement(tag);
    el.className = className;
    linkify(el, text);
    return el;
  }

  // -- messages ------------------------------------------------------------------------------
  function scrollDown() { main.scrollTop = main.scrollHeight; }

  function addMine(text) {
    var el = document.createElement("div");
    el.className = "msg me";
    el.appendChild(block("div", "body", text));
    log.appendChild(el);
    scrollDown();
  }

  function addBot(reply) {
    var el = document.createElement("div");
    el.className = "msg bot";
    var card = reply.card;
    if (card) {
      el.className += " card";
      el.appendChild(block("h2", "card-title", card.title));
      if (card.body) { el.appendChild(block("div", "body", card.body)); }
      if (card.source) {
        var details = document.createElement("details");
        details.className = "source";
        var summary = document.createElement("summary");
        summary.textContent = "Căn cứ";
        details.appendChild(summary);
        details.appendChild(block("p", "source-text", card.source));
        el.appendChild(details);
      }
    } else {
      el.appendChild(block("div", "body", reply.text || ""));
    }
    if (reply.buttons && reply.buttons.length) {
      var group = document.createElement("div");
      group.className = "chips";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Lựa chọn");
      reply.buttons.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.className = "chip" + (b.role === "primary" || b.role === "destructive" ? " " + b.role : "");
        btn.textContent = b.label;
        btn.addEventListener("click", function () { post({ payload: b.payload }, b.label, false); });
        group.appendChild(btn);
      });
      el.appendChild(group);
    }
    log.appendChild(el);
  }

  function render(replies) {
    replies.forEach(addBot);
    scrollDown();
  }

  // -- typing indicator ----------------------------------------------------------------------
  var typing = null;
  function showTyping() {
    statusEl.textContent = "Đang trả lời…";
    typing = document.createElement("div");
    typing.className = "msg bot typing";
    typing.setAttribute("aria-hidden", "true");
    for (var i = 0; i < 3; i++) { typing.appendChild(document.createElement("span")); }
    log.appendChild(typing);
    scrollDown();
  }
  function hideTyping() {
    statusEl.textContent = "";
    if (typing && typing.parentNode) { typing.parentNode.removeChild(typing); }
    typing = null;
  }

  // -- talking to the server -----------------------------------------------------------------
  var busy = false;
  function post(body, echo, typed) {
    if (busy) { return; }
    busy = true;
    send.disabled = true;
    if (echo) { addMine(echo); }
    showTyping();
    body.session = session;
    fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().then(function (data) { return { ok: res.ok, data: data }; });
    }).then(function (r) {
      hideTyping();
      if (r.ok) {
        var replies = r.data.replies || [];
        render(replies);
        if (handedOff(replies)) { listen(); }
      }
      else { render([{ text: r.data.error || "Có lỗi xảy ra, bạn thử lại nhé." }]); }
    }).catch(function () {
      hideTyping();
      render([{ text: "Không kết nối được máy chủ. Bạn kiểm tra mạng rồi thử lại nhé." }]);
    }).then(function () {
      busy = false;
      send.disabled = false;
      // after typing, keep the keyboard; after a tap, do not pop it up on a phone
      if (typed) { input.focus(); }
    });
  }

  // -- messages that arrive later (a counsellor's reply): server-sent events -----------------
  // Opened while a counsellor handles the conversation (and once at load, for a page reloaded
  // during one); EventSource reconnects by itself, sending the last event id, so nothing is
  // lost or shown twice. The server answers 204 when nothing is live (the stream then stops)
  // and sends "end" once the conversation went back to the bot.
  var events = null;
  function handedOff(replies) {
    if (!replies.length) { return true; }  // the bot stays quiet while a person answers
    return replies.some(function (r) {
      return (r.buttons || []).some(function (b) { return b.payload.indexOf("ho:") === 0; });
    });
  }
  function listen() {
    if (events || !window.EventSource) { return; }
    events = new EventSource("/api/chat/events?session=" + encodeURIComponent(session));
    events.addEventListener("replies", function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      render(data.replies || []);
    });
    events.addEventListener("end", function () { events.close(); events = null; });
    events.onerror = function () {
      if (events && events.readyState === EventSource.CLOSED) { events = null; }
    };
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { input.focus(); return; }
    input.value = "";
    post({ text: text }, text, true);
  });

  // parent (issue 12): a parent's link (/?ma=PHABCD2345) sends its code as the first message;
  // the code leaves the address bar at once (it is single use, and a secret until then)
  var parentCode = null;
  try {
    var wanted = new URLSearchParams(window.location.search).get("ma");
    if (wanted && /^PH[A-Za-z0-9]{8}$/.test(wanted)) { parentCode = wanted.toUpperCase(); }
    if (wanted !== null) { window.history.replaceState(null, "", window.location.pathname); }
  } catch (e) { parentCode = null; }
  function openCode() {
    var code = parentCode;
    parentCode = null;
    if (!code) { return false; }
    var shown = "PH-" + code.slice(2, 6) + "-" + code.slice(6);
    post({ text: shown }, shown, true);
    return true;
  }

  // the conversation so far (after a reload), or a greeting for a new one
  function start() { if (!openCode()) { post({ payload: "start" }, null, false); } }
  fetch("/api/chat/history?session=" + encodeURIComponent(session))
    .then(function (res) { return res.ok ? res.json() : { turns: [] }; })
    .then(function (data) {
      var turns = data.turns || [];
      if (!turns.length) { start(); return; }
      turns.forEach(function (t) {
        if (t.who === "me") { addMine(t.text); } else { addBot(t); }
      });
      scrollDown();
      listen();
      openCode();
    })
    .catch(start);
})();
