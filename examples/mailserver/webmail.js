// The webmail client: plain DOM, no framework. Every piece of mail text is
// put into the page with textContent, never as HTML. An HTML body comes
// from the server sanitised, as a whole document with its own CSP, and is
// shown in an iframe sandboxed without allow-scripts.
"use strict";
let csrf = "", current = "INBOX", offset = 0, mailboxes = [], replying = null;
const pageSize = 50;
const maxAttach = 18 << 20; // files, before base64 (the server takes 25 MiB of JSON)
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

function button(text, onclick, id) {
  const b = el("button", text);
  b.type = "button";
  b.onclick = onclick;
  if (id) b.id = id;
  return b;
}

function loggedIn(s) {
  csrf = s.csrf;
  $("who").textContent = s.user;
  $("login").hidden = true;
  $("app").hidden = $("logout").hidden = $("compose-btn").hidden = false;
  loadMailboxes();
}

async function loadMailboxes() {
  mailboxes = await api("GET", "/api/mailboxes");
  const ul = $("mailboxes");
  ul.replaceChildren();
  for (const mb of mailboxes) {
    const li = el("li", mb.name + (mb.unseen ? " (" + mb.unseen + ")" : ""), mb.name === current ? "sel" : "");
    li.onclick = () => { current = mb.name; offset = 0; $("q").value = ""; $("message").replaceChildren(); loadMailboxes(); };
    ul.append(li);
  }
  loadMessages();
}

async function loadMessages() {
  const q = $("q").value;
  const page = await api("GET", "/api/messages?mailbox=" + encodeURIComponent(current) +
    (q ? "&q=" + encodeURIComponent(q) : "") + "&offset=" + offset + "&limit=" + pageSize);
  if (page.messages.length === 0 && offset > 0 && page.total > 0) {
    offset = Math.max(0, page.total - pageSize); // the page emptied: show the last one
    return loadMessages();
  }
  const tb = $("messages");
  tb.replaceChildren();
  for (const m of page.messages) {
    const tr = el("tr", undefined, m.flags.includes("\\Seen") ? "" : "unseen");
    tr.dataset.uid = m.uid;
    tr.append(el("td", m.flags.includes("\\Flagged") ? "\u2605" : "", "star"), el("td", m.from),
      el("td", m.subject || "(no subject)"), el("td", new Date(m.date).toLocaleString(), "meta"));
    tr.onclick = () => { for (const o of tb.children) o.classList.remove("sel"); tr.classList.add("sel"); tr.classList.remove("unseen"); show(m.uid); };
    tb.append(tr);
  }
  $("range").textContent = page.total === 0 ? "no messages" :
    (offset + 1) + "\u2013" + (offset + page.messages.length) + " of " + page.total;
  $("prev").disabled = offset === 0;
  $("next").disabled = offset + page.messages.length >= page.total;
}

function attachmentURL(uid, part) {
  return "/api/attachment?mailbox=" + encodeURIComponent(current) + "&uid=" + uid + "&part=" + encodeURIComponent(part);
}

async function act(path, body) {
  try {
    await api("POST", path, body);
  } catch (e) {
    alert(e.message);
  }
  loadMailboxes();
}

