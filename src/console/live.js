// tiemeng console, live: the page keeps itself current from the station's events
// (/api/v1/events). Everything works without this script; with it, counters change, the
// lists and the case page refresh themselves, and an urgent request rings until it is
// acknowledged or silenced. No framework, nothing loaded from elsewhere.
"use strict";
(function () {
  const body = document.body;
  const lang = document.documentElement.lang === "en" ? "en" : "zh";
  const words = {
    zh: { urgent: "特急", high: "紧急", newRequest: "新协查", enable: "开启声音与通知", silence: "静音", flash: "新协查" },
    en: { urgent: "urgent", high: "high", newRequest: "New request", enable: "Turn on sound and notifications", silence: "Silence", flash: "new request" },
  }[lang];
  const page = body.dataset.page || "";
  const caseId = body.dataset.case || "";
  const title = document.title;
  const ringing = new Map(); // case id → title, while urgent and not acknowledged
  let soundOn = localStorage.getItem("tiemeng-sound") === "on";
  const sound = new Audio("/console/static/alert.wav");
  let flashing = null;

  async function refreshCounts() {
    try {
      const answer = await fetch("/api/v1/desk", { headers: { accept: "application/json" } });
      if (!answer.ok) return;
      const counts = await answer.json();
      for (const [name, value] of Object.entries(counts)) {
        const el = document.querySelector('[data-count="' + name + '"]');
        if (el) {
          el.textContent = String(value);
          el.closest(".count")?.classList.toggle("zero", value === 0);
        }
      }
    } catch (_) { /* the next event tries again */ }
  }

  async function refreshMain() {
    try {
      const answer = await fetch(location.href, { headers: { accept: "text/html" } });
      if (!answer.ok) return;
      const doc = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = doc.querySelector("main");
      const main = document.querySelector("main");
      // Not while an officer is typing in a form on this page.
      if (fresh && main && !main.contains(document.activeElement?.closest("form"))) {
        main.replaceWith(fresh);
      }
    } catch (_) { /* the next event tries again */ }
  }

  function flash() {
    if (flashing || ringing.size === 0) return;
    let on = false;
    flashing = setInterval(() => {
      if (ringing.size === 0) {
        clearInterval(flashing);
        flashing = null;
        document.title = title;
        return;
      }
      on = !on;
      document.title = on ? "(" + ringing.size + ") " + words.flash + " · " + title : title;
      if (soundOn) sound.play().catch(() => {});
    }, 1000);
  }

  function notify(event) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const label = words[event.priority] || "";
    const note = new Notification(words.newRequest + " [" + label + "]", { body: event.title, tag: event.case });
    note.onclick = () => { window.focus(); location.href = "/console/cases/" + event.case; };
  }

  function setUp() {
    const bar = document.querySelector(".desk");
    if (!bar) return;
    const enable = document.createElement("button");
    enable.type = "button";
    enable.className = "link";
    enable.textContent = soundOn ? words.silence : words.enable;
    enable.addEventListener("click", () => {
      soundOn = !soundOn;
      localStorage.setItem("tiemeng-sound", soundOn ? "on" : "off");
      enable.textContent = soundOn ? words.silence : words.enable;
      if (soundOn && "Notification" in window && Notification.permission === "default") {
        Notification.requestPermission();
      }
      if (!soundOn) ringing.clear();
    });
    bar.appendChild(enable);
  }

  function onEvent(message) {
    let event;
    try { event = JSON.parse(message.data); } catch (_) { return; }
    refreshCounts();
    if (event.type === "request_received" && event.priority !== "routine") {
      ringing.set(event.case, event.title);
      notify(event);
      flash();
    }
    if (event.type === "case_updated" && event.action === "ack") ringing.delete(event.case);
    const concerns = page === "inbox" || page === "outbox" || page === "dashboard" || (caseId && event.case === caseId);
    if (concerns) refreshMain();
  }

  setUp();
  const stream = new EventSource("/api/v1/events");
  for (const name of ["request_received", "request_sent", "case_updated", "deadline", "partner"]) {
    stream.addEventListener(name, onEvent);
  }
  body.dataset.live = "on";
})();
