/*
 * Kasa web chat: a chat client for Rasa's socket.io channel.
 *
 * Protocol (Rasa's): on connect emit `session_request` {session_id}; the server
 * answers `session_confirm` with the session id; user messages are emitted as
 * `user_uttered` {message, session_id}; bot messages arrive as `bot_uttered`
 * {text, quick_replies: [{title, payload}]}.
 *
 * The session id and a transcript are kept in localStorage, so a reload shows
 * the conversation again and continues it (the server keeps the tracker under
 * the session id). Bot and user strings only ever reach the page as text nodes
 * (textContent), never as HTML.
 *
 *   KasaWebchat.mount(hostElement, {server, socketPath, base, title, mode, io})
 *
 * Elements with data-kasa-webchat="page" are mounted automatically (the /chat
 * page); widget.js mounts the launcher + panel on other sites.
 */
(function () {
  "use strict";

  if (window.KasaWebchat) {
    return;
  }

  var STORE_VERSION = 1;
  var MAX_MESSAGES = 300;
  var MAX_AGE_MS = 7 * 24 * 3600 * 1000;
  var TYPING_TIMEOUT_MS = 30000;
  var MAX_INPUT = 1000;
  var URL_RE = /https?:\/\/[^\s<>"')\]]+[^\s<>"')\].,;:!?]/g;
  // Bot text arrives as Markdown that renders to the bot's plain text (for rasa-webchat and
  // other Markdown clients; markdown_safe in rasa_channels/socketio_markdown.py): backslash escapes,
  // &lt; &amp; &#61;, and "  \n" hard breaks. plainText() undoes exactly that.
  var MARKDOWN_RE = /\\([\\`*{}\[\]()#+\-.!_>~|])|&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});| +\n/g;
  var ENTITIES = { lt: "<", gt: ">", amp: "&", quot: "\"" };
  var BOT_ICON_PATH = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";

  // ---- small DOM helpers (text only, never innerHTML) ---------------------------------

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === false || value === null || value === undefined) {
          return;
        }
        if (name === "className") {
          node.className = value;
        } else {
          node.setAttribute(name, value === true ? "" : String(value));
        }
      });
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  /** Text with http(s) links made clickable; everything is a text node or a checked <a>. */
  function richText(node, text) {
    var last = 0;
    var match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(text)) !== null) {
      if (match.index > last) {
        node.appendChild(document.createTextNode(text.slice(last, match.index)));
      }
      var link = el("a", { href: match[0], target: "_blank", rel: "noopener noreferrer" }, match[0]);
      node.appendChild(link);
      last = match.index + match[0].length;
    }
    if (last < text.length) {
      node.appendChild(document.createTextNode(text.slice(last)));
    }
    return node;
  }

  /** The plain text of a bot message sent as escaped Markdown (see MARKDOWN_RE). */
  function plainText(markdown) {
    return markdown.replace(MARKDOWN_RE, function (all, escaped, entity) {
      if (escaped) {
        return escaped;
      }
      if (entity) {
        if (ENTITIES[entity]) {
          return ENTITIES[entity];
        }
        var code = entity.charAt(1) === "x" || entity.charAt(1) === "X"
          ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
      }
      return "\n";
    });
  }

  function svgIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", BOT_ICON_PATH);
    svg.appendChild(path);
    return svg;
  }

  // ---- storage ---------------------------------------------------------------------------

  function Store(key) {
    this.key = key;
    this.memory = null;
  }

  Store.prototype.load = function () {
    var data = null;
    try {
      data = JSON.parse(window.localStorage.getItem(this.key) || "null");
    } catch (e) {
      data = this.memory;
    }
    if (!data || data.v !== STORE_VERSION || !Array.isArray(data.messages) ||
        (data.updated && Date.now() - data.updated > MAX_AGE_MS)) {
      data = { v: STORE_VERSION, sessionId: null, messages: [], open: false };
    }
    data.messages = data.messages.filter(function (m) {
      return m && (m.from === "bot" || m.from === "user") && typeof m.text === "string";
    });
    return data;
  };

  Store.prototype.save = function (data) {
    data.updated = Date.now();
    if (data.messages.length > MAX_MESSAGES) {
      data.messages = data.messages.slice(data.messages.length - MAX_MESSAGES);
    }
    this.memory = data;
    try {
      window.localStorage.setItem(this.key, JSON.stringify(data));
    } catch (e) {
      /* storage full or disabled: the conversation still works, without reload support */
    }
  };

  function normalizeButtons(data) {
    var raw = data.quick_replies || data.buttons ||
      (data.attachment && data.attachment.payload && data.attachment.payload.buttons) || [];
    if (!Array.isArray(raw)) {
      return [];
    }
    return raw.filter(function (b) {
      return b && typeof b.title === "string" && typeof b.payload === "string" && b.title && b.payload;
    }).map(function (b) {
      return { title: b.title, payload: b.payload };
    });
  }

  // ---- the chat ---------------------------------------------------------------------------

  function Chat(host, options) {
    this.host = host;
    this.options = options;
    this.mode = options.mode === "widget" ? "widget" : "page";
    this.title = options.title || "Kasa camera help";
    this.server = (options.server || window.location.origin).replace(/\/+$/, "");
    this.socketPath = options.socketPath || "/socket.io";
    this.base = options.base || (this.server + "/chat/");
    this.io = options.io || window.io;
    this.store = new Store(options.storageKey ||
      ("kasa-webchat:" + this.server + this.socketPath));
    this.state = this.store.load();
    this.socket = null;
    this.ready = false;
    this.queue = [];
    this.focusNextChoices = false;
    this.typingTimer = null;
    this.build();
  }

  Chat.prototype.build = function () {
    var self = this;
    var root = this.host.attachShadow ? this.host.attachShadow({ mode: "open" }) : this.host;
    this.root = root;
    this.host.setAttribute("data-mode", this.mode);

    var container = el("div", { className: "kc-root kc-" + this.mode, hidden: true });
    var stylesheet = el("link", { rel: "stylesheet", href: this.base + "static/webchat.css" });
    var reveal = function () {
      if (!container.hidden) {
        return;
      }
      container.hidden = false;
      // the chat page: ready to type (unless the visitor already focused something)
      if (self.mode === "page" && (!document.activeElement || document.activeElement === document.body)) {
        self.input.focus();
      }
    };
    stylesheet.addEventListener("load", reveal);
    stylesheet.addEventListener("error", reveal);
    window.setTimeout(reveal, 3000);

    var panel = el("section", {
      className: "kc-panel",
      id: "kc-panel",
      role: this.mode === "widget" ? "dialog" : "region",
      "aria-labelledby": "kc-title"
    });
    var header = el("header", { className: "kc-header" });
    var heading = el("div", { className: "kc-heading" });
    heading.appendChild(el(this.mode === "page" ? "h1" : "h2", { className: "kc-title", id: "kc-title" }, this.title));
    this.status = el("p", { className: "kc-status", role: "status" });
    heading.appendChild(this.status);
    header.appendChild(heading);

    var restart = el("button", {
      type: "button",
      className: "kc-header-button kc-restart",
      "aria-label": "Start a new conversation"
    }, "New chat");
    restart.addEventListener("click", function () { self.reset(); });
    header.appendChild(restart);

    if (this.mode === "widget") {
      var close = el("button", { type: "button", className: "kc-header-button kc-close", "aria-label": "Close chat" }, "\u00d7");
      close.addEventListener("click", function () { self.close(); });
      header.appendChild(close);
    }
    panel.appendChild(header);

    this.log = el("div", {
      className: "kc-log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": "Conversation with " + this.title,
      tabindex: "0"
    });
    this.renderAll();
    panel.appendChild(this.log);

    this.typing = el("p", { className: "kc-typing", hidden: true, "aria-hidden": "true" });
    var dots = el("span", { className: "kc-dots" });
    dots.appendChild(el("span"));
    dots.appendChild(el("span"));
    dots.appendChild(el("span"));
    this.typing.appendChild(dots);
    this.typing.appendChild(document.createTextNode(" " + this.title + " is typing\u2026"));
    panel.appendChild(this.typing);

    var form = el("form", { className: "kc-form", novalidate: true });
    form.appendChild(el("label", { className: "kc-sr", "for": "kc-input" }, "Message to " + this.title));
    this.input = el("input", {
      id: "kc-input",
      className: "kc-input",
      type: "text",
      name: "message",
      autocomplete: "off",
      maxlength: String(MAX_INPUT),
      enterkeyhint: "send",
      placeholder: "Describe the problem\u2026"
    });
    form.appendChild(this.input);
    this.updatePlaceholder();
    form.appendChild(el("button", { type: "submit", className: "kc-send" }, "Send"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = self.input.value.trim();
      if (!text) {
        self.input.focus();
        return;
      }
      self.input.value = "";
      self.focusNextChoices = false;
      // typing answers the question too: its buttons must not answer it a second time
      self.closeQuestions();
      self.sendUser(text, text);
    });
    panel.appendChild(form);

    if (this.mode === "widget") {
      this.launcher = el("button", {
        type: "button",
        className: "kc-launcher",
        "aria-expanded": "false",
        "aria-controls": "kc-panel"
      });
      this.launcher.appendChild(svgIcon());
      this.launcher.appendChild(el("span", null, this.title));
      this.launcher.addEventListener("click", function () {
        if (self.isOpen()) {
          self.close();
        } else {
          self.open(true);
        }
      });
      container.appendChild(this.launcher);
      panel.hidden = true;
      panel.addEventListener("keydown", function (event) {
        if (event.key === "Escape") {
          event.preventDefault();
          self.close();
        }
      });
    }
    this.panel = panel;
    this.container = container;
    container.appendChild(panel);
    root.appendChild(stylesheet);
    root.appendChild(container);

    if (this.mode === "page") {
      this.connect();
    } else if (this.state.open) {
      this.open(false);
    }
  };

  Chat.prototype.isOpen = function () {
    return this.mode === "page" || !this.panel.hidden;
  };

  Chat.prototype.open = function (focus) {
    this.panel.hidden = false;
    this.container.classList.add("kc-open");
    this.launcher.setAttribute("aria-expanded", "true");
    this.state.open = true;
    this.store.save(this.state);
    this.connect();
    this.scrollToEnd();
    if (focus) {
      this.input.focus();
    }
  };

  Chat.prototype.close = function () {
    if (this.mode !== "widget") {
      return;
    }
    this.panel.hidden = true;
    this.container.classList.remove("kc-open");
    this.launcher.setAttribute("aria-expanded", "false");
    this.state.open = false;
    this.store.save(this.state);
    this.launcher.focus();
  };

  Chat.prototype.setStatus = function (text) {
    if (this.status.textContent !== text) {
      this.status.textContent = text;
    }
  };

  // ---- connection ------------------------------------------------------------------------

  Chat.prototype.connect = function () {
    var self = this;
    if (this.socket) {
      return;
    }
    if (typeof this.io !== "function") {
      this.setStatus("The chat could not be loaded. Please try again later.");
      return;
    }
    this.setStatus("Connecting\u2026");
    var socket = this.io(this.server, {
      path: this.socketPath,
      transports: ["websocket", "polling"],
      reconnectionDelayMax: 10000
    });
    this.socket = socket;
    socket.on("connect", function () {
      self.ready = false;
      socket.emit("session_request", { session_id: self.state.sessionId || null });
    });
    socket.on("session_confirm", function (data) {
      var id = typeof data === "string" ? data : (data && data.session_id);
      if (!id) {
        return;
      }
      if (self.state.sessionId && self.state.sessionId !== id) {
        // the server started another session: the old transcript no longer applies
        self.state.messages = [];
        self.renderAll();
      }
      self.state.sessionId = id;
      self.store.save(self.state);
      self.ready = true;
      self.setStatus("");
      self.flush();
    });
    socket.on("bot_uttered", function (data) {
      self.receive(data);
    });
    // the customer answered in another tab of this session
    socket.on("kasa_answered", function () {
      self.closeQuestions();
      self.store.save(self.state);
    });
    // the bot is done with the customer's message, answered or not (it stays quiet while a person has the case)
    socket.on("kasa_turn_end", function () {
      self.showTyping(false);
    });
    socket.on("disconnect", function (reason) {
      self.ready = false;
      if (reason !== "io client disconnect") {
        self.setStatus("Connection lost. Reconnecting\u2026");
      }
    });
    socket.on("connect_error", function () {
      self.ready = false;
      self.setStatus("Cannot reach the chat server. Retrying\u2026");
    });
  };

  Chat.prototype.flush = function () {
    while (this.ready && this.socket && this.queue.length) {
      this.socket.emit(this.options.userEvent || "user_uttered", {
        message: this.queue.shift(),
        session_id: this.state.sessionId
      });
    }
  };

  /** Start over: a new session id, an empty transcript. */
  Chat.prototype.reset = function () {
    this.state.sessionId = null;
    this.state.messages = [];
    this.queue = [];
    this.store.save(this.state);
    this.renderAll();
    this.showTyping(false);
    if (this.socket) {
      // a new socket id, so nothing of the old session's room reaches this page
      this.ready = false;
      this.socket.disconnect();
      this.socket.connect();
    }
    this.input.focus();
  };

  // ---- messages --------------------------------------------------------------------------

  Chat.prototype.sendUser = function (shown, payload) {
    this.addMessage({ from: "user", text: shown });
    this.queue.push(payload);
    this.showTyping(true);
    this.connect();
    this.flush();
  };

  Chat.prototype.receive = function (data) {
    if (!data || typeof data !== "object") {
      return;
    }
    var text = typeof data.text === "string" ? plainText(data.text) : "";
    var buttons = normalizeButtons(data);
    if (!text && !buttons.length) {
      return;
    }
    // a support agent's message: their name is shown above it, so not again in front of the text
    var agent = typeof data.agent === "string" && data.agent.trim() ? data.agent.trim().slice(0, 80) : null;
    if (agent && text.indexOf(agent + " (support): ") === 0) {
      text = text.slice((agent + " (support): ").length);
    }
    this.showTyping(false);
    var node = this.addMessage({ from: "bot", text: text, buttons: buttons, chosen: null, agent: agent });
    if (buttons.length && this.focusNextChoices) {
      // only if focus is still where choose() put it: never steal it from elsewhere
      var active = this.root.activeElement !== undefined ? this.root.activeElement : document.activeElement;
      if (active === this.input && !this.input.value) {
        var first = node.querySelector("button:not([disabled])");
        if (first) {
          first.focus();
        }
      }
      this.focusNextChoices = false;
    }
  };

  Chat.prototype.addMessage = function (message) {
    this.state.messages.push(message);
    this.store.save(this.state);
    var intro = this.log.querySelector(".kc-intro");
    if (intro) {
      intro.remove();
    }
    var node = this.renderMessage(message);
    this.log.appendChild(node);
    this.updatePlaceholder();
    this.scrollToEnd();
    return node;
  };

  Chat.prototype.renderAll = function () {
    var self = this;
    this.log.textContent = "";
    if (!this.state.messages.length) {
      var intro = el("div", { className: "kc-msg kc-msg-bot kc-intro" });
      intro.appendChild(el("p", { className: "kc-bubble" },
        this.options.greeting ||
        "Hi! Tell me what is wrong with your Kasa camera, for example \u201cthe SD card is not recognized\u201d."));
      this.log.appendChild(intro);
    }
    this.state.messages.forEach(function (message) {
      self.log.appendChild(self.renderMessage(message));
    });
    this.updatePlaceholder();
    this.scrollToEnd();
  };

  Chat.prototype.updatePlaceholder = function () {
    if (this.input) {
      this.input.placeholder = this.state.messages.length ? "Type your message\u2026" : "Describe the problem\u2026";
    }
  };

  Chat.prototype.renderMessage = function (message) {
    var self = this;
    var fromBot = message.from === "bot";
    var agent = fromBot && typeof message.agent === "string" ? message.agent : null;
    var node = el("div", { className: "kc-msg " + (fromBot ? "kc-msg-bot" : "kc-msg-user") + (agent ? " kc-msg-agent" : "") });
    if (agent) {
      node.appendChild(el("span", { className: "kc-sr" }, agent + ", support agent:"));
      node.appendChild(el("span", { className: "kc-agent", "aria-hidden": "true" }, agent + " \u00b7 support"));
    } else {
      node.appendChild(el("span", { className: "kc-sr" }, fromBot ? this.title + ":" : "You:"));
    }
    if (message.text) {
      node.appendChild(richText(el("p", { className: "kc-bubble" }), message.text));
    }
    var buttons = message.buttons || [];
    if (buttons.length) {
      var group = el("div", { className: "kc-choices", role: "group", "aria-label": "Answers" });
      var answered = typeof message.chosen === "number" || message.answered === true;
      buttons.forEach(function (button, index) {
        var b = el("button", {
          type: "button",
          className: "kc-choice" + (message.chosen === index ? " kc-chosen" : ""),
          disabled: answered
        }, button.title);
        b.addEventListener("click", function () {
          self.choose(message, group, index);
        });
        group.appendChild(b);
      });
      node.appendChild(group);
    }
    return node;
  };

  Chat.prototype.choose = function (message, group, index) {
    if (typeof message.chosen === "number") {
      return;
    }
    var button = message.buttons[index];
    message.chosen = index;
    this.closeQuestions();
    Array.prototype.forEach.call(group.querySelectorAll("button"), function (b, i) {
      if (i === index) {
        b.classList.add("kc-chosen");
      }
    });
    // focus would be lost with the disabled button: keep it in the chat
    this.input.focus();
    this.focusNextChoices = true;
    this.sendUser(button.title, button.payload);
  };

  /**
   * The customer answered (a button or typed text): every question shown so far is answered.
   * Their buttons are disabled, and stay so after a reload (the flag is in the transcript).
   */
  Chat.prototype.closeQuestions = function () {
    this.state.messages.forEach(function (m) {
      if (m.from === "bot" && m.buttons && m.buttons.length && typeof m.chosen !== "number") {
        m.answered = true;
      }
    });
    Array.prototype.forEach.call(this.log.querySelectorAll("button.kc-choice"), function (b) {
      b.disabled = true;
    });
  };

  Chat.prototype.showTyping = function (on) {
    var self = this;
    window.clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    if (on) {
      this.typingTimer = window.setTimeout(function () { self.typing.hidden = true; }, TYPING_TIMEOUT_MS);
    }
    this.scrollToEnd();
  };

  Chat.prototype.scrollToEnd = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  // ---- public API ---------------------------------------------------------------------------

  function mount(host, options) {
    if (host.kasaWebchat) {
      return host.kasaWebchat;
    }
    host.kasaWebchat = new Chat(host, options || {});
    return host.kasaWebchat;
  }

  function fromDataset(host) {
    var d = host.dataset;
    return {
      mode: d.kasaWebchat === "widget" ? "widget" : "page",
      title: d.title,
      server: d.server,
      socketPath: d.socketPath,
      base: d.base,
      greeting: d.greeting
    };
  }

  function autoMount() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-kasa-webchat]"), function (host) {
      mount(host, fromDataset(host));
    });
  }

  window.KasaWebchat = { mount: mount, plainText: plainText, version: "1" };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", autoMount);
  } else {
    autoMount();
  }
})();
