// The webmail client: plain DOM, no framework. Every piece of mail text is
// put into the page with textContent, never as HTML.
"use strict";
let csrf = "", current = "INBOX";
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  if (method === "POST") opts.headers["X-CSRF-Token"] = csrf;
  const res = await fetch(path, opts);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function loggedIn(s) {
  csrf = s.csrf;
  $("who").textContent = s.user;
  $("login").hidden = true;
  $("app").hidden = $("logout").hidden = $("compose-btn").hidden = false;
  loadMailboxes();
}

async function loadMailboxes() {
  const list = await api("GET", "/api/mailboxes");
  const ul = $("mailboxes");
  ul.replaceChildren();
  for (const mb of list) {
    const li = el("li", mb.name + (mb.unseen ? " (" + mb.unseen + ")" : ""), mb.name === current ? "sel" : "");
    li.onclick = () => { current = mb.name; $("q").value = ""; loadMailboxes(); };
    ul.append(li);
  }
  loadMessages();
}

async function loadMessages() {
  const q = $("q").value;
  const msgs = await api("GET", "/api/messages?mailbox=" + encodeURIComponent(current) + (q ? "&q=" + encodeURIComponent(q) : ""));
  const tb = $("messages");
  tb.replaceChildren();
  for (const m of msgs) {
    const tr = el("tr", undefined, m.flags.includes("\\Seen") ? "" : "unseen");
    tr.dataset.uid = m.uid;
    tr.append(el("td", m.from), el("td", m.subject || "(no subject)"), el("td", new Date(m.date).toLocaleString(), "meta"));
    tr.onclick = () => { for (const o of tb.children) o.classList.remove("sel"); tr.classList.add("sel"); tr.classList.remove("unseen"); show(m.uid); };
    tb.append(tr);
  }
}

async function show(uid) {
  $("compose").hidden = true;
  const m = await api("GET", "/api/message?mailbox=" + encodeURIComponent(current) + "&uid=" + uid);
  const div = $("message");
  div.replaceChildren(el("h3", m.subject || "(no subject)"), el("div", "From: " + m.from, "meta"),
    el("div", "To: " + (m.to || ""), "meta"), el("div", "Date: " + new Date(m.date).toLocaleString(), "meta"));
  if (m.cc) div.append(el("div", "Cc: " + m.cc, "meta"));
  if (m.html) div.append(el("p", "(HTML message, shown as source)", "meta"));
  const text = el("pre", m.text);
  text.id = "message-text";
  div.append(text);
  for (const a of m.attachments) div.append(el("div", "Attachment: " + (a.filename || a.type) + " (" + a.size + " octets)", "meta"));
  const reply = el("button", "Reply");
  reply.id = "reply";
  reply.onclick = () => compose(m.from, m.subject.startsWith("Re:") ? m.subject : "Re: " + m.subject);
  div.append(reply);
}

function compose(to, subject) {
  $("message").replaceChildren();
  $("compose").hidden = false;
  $("to").value = to || ""; $("cc").value = ""; $("subject").value = subject || ""; $("text").value = "";
  $("send-status").textContent = "";
}

$("login").onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    loggedIn(await api("POST", "/api/login", { user: $("user").value, password: $("password").value }));
    $("login-error").textContent = "";
  } catch (e) { $("login-error").textContent = e.message; }
};
$("logout").onclick = async () => { await api("POST", "/api/logout", {}); location.reload(); };
$("compose-btn").onclick = () => compose();
$("cancel").onclick = () => { $("compose").hidden = true; };
$("search").onsubmit = (ev) => { ev.preventDefault(); loadMessages(); };
$("compose").onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    await api("POST", "/api/send", { to: $("to").value, cc: $("cc").value, subject: $("subject").value, text: $("text").value });
    $("send-status").textContent = "Sent.";
    loadMailboxes();
  } catch (e) { $("send-status").textContent = e.message; }
};
api("GET", "/api/session").then(loggedIn, () => {});
