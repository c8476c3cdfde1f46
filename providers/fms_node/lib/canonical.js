"use strict";
/**
 * The EM envelope's de-duplication id, as the contract defines it: eventId = "sha256:" + the hex SHA-256
 * of the message without eventId, in the JSON Canonicalization Scheme (RFC 8785, JCS), encoded as UTF-8.
 * JCS is a standard with maintained implementations in every language; this supplier uses the npm package
 * `canonicalize`, the harness uses `rfc8785` from PyPI, and both give the same bytes: keys sorted by UTF-16
 * code units, ECMAScript number formatting (5.0 is written 5), JSON string escaping, no whitespace.
 */

const { createHash } = require("node:crypto");
const canonicalize = require("canonicalize");

/** The canonical JSON text of a value (RFC 8785). */
function canonicalJson(value) {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("the value has no JSON form");
  return text;
}

/** The canonical bytes of a message for hashing: without eventId. */
function canonicalBytes(message) {
  const body = { ...message };
  delete body.eventId;
  return Buffer.from(canonicalJson(body), "utf8");
}

/** "sha256:<hex>" of the canonical message. */
function eventId(message) {
  return `sha256:${createHash("sha256").update(canonicalBytes(message)).digest("hex")}`;
}

/** A copy of the message with its eventId set from its content (eventId last, as the catalogue's examples). */
function seal(message) {
  const sealed = { ...message };
  delete sealed.eventId;
  sealed.eventId = eventId(message);
  return sealed;
}

module.exports = { canonicalJson, canonicalBytes, eventId, seal };
