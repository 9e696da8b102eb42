// Web chat client: one conversation per browser, kept by a token in localStorage.
// What the person says goes into a queue, saved in localStorage as well, and is sent in order,
// one message at a time. A message keeps its client id across retries and reloads, so the
// server recognises a resend; it leaves the queue only once the server has taken it (200).
(function () {
  "use strict";
  const text = window.CHAT_TEXT;
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const status = document.getElementById("status");
  const KEYS = { token: "ce-chat-token", last: "ce-chat-last", queue: "ce-chat-queue" };
  const OPENING = "open";  // the client id of the message that starts a conversation
  const RETRY_MS = [1000, 2000, 4000, 8000, 15000, 30000];
  const POLL_MS = 5000;

  let token = localStorage.getItem(KEYS.token);
  let lastSeen = Number(localStorage.getItem(KEYS.last) || "0");
  // The ids pulled and shown. Not only those above lastSeen: on PostgreSQL a message may
  // commit after one with a higher id was shown, and the server then sends it below.
  const shownIds = new Set();
  let queue = loadQueue();
  let ready = false;  // the conversation so far is on screen; the queue may go out
  let sending = false;
  let wake = null;
  const bubbles = {};  // client id -> bubble of a message still in the queue

  function loadQueue() {
    try {
      const stored = JSON.parse(localStorage.getItem(KEYS.queue) || "[]");
      return Array.isArray(stored) ? stored : [];
    } catch (error) {
      return [];
    }
  }

  function saveQueue() {
    localStorage.setItem(KEYS.queue, JSON.stringify(queue));
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function locale() {
    return (navigator.language || "").slice(0, 35);
  }

  // A lone surrogate (half of an emoji, cut) is not text: the server would refuse the message,
  // and the queue would wait behind it forever.
  function wellFormed(value) {
    if (value.toWellFormed) return value.toWellFormed();
    return Array.from(value, function (char) {  // by code point: a lone half stands alone
      return /^[\uD800-\uDFFF]$/.test(char) ? "\uFFFD" : char;
    }).join("");
  }

  function pause(ms) {
    return new Promise(function (resolve) {
      wake = resolve;
      setTimeout(resolve, ms);
    });
  }

  function backoff(failures) {
    return RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
  }

  // Messages still in the queue stay at the bottom: what the bot said goes above them.
  function place(item) {
    log.insertBefore(item, log.querySelector(".msg.pending"));
    settleOptions();
    return item;
  }

  // Bring what just came (`first` to `last`) into view; when it is taller than the screen
  // (a calculation, then the list of offers again), from the first line of its first
  // message, so it reads from the top, with the input still below.
  function reveal(first, last) {
    const end = last || first;
    const height = end.getBoundingClientRect().bottom - first.getBoundingClientRect().top;
    if (height > log.parentElement.clientHeight) first.scrollIntoView({ block: "start" });
    else end.scrollIntoView({ block: "end" });
  }

  // The bot writes "R$ 1.234,56" and a rating "★ 4,6" with a plain space (people type it
  // so); on screen a no-break space keeps the symbol on the line of its number.
  function keepMoneyTogether(value) {
    return value.replace(/(R\$|\u2605) (?=-?\d)/g, "$1\u00a0");
  }

  // Links in the bot's words (a payment link) can be tapped; everything else stays text.
  function withLinks(item, body) {
    const parts = keepMoneyTogether(body).split(/(https?:\/\/[^\s<>"]+)/);
    parts.forEach(function (part, index) {
      if (index % 2 === 0) {
        if (part) item.appendChild(document.createTextNode(part));
        return;
      }
      const [address, after] = withoutTrailingPunctuation(part);
      if (!/^https?:\/\/[^/?#]/.test(address)) {
        item.appendChild(document.createTextNode(part));
        return;
      }
      const link = document.createElement("a");
      link.href = address;
      link.textContent = address;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      item.appendChild(link);
      if (after) item.appendChild(document.createTextNode(after));
    });
  }

  // A link ends before the punctuation that ends its sentence ("veja https://x/y." or
  // "(https://x/y)"): the address, then what follows it. A closing parenthesis stays when
  // the address opened it (https://x/a_(b)).
  function withoutTrailingPunctuation(address) {
    let end = address.length;
    while (end > 0) {
      const last = address.charAt(end - 1);
      if (".,;:!?".includes(last)) {
        end -= 1;
      } else if (last === ")" && count(address.slice(0, end), ")") > count(address, "(")) {
        end -= 1;
      } else {
        break;
      }
    }
    return [address.slice(0, end), address.slice(end)];
  }

  function count(text, character) {
    return text.split(character).length - 1;
  }

  function bubble(kind, body, options, image) {
    const item = document.createElement("li");
    item.className = "msg " + kind;
    if (kind === "bot") {
      withLinks(item, body);
    } else {
      item.textContent = keepMoneyTogether(body);
    }
    if (image && /^data:image\/png;base64,/.test(image.src)) {
      const picture = document.createElement("img");
      picture.src = image.src;
      picture.alt = image.alt;
      picture.className = "picture";
      item.appendChild(picture);
    }
    if (options && options.length) {
      const group = document.createElement("div");
      group.className = "options";
      options.forEach(function (option) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = keepMoneyTogether(option.label);
        button.addEventListener("click", function () {
          enqueue({ option_id: option.id, label: option.label });
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    return item;
  }

  // The buttons of the bot's last turn work (every message since the person last wrote:
  // an agent's "Message the consumer" and the menu that follows it), until the person
  // answers. Older ones stay visible, disabled.
  function settleOptions() {
    const items = Array.prototype.slice.call(log.children);
    const live = [];
    for (let i = items.length - 1; i >= 0 && !items[i].classList.contains("me"); i--) {
      live.push(items[i]);
    }
    log.querySelectorAll(".options button").forEach(function (button) {
      button.disabled = live.indexOf(button.closest(".msg")) < 0;
    });
  }

  function showMine(message) {
    const item = bubble("me pending", message.label || message.text);
    bubbles[message.client_id] = item;
    log.appendChild(item);
    settleOptions();
    reveal(item);
  }

  function showMessages(messages) {
    let first = null;
    let last = null;
    messages.forEach(function (message) {
      if (shownIds.has(message.id)) return;
      shownIds.add(message.id);
      lastSeen = Math.max(lastSeen, message.id);
      last = place(bubble("bot", message.text, message.options, message.image));
      first = first || last;
    });
    if (first) reveal(first, last);
    localStorage.setItem(KEYS.last, String(lastSeen));
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
      const error = new Error("HTTP " + response.status);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // A token this server does not know (an old one, or from before tokens were signed): the
  // next message opens a new conversation, so it must be the opening one.
  function forgetToken() {
    token = null;
    lastSeen = 0;
    localStorage.removeItem(KEYS.token);
    localStorage.setItem(KEYS.last, "0");
    ensureOpening();
  }

  function ensureOpening() {
    if (queue.length && queue[0].client_id === OPENING) return;
    queue.unshift({ client_id: OPENING, text: "/start", hidden: true });
    saveQueue();
  }

  async function ensureSession() {
    if (token) return;
    const data = await call("/chat/api/session", { locale: locale() });
    token = data.token;
    localStorage.setItem(KEYS.token, token);
  }

  function enqueue(content) {
    const message = Object.assign({ client_id: newId() }, content);
    queue.push(message);
    saveQueue();
    showMine(message);
    pump();
  }

  async function pump() {
    if (sending || !ready) return;
    sending = true;
    let failures = 0;
    while (queue.length) {
      const message = queue[0];
      try {
        await ensureSession();
        const data = await call("/chat/api/messages", {
          client_id: message.client_id,
          text: message.option_id ? undefined : message.text,
          option_id: message.option_id,
          after: lastSeen,
          locale: locale(),
        });
        queue.shift();
        saveQueue();
        delivered(message);
        failures = 0;
        setStatus("");
        showMessages(data.messages);
      } catch (error) {
        if (error.status === 401) forgetToken();
        setStatus(text.resending);
        await pause(backoff(failures++));
      }
    }
    sending = false;
  }

  function delivered(message) {
    const item = bubbles[message.client_id];
    delete bubbles[message.client_id];
    if (item) item.classList.remove("pending");
    settleOptions();
  }

  async function poll() {
    if (!token || !ready || queue.length) return;
    try {
      showMessages((await call("/chat/api/messages?after=" + lastSeen)).messages);
    } catch (error) {
      /* the next poll tries again */
    }
  }

  // After a reload: the conversation so far, both sides; then poll after its last message.
  // Returns the client ids of my messages the server already has.
  async function restore() {
    for (let failures = 0; ; failures++) {
      try {
        const data = await call("/chat/api/history");
        const mine = {};
        let last = null;
        data.lines.forEach(function (line) {
          if (line.from === "me") mine[line.client_id] = true;
          last = place(bubble(line.from === "me" ? "me" : "bot", line.text, line.options, line.image));
        });
        if (last) reveal(last);
        if (data.lines.length === 0 && data.last > 0) {
          // Nothing is kept before the privacy consent: the bot's words so far are only in its
          // outbox, so show them from there rather than a blank page.
          lastSeen = 0;
          showMessages((await call("/chat/api/messages?after=0")).messages);
        } else {
          lastSeen = data.last;
          localStorage.setItem(KEYS.last, String(lastSeen));
        }
        setStatus("");
        return mine;
      } catch (error) {
        if (error.status === 401) forgetToken();
        if (error.status === 404) ensureOpening();  // issued, but the opening never arrived
        if (error.status === 401 || error.status === 404) return {};
        setStatus(text.resending);
        await pause(backoff(failures));
      }
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    input.value = "";
    enqueue({ text: wellFormed(value) });
  });

  window.addEventListener("online", function () {
    if (wake) wake();
  });

  (async function start() {
    const earlier = queue.slice();
    earlier.forEach(function (message) {
      if (!message.hidden) showMine(message);
    });
    const known = token ? await restore() : {};
    earlier.forEach(function (message) {
      const item = bubbles[message.client_id];
      if (known[message.client_id] && item) {
        item.remove();  // the history shows it already; it is sent again quietly
        delete bubbles[message.client_id];
      }
    });
    if (!token) ensureOpening();
    ready = true;
    pump();
    setInterval(poll, POLL_MS);
  })();
})();
