"use strict";
/**
 * The EM envelope's de-duplication id, computed exactly as the catalogue defines it
 * (harness/catalogue/envelope.py): eventId = "sha256:" + hex SHA-256 of the canonical JSON of the message
 * without eventId. Canonical means what Python's
 *   json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
 * produces, byte for byte, so a message sealed here and one sealed by the harness agree:
 * - object keys sorted by Unicode code point at every level (JavaScript's default sort compares UTF-16
 *   code units, which orders characters outside the Basic Multilingual Plane differently);
 * - no whitespace; strings escaped as JSON.stringify does (the same escapes as Python for well-formed text),
 *   non-ASCII characters kept as they are, the whole encoded as UTF-8;
 * - numbers: a JavaScript number that is a safe integer is written as an integer ("integers stay
 *   integers"); any other number is written as Python writes a float (repr: shortest round-trip digits,
 *   "1e-05", "1e+16", "0.5"); a BigInt as an integer.
 * JSON.parse forgets whether a number was written 5 or 5.0, but Python does not: 5.0 is a float and hashes
 * as "5.0". The messages this supplier builds hold integers only, so plain objects are enough for them. To
 * hash a message received as text (one with "precision": 5.0, say), parse it with parseExact(), which keeps
 * floats as PyFloat and large integers as BigInt, exactly as Python's json.loads would.
 */

const { createHash } = require("node:crypto");

/** -1, 0 or 1: a before b by Unicode code point (Python's str ordering). */
function compareCodePoints(a, b) {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(j);
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  if (i < a.length) return 1;
  if (j < b.length) return -1;
  return 0;
}

/** A float as Python's repr() writes it, from JavaScript's shortest round-trip digits. */
function pythonFloat(x) {
  if (!Number.isFinite(x)) {
    throw new TypeError(`${x} has no JSON form`);
  }
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const [mantissa, exponentText] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exponent = Number.parseInt(exponentText, 10);
  const point = exponent + 1; // the value is 0.<digits> x 10^point
  if (point <= -4 || point > 16) {
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = String(Math.abs(exponent)).padStart(2, "0");
    return `${sign}${head}e${exponent < 0 ? "-" : "+"}${e}`;
  }
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** A JSON number that Python reads as a float (it was written with a fraction or an exponent). */
class PyFloat {
  constructor(value) {
    this.value = value;
  }
}

function number(x) {
  if (Number.isSafeInteger(x)) return String(x === 0 ? 0 : x);
  return pythonFloat(x);
}

/** The canonical JSON text of a value (see the module comment). */
function canonicalJson(value) {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return number(value);
    case "bigint":
      return value.toString();
    case "string":
      return JSON.stringify(value);
    case "object": {
      if (value instanceof PyFloat) return pythonFloat(value.value);
      if (Array.isArray(value)) {
        return `[${value.map((item) => (item === undefined ? "null" : canonicalJson(item))).join(",")}]`;
      }
      const keys = Object.keys(value)
        .filter((k) => value[k] !== undefined)
        .sort(compareCodePoints);
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
    }
    default:
      throw new TypeError(`a ${typeof value} has no JSON form`);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const SPACE = /[ \t\n\r]*/y;

/**
 * JSON text to values the way Python's json.loads sees them: a number with a fraction or an exponent
 * becomes a PyFloat, an integer outside the safe range a BigInt; everything else as JSON.parse gives it.
 */
function parseExact(text) {
  let at = 0;
  const fail = (what) => {
    throw new SyntaxError(`JSON: ${what} at offset ${at}`);
  };
  const skip = () => {
    SPACE.lastIndex = at;
    SPACE.exec(text);
    at = SPACE.lastIndex;
  };
  const match = (re) => {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m) at = re.lastIndex;
    return m;
  };
  const value = () => {
    skip();
    const c = text[at];
    if (c === "{") {
      at += 1;
      const obj = {};
      skip();
      if (text[at] === "}") {
        at += 1;
        return obj;
      }
      for (;;) {
        skip();
        const key = match(STRING) || fail("expected a string key");
        skip();
        if (text[at] !== ":") fail("expected ':'");
        at += 1;
        // defineProperty: a "__proto__" key is data, as in JSON.parse
        Object.defineProperty(obj, JSON.parse(key[0]), {
          value: value(),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        skip();
        if (text[at] === ",") at += 1;
        else if (text[at] === "}") {
          at += 1;
          return obj;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      at += 1;
      const list = [];
      skip();
      if (text[at] === "]") {
        at += 1;
        return list;
      }
      for (;;) {
        list.push(value());
        skip();
        if (text[at] === ",") at += 1;
        else if (text[at] === "]") {
          at += 1;
          return list;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return JSON.parse((match(STRING) || fail("bad string"))[0]);
    for (const [word, result] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return result;
      }
    }
    const m = match(NUMBER) || fail("unexpected character");
    if (m[1] !== undefined || m[2] !== undefined) return new PyFloat(Number(m[0]));
    const n = Number(m[0]);
    return Number.isSafeInteger(n) ? n : BigInt(m[0]);
  };
  const result = value();
  skip();
  if (at !== text.length) fail("unexpected text after the value");
  return result;
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

module.exports = { PyFloat, canonicalJson, canonicalBytes, compareCodePoints, eventId, parseExact, pythonFloat, seal };
