// Web chat client: speaks the POST /api/chat contract. Text is inserted with textContent only.
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

  function add(text, who) {
    var li = document.createElement("li");
    li.className = "msg " + who;
    var body = document.createElement("div");
    body.textContent = text;
    li.appendChild(body);
    log.appendChild(li);
    main.scrollTop = main.scrollHeight;
    return li;
  }

  function render(replies) {
    replies.forEach(function (reply) {
      var li = add(reply.text, "bot");
      if (reply.buttons && reply.buttons.length) {
        var group = document.createElement("div");
        group.className = "chips";
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", "Lựa chọn");
        reply.buttons.forEach(function (b) {
          var btn = document.createElement("button");
          btn.type = "button";
          btn.className = "chip";
          btn.textContent = b.label;
          btn.addEventListener("click", function () { post({ payload: b.payload }, b.label); });
          group.appendChild(btn);
        });
        li.appendChild(group);
      }
    });
    main.scrollTop = main.scrollHeight;
  }

  var busy = false;
  function post(body, echo) {
    if (busy) { return; }
    busy = true;
    send.disabled = true;
    if (echo) { add(echo, "me"); }
    statusEl.textContent = "Đang trả lời…";
    body.session = session;
    fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().then(function (data) { return { ok: res.ok, data: data }; });
    }).then(function (r) {
      if (r.ok) { render(r.data.replies || []); }
      else { add(r.data.error || "Có lỗi xảy ra, bạn thử lại nhé.", "bot"); }
    }).catch(function () {
      add("Không kết nối được máy chủ. Bạn kiểm tra mạng rồi thử lại nhé.", "bot");
    }).then(function () {
      busy = false;
      send.disabled = false;
      statusEl.textContent = "";
      input.focus();
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { input.focus(); return; }
    input.value = "";
    post({ text: text }, text);
  });

  post({ payload: "start" });
})();
