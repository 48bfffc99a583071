// The workspace's script: makes passkeys, signs in, and signs every command in the page.
//
// A command is signed as `reformctl` signs it: the bytes are the domain tag
// "par-request-v1\n", the endpoint ("par.cmd.<service>"), "\n" and the request's JSON; the
// passkey's challenge is their SHA-256. The server relays the signed bytes and can change
// nothing in them.
"use strict";

const b64u = {
  enc(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = "";
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
  dec(text) {
    const plain = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(plain, (c) => c.charCodeAt(0));
  },
};

const workspace = document.getElementById("workspace");
const config = workspace ? workspace.dataset : {};
const langQuery = config.lang === "en" ? "?lang=en" : "";

async function post(path, body) {
  const response = await fetch(path + langQuery, {
    method: "POST",
    headers: { "content-type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify(body),
  });
  try {
    return await response.json();
  } catch (e) {
    return { ok: false, message: response.status + " " + response.statusText };
  }
}

// The answer, and for a recorded command the link to its receipt (c2sp.org/tlog-proof), which
// the gateway gives the person who signed it once the log's checkpoint covers it.
function say(element, ok, text, receipt) {
  element.textContent = text;
  element.className = ok ? "outcome ok" : "outcome failed";
  element.hidden = false;
  if (ok && receipt) {
    const link = document.createElement("a");
    link.className = "receipt";
    link.href = receipt;
    link.download = "";
    link.textContent = config.msgReceipt;
    element.append(" ", link);
  }
}

function newId(prefix) {
  return prefix + "-" + hexOf(crypto.getRandomValues(new Uint8Array(8)));
}

function assertionParts(credential) {
  return {
    authenticator_data: b64u.enc(credential.response.authenticatorData),
    client_data_json: b64u.enc(credential.response.clientDataJSON),
    signature: b64u.enc(credential.response.signature),
  };
}

// Signs `requestBytes` for `endpoint` with the passkey `credentialId`.
async function signRequest(endpoint, requestBytes, credentialId) {
  const prefix = new TextEncoder().encode("par-request-v1\n" + endpoint + "\n");
  const message = new Uint8Array(prefix.length + requestBytes.length);
  message.set(prefix);
  message.set(requestBytes, prefix.length);
  const challenge = await crypto.subtle.digest("SHA-256", message);
  const credential = await navigator.credentials.get({
    publicKey: {
      challenge,
      rpId: config.rpId,
      allowCredentials: [{ type: "public-key", id: b64u.dec(credentialId) }],
      userVerification: "preferred",
      timeout: 120000,
    },
  });
  return assertionParts(credential);
}

// Builds, signs and relays one command; the service's answer.
async function send(service, key, credentialId, command) {
  const request = JSON.stringify({ command_id: newId("web"), actor: config.person, command });
  const bytes = new TextEncoder().encode(request);
  const assertion = await signRequest("par.cmd." + service, bytes, credentialId);
  return post("/relay", { service, request: b64u.enc(bytes), key, assertion });
}

// What a person typed that is no command's field (a day that is no day): said as it is.
class Unreadable extends Error {}

// A day as the person typed it (day/month/year, as Vietnamese write it, or YYYY-MM-DD), as the
// command's YYYY-MM-DD. What is no day (31/02, a month first) is said, never taken as another.
function isoDate(text) {
  let y, mo, d;
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const typed = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  if (iso) [y, mo, d] = [+iso[1], +iso[2], +iso[3]];
  else if (typed) [d, mo, y] = [+typed[1], +typed[2], +typed[3]];
  const day = y && new Date(0);
  // setUTCFullYear, unlike Date.UTC, takes the years 0001 to 0099 as they are.
  if (day) day.setUTCFullYear(y, mo - 1, d);
  if (!day || day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) {
    throw new Unreadable("\u201c" + text + "\u201d " + config.msgDate);
  }
  const two = (n) => String(n).padStart(2, "0");
  return String(y).padStart(4, "0") + "-" + two(mo) + "-" + two(d);
}

function failed(element, error) {
  if (error instanceof Unreadable) return say(element, false, error.message);
  const cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
  say(element, false, cancelled ? config.msgCancelled : config.msgNoPasskey + " (" + error + ")");
}

async function enrol(form, outcome) {
  const code = form.elements.code.value.trim();
  const created = await navigator.credentials.create({
    publicKey: {
      rp: { id: config.rpId, name: "CCHC" },
      user: {
        id: new TextEncoder().encode(config.person),
        name: config.person,
        displayName: config.name,
      },
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      pubKeyCredParams: [
        { type: "public-key", alg: -7 },
        { type: "public-key", alg: -8 },
      ],
      authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
      attestation: "none",
      timeout: 120000,
    },
  });
  const made = await post("/enrol/key", {
    attestation_object: b64u.enc(created.response.attestationObject),
  });
  if (!made.ok) return say(outcome, false, made.message);
  const command = { type: "enrol-passkey", person: config.person, code, key: made.key };
  const answer = await send("directory", made.key, made.credential_id, command);
  say(outcome, answer.ok, answer.message);
  if (answer.ok) document.getElementById("next").hidden = false;
}

async function signIn(outcome) {
  const asked = await post("/sign-in/challenge", {});
  if (!asked.ok) return say(outcome, false, asked.message);
  const credential = await navigator.credentials.get({
    publicKey: {
      challenge: b64u.dec(asked.challenge),
      rpId: asked.rp_id,
      userVerification: "preferred",
      timeout: 120000,
    },
  });
  const answer = await post("/sign-in", {
    nonce: asked.nonce,
    credential_id: b64u.enc(credential.rawId),
    assertion: assertionParts(credential),
  });
  say(outcome, answer.ok, answer.message);
  if (answer.ok) window.location.assign("/work" + langQuery);
}

function hexOf(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

// Attaches a document: its SHA-256 computed here, its bytes staged through /upload, and the
// attach command (naming the digest, the size and the upload) signed and relayed.
async function attach(form, outcome) {
  // Read before anything is sent: a day mistyped stages no file.
  const documentDate = isoDate(form.elements.document_date.value.trim());
  const file = form.elements.file.files[0];
  const bytes = new Uint8Array(await file.arrayBuffer());
  const sha256 = hexOf(await crypto.subtle.digest("SHA-256", bytes));
  const staged = await fetch("/upload" + langQuery, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", "x-par-sha256": sha256 },
    credentials: "same-origin",
    body: bytes,
  }).then((r) => r.json());
  if (!staged.ok) return say(outcome, false, staged.message);
  const task = form.elements.task;
  const command = {
    type: "attach",
    evidence: "ev-" + sha256.slice(0, 16),
    unit: task.selectedOptions[0].dataset.unit,
    task: task.value,
    title: form.elements.title.value.trim(),
    document_number: form.elements.document_number.value.trim(),
    document_date: documentDate,
    sha256,
    size_bytes: bytes.length,
    media_type: file.type || "application/octet-stream",
    upload: staged.upload,
  };
  const answer = await send("evidence", config.key, config.credential, command);
  say(outcome, answer.ok, answer.message, answer.receipt);
  if (answer.ok) form.reset();
}

// A form's fields as a command: `data-command` is its type, each named field its value
// (empty ones left out), each name in `data-new-id` a fresh id. A number field
// (`data-number`) is a JSON number; a day (`data-date`) is YYYY-MM-DD; points (`data-points`) are text with a decimal point, as a
// person may type a comma; checked boxes of one name are a list.
function commandOf(form) {
  const command = { type: form.dataset.command };
  for (const name of (form.dataset.newId || "").split(" ")) {
    if (name) command[name] = newId("web");
  }
  for (const field of form.elements) {
    if (!field.name) continue;
    if (field.type === "checkbox") {
      if (field.checked) (command[field.name] = command[field.name] || []).push(field.value);
      continue;
    }
    const value = field.value.trim();
    if (value === "") continue;
    if (field.dataset.number) command[field.name] = Number(value);
    else if (field.dataset.date !== undefined) command[field.name] = isoDate(value);
    else if (field.dataset.points) command[field.name] = value.replace(",", ".");
    else command[field.name] = value;
  }
  return command;
}

function wire() {
  const enrolForm = document.getElementById("enrol");
  if (enrolForm) {
    const outcome = document.getElementById("outcome");
    enrolForm.addEventListener("submit", (event) => {
      event.preventDefault();
      enrol(enrolForm, outcome).catch((e) => failed(outcome, e));
    });
  }
  const signInButton = document.getElementById("sign-in");
  if (signInButton) {
    const outcome = document.getElementById("outcome");
    signInButton.addEventListener("click", () => signIn(outcome).catch((e) => failed(outcome, e)));
  }
  const attachForm = document.getElementById("attach");
  if (attachForm) {
    const outcome = attachForm.querySelector(".outcome");
    attachForm.addEventListener("submit", (event) => {
      event.preventDefault();
      attach(attachForm, outcome).catch((e) => failed(outcome, e));
    });
  }
  for (const form of document.querySelectorAll("form.command")) {
    const outcome = form.querySelector(".outcome");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      let command;
      try {
        command = commandOf(form);
      } catch (e) {
        return failed(outcome, e);
      }
      send(form.dataset.service, config.key, config.credential, command)
        .then((answer) => {
          say(outcome, answer.ok, answer.message, answer.receipt);
          if (answer.ok) form.reset();
        })
        .catch((e) => failed(outcome, e));
    });
  }
}

if (!window.PublicKeyCredential) {
  const outcome = document.getElementById("outcome") || document.querySelector(".outcome");
  if (outcome) say(outcome, false, config.msgNoPasskey);
} else {
  wire();
}