async function show(uid, remote) {
  $("compose").hidden = true;
  const m = await api("GET", "/api/message?mailbox=" + encodeURIComponent(current) + "&uid=" + uid + (remote ? "&remote=1" : ""));
  const div = $("message");
  div.replaceChildren(el("h3", m.subject || "(no subject)"), el("div", "From: " + m.from, "meta"),
    el("div", "To: " + (m.to || ""), "meta"), el("div", "Date: " + new Date(m.date).toLocaleString(), "meta"));
  if (m.cc) div.append(el("div", "Cc: " + m.cc, "meta"));

  const bar = el("p", undefined, "toolbar");
  const reply = button("Reply", () => {
    replying = { in_reply_to: m.message_id || "", references: m.references || [] };
    compose(m.from, m.subject.startsWith("Re:") ? m.subject : "Re: " + m.subject);
  }, "reply");
  const flagged = m.flags.includes("\\Flagged");
  const sel = { mailbox: current, uids: [uid] };
  const move = el("select");
  move.id = "move-to";
  move.append(el("option", "Move to\u2026"));
  for (const mb of mailboxes) if (mb.name !== current) move.append(el("option", mb.name));
  move.onchange = () => { if (move.selectedIndex > 0) { div.replaceChildren(); act("/api/move", { ...sel, to: move.value }); } };
  bar.append(reply, " ",
    button(flagged ? "Unflag" : "Flag", async () => { await act("/api/flag", { ...sel, flag: "\\Flagged", set: !flagged }); show(uid, remote); }, "flag"), " ",
    button("Mark unread", () => { div.replaceChildren(); act("/api/flag", { ...sel, flag: "\\Seen", set: false }); }, "unread"), " ",
    move, " ",
    button("Delete", () => { div.replaceChildren(); act("/api/delete", sel); }, "delete"));
  div.append(bar);

  const text = el("pre", m.text);
  text.id = "message-text";
  if (m.html) {
    if (m.remote_blocked) {
      const note = el("p", m.remote_blocked + " remote image(s) not loaded. ", "meta");
      note.append(button("Show remote content", () => show(uid, true), "show-remote"));
      div.append(note);
    }
    const frame = document.createElement("iframe");
    frame.id = "message-html";
    frame.title = "message";
    // No allow-scripts: nothing in the message runs. allow-same-origin lets
    // its cid: images load with the session cookie and the page measure its
    // height; links open outside the frame (target=_blank, set by the server).
    frame.setAttribute("sandbox", "allow-same-origin allow-popups allow-popups-to-escape-sandbox");
    frame.setAttribute("referrerpolicy", "no-referrer");
    frame.onload = () => {
      const d = frame.contentDocument;
      if (d && d.documentElement) frame.style.height = (d.documentElement.scrollHeight + 20) + "px";
    };
    frame.srcdoc = m.html;
    div.append(frame);
    if (m.text) {
      text.hidden = true;
      div.append(button("Plain text", () => { text.hidden = !text.hidden; frame.hidden = !text.hidden; }, "toggle-text"));
    }
    div.append(text);
  } else {
    div.append(text);
  }
  if (m.truncated) div.append(el("p", "(message cut short)", "meta"));
  for (const a of m.attachments) {
    const p = el("div", undefined, "attachment");
    const link = el("a", a.filename || a.type);
    link.href = attachmentURL(uid, a.part);
    link.download = a.filename || "";
    p.append("Attachment: ", link, " (" + a.type + ", " + a.size + " octets)");
    div.append(p);
  }
}

function compose(to, subject) {
  $("message").replaceChildren();
  $("compose").hidden = false;
  $("to").value = to || ""; $("cc").value = ""; $("bcc").value = ""; $("subject").value = subject || ""; $("text").value = "";
  $("files").value = "";
  $("send-status").textContent = "";
}

function readFile(f) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve({ filename: f.name, type: f.type, data: r.result.slice(r.result.indexOf(",") + 1) });
    r.onerror = () => reject(r.error);
    r.readAsDataURL(f);
  });
}

$("login").onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    loggedIn(await api("POST", "/api/login", { user: $("user").value, password: $("password").value }));
    $("login-error").textContent = "";
  } catch (e) { $("login-error").textContent = e.message; }
};
$("logout").onclick = async () => { await api("POST", "/api/logout", {}); location.reload(); };
$("compose-btn").onclick = () => { replying = null; compose(); };
$("cancel").onclick = () => { $("compose").hidden = true; };
$("search").onsubmit = (ev) => { ev.preventDefault(); offset = 0; loadMessages(); };
$("prev").onclick = () => { offset = Math.max(0, offset - pageSize); loadMessages(); };
$("next").onclick = () => { offset += pageSize; loadMessages(); };
$("compose").onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    const files = [...$("files").files];
    if (files.reduce((n, f) => n + f.size, 0) > maxAttach) throw new Error("attachments too large");
    const body = { to: $("to").value, cc: $("cc").value, bcc: $("bcc").value, subject: $("subject").value, text: $("text").value };
    if (files.length) body.attachments = await Promise.all(files.map(readFile));
    if (replying && replying.in_reply_to) Object.assign(body, replying);
    await api("POST", "/api/send", body);
    $("send-status").textContent = "Sent.";
    replying = null;
    loadMailboxes();
  } catch (e) { $("send-status").textContent = e.message; }
};
api("GET", "/api/session").then(loggedIn, () => {});
