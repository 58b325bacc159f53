/*
 * Kasa web chat widget: one line on any page adds a chat launcher and panel.
 *
 *   <script src="https://bot.example/chat/widget.js" data-title="Kasa help" async></script>
 *
 * Options (data-* attributes of the script tag, all optional):
 *   data-title        heading of the panel and text of the launcher
 *   data-greeting     first message shown before the customer writes
 *   data-server       bot origin (default: where widget.js was loaded from)
 *   data-socket-path  socket.io path of the bot (default /socket.io)
 *   data-open         "true": open the panel on the first visit
 *
 * The widget lives in a shadow root, so the page's CSS does not touch it and its
 * CSS does not touch the page. It loads socket.io-client and webchat.js from the
 * same place as this file, and leaves any `window.io` of the page alone.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    var scripts = document.querySelectorAll("script[src*='widget.js']");
    script = scripts[scripts.length - 1];
  }
  if (!script || window.__kasaWebchatWidget) {
    return;
  }
  window.__kasaWebchatWidget = true;

  var src = new URL(script.src, window.location.href);
  var base = src.href.replace(/[^/]*([?#].*)?$/, "");
  var data = script.dataset;
  var options = {
    mode: "widget",
    title: data.title || "Kasa camera help",
    greeting: data.greeting,
    server: data.server || src.origin,
    socketPath: data.socketPath || "/socket.io",
    base: base
  };

  function load(url, done) {
    var tag = document.createElement("script");
    tag.src = url;
    tag.async = false;
    tag.onload = function () { done(true); };
    tag.onerror = function () { done(false); };
    (document.head || document.documentElement).appendChild(tag);
  }

  function start() {
    var host = document.createElement("div");
    host.id = "kasa-webchat-widget";
    document.body.appendChild(host);
    var previousIo = window.io;
    var hadIo = "io" in window;
    load(base + "static/vendor/socket.io.min.js", function (ok) {
      options.io = ok ? window.io : undefined;
      // give the page its own socket.io client back, if it had one
      if (hadIo) {
        window.io = previousIo;
      } else {
        try { delete window.io; } catch (e) { window.io = undefined; }
      }
      load(base + "static/webchat.js", function (ok) {
        if (!ok || !window.KasaWebchat) {
          return;
        }
        var chat = window.KasaWebchat.mount(host, options);
        if (data.open === "true" && !chat.state.messages.length && !chat.isOpen()) {
          chat.open(false);
        }
      });
    });
  }

  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
