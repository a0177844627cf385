// tiemeng console, live: the page keeps itself current from the station's events
// (/api/v1/events). Everything works without this script; with it, counters change, the
// lists and the case page refresh themselves, and an urgent request rings until it is
// acknowledged or silenced. No framework, nothing loaded from elsewhere.
"use strict";
(function () {
  const body = document.body;
  const lang = document.documentElement.lang === "en" ? "en" : "zh";
  const words = {
    zh: { urgent: "特急", high: "紧急", newRequest: "新协查", near: "签收期限将至", handedToYou: "交接给你", enable: "开启声音与通知", silence: "静音", silenceOne: "静音此条", flash: "新协查" },
    en: { urgent: "urgent", high: "high", newRequest: "New request", near: "Acknowledgement due soon", handedToYou: "Handed to you", enable: "Turn on sound and notifications", silence: "Silence", silenceOne: "Silence this one", flash: "new request" },
  }[lang];
  const page = body.dataset.page || "";
  const caseId = body.dataset.case || "";
  const station = body.dataset.station || "";
  const badge = body.dataset.badge || "";
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
        for (const el of document.querySelectorAll('[data-count="' + name + '"]')) {
          el.textContent = String(value);
          el.closest(".count")?.classList.toggle("zero", value === 0);
        }
      }
      const banner = document.querySelector('[data-banner="overdue"]');
      if (banner) banner.hidden = counts.overdue === 0;
    } catch (_) { /* the next event tries again */ }
  }

  // Print buttons come hidden: without this script they could do nothing. Shown again after
  // each refresh of <main>, which brings fresh (hidden) ones; one listener serves them all.
  function showPrint() {
    for (const button of document.querySelectorAll("button[data-print]")) button.hidden = false;
  }
  document.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("button[data-print]")) window.print();
  });

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
        showPrint();
      }
    } catch (_) { /* the next event tries again */ }
  }

  // The requests ringing now, each with its own silence button, beside the counters.
  function showRinging() {
    const bar = document.querySelector(".desk");
    if (!bar) return;
    let list = bar.querySelector(".ringing");
    if (!list) {
      list = document.createElement("span");
      list.className = "ringing";
      bar.appendChild(list);
    }
    list.replaceChildren();
    for (const [id, what] of ringing) {
      const item = document.createElement("span");
      item.className = "ring";
      const link = document.createElement("a");
      link.href = "/console/cases/" + id;
      link.textContent = what; // text, never markup: titles come from partners
      const off = document.createElement("button");
      off.type = "button";
      off.className = "link";
      off.textContent = words.silenceOne;
      off.addEventListener("click", () => { ringing.delete(id); showRinging(); });
      item.append(link, " ", off);
      list.appendChild(item);
    }
  }

  async function titleOf(id) {
    try {
      const answer = await fetch("/api/v1/cases/" + id, { headers: { accept: "application/json" } });
      if (answer.ok) return (await answer.json()).case.title;
    } catch (_) { /* the id stands in */ }
    return id.slice(0, 8);
  }

  function ring(id, what) {
    ringing.set(id, what);
    showRinging();
    flash();
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
      if (!soundOn) { ringing.clear(); showRinging(); }
    });
    bar.appendChild(enable);
  }

  function onEvent(message) {
    let event;
    try { event = JSON.parse(message.data); } catch (_) { return; }
    refreshCounts();
    if (event.type === "request_received" && event.priority !== "routine") {
      ring(event.case, "[" + words[event.priority] + "] " + event.title);
      notify(event);
    }
    // This station's own acknowledgement coming due rings again, whatever page is open.
    if (event.type === "deadline" && !event.passed && event.owed === "ack" && event.target === station
        && event.priority !== "routine") {
      titleOf(event.case).then((what) => ring(event.case, "[" + words.near + "] " + what));
    }
    if (event.type === "case_updated" && event.action === "ack") { ringing.delete(event.case); showRinging(); }
    // A case handed to this officer rings at their desk, whatever its priority: it is theirs now.
    if (event.type === "handed_over" && event.to && event.to.badge === badge) {
      ring(event.case, "[" + words.handedToYou + "] " + event.title);
    }
    const concerns = page === "inbox" || page === "outbox" || page === "dashboard" || (caseId && event.case === caseId);
    if (concerns) refreshMain();
  }

  showPrint();
  setUp();
  const stream = new EventSource("/api/v1/events");
  for (const name of ["request_received", "request_sent", "case_updated", "deadline", "handed_over", "partner"]) {
    stream.addEventListener(name, onEvent);
  }
  body.dataset.live = "on";
})();
