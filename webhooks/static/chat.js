// Web chat client: one conversation per browser, kept by a token in localStorage.
// Every message carries a client id, so a resend after a network error is not a second message.
(function () {
  "use strict";
  const text = window.CHAT_TEXT;
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const status = document.getElementById("status");
  let token = localStorage.getItem("ce-chat-token");
  let lastSeen = Number(localStorage.getItem("ce-chat-last") || "0");
  let busy = false;

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function show(kind, body, options) {
    const item = document.createElement("li");
    item.className = "msg " + kind;
    item.textContent = body;
    if (options && options.length) {
      const group = document.createElement("div");
      group.className = "options";
      options.forEach(function (option) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = option.label;
        button.addEventListener("click", function () {
          send({ option_id: option.id }, option.label);
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    settleOptions();
    item.scrollIntoView({ block: "end" });
  }

  // Only the newest question's buttons work: those of the last bot message with options,
  // until the person answers. Older ones stay visible, disabled.
  function settleOptions() {
    const items = Array.prototype.slice.call(log.children);
    let live = null;
    for (let i = items.length - 1; i >= 0 && !items[i].classList.contains("me"); i--) {
      if (items[i].querySelector(".options")) { live = items[i]; break; }
    }
    log.querySelectorAll(".options button").forEach(function (button) {
      button.disabled = !live || !live.contains(button);
    });
  }

  function showMessages(messages) {
    messages.forEach(function (message) {
      if (message.id <= lastSeen) return;
      lastSeen = message.id;
      show("bot", message.text, message.options);
    });
    localStorage.setItem("ce-chat-last", String(lastSeen));
  }

  function setStatus(message) {
    status.hidden = !message;
    status.textContent = message || "";
  }

  async function call(path, body) {
    const response = await fetch(path, {
      method: body ? "POST" : "GET",
      headers: Object.assign({ "Content-Type": "application/json" },
        token ? { Authorization: "Bearer " + token } : {}),
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      const error = new Error(text.error);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  async function ensureSession() {
    if (token) return;
    const data = await call("/chat/api/session", { locale: navigator.language || "" });
    token = data.token;
    localStorage.setItem("ce-chat-token", token);
    lastSeen = 0;
  }

  async function send(content, echo) {
    if (busy) return;
    busy = true;
    const message = Object.assign({ client_id: newId(), after: lastSeen,
      locale: navigator.language || "" }, content);
    if (echo) show("me", echo);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await ensureSession();
        const data = await call("/chat/api/messages", message);
        setStatus("");
        showMessages(data.messages);
        busy = false;
        return;
      } catch (error) {
        setStatus(error.message || text.error);
        await new Promise(function (resolve) { setTimeout(resolve, 800 * (attempt + 1)); });
      }
    }
    busy = false;
  }

  async function poll() {
    if (!token || busy) return;
    try {
      const data = await call("/chat/api/messages?after=" + lastSeen);
      showMessages(data.messages);
    } catch (error) {
      /* the next poll tries again */
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    input.value = "";
    send({ text: value }, value);
  });

  // After a reload: the whole conversation, both sides, then poll after its last message.
  async function restore() {
    try {
      const data = await call("/chat/api/history");
      data.lines.forEach(function (line) {
        show(line.from === "me" ? "me" : "bot", line.text, line.options);
      });
      lastSeen = data.last;
      localStorage.setItem("ce-chat-last", String(lastSeen));
      return true;
    } catch (error) {
      if (error.status === 401) {  // a token from before tokens were signed, or another server
        token = null;
        localStorage.removeItem("ce-chat-token");
      }
      return error.status !== 404 && Boolean(token);
    }
  }

  (async function start() {
    const restored = token ? await restore() : false;
    if (!restored) send({ client_id: "open", text: "/start" });
    setInterval(poll, 5000);
  })();
})();
