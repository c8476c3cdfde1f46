"use strict";
// The canonical JSON must equal Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False).
// Expected texts below were produced by Python; tests/providers/test_fms_node.py also compares whole eventIds.
const test = require("node:test");
const assert = require("node:assert/strict");
const { canonicalJson, eventId, parseExact, pythonFloat, seal } = require("../lib/canonical");

test("keys sorted by code point at every level, no whitespace", () => {
  const text = canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: "x" } });
  assert.equal(text, '{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}');
});

test("characters outside the BMP sort after U+FFxx, as in Python", () => {
  // UTF-16 code units would put U+1F600 (surrogates D83D..) before U+FF5A.
  assert.equal(canonicalJson({ "\u{1F600}": 1, "\uFF5A": 2 }), '{"\uFF5A":2,"\u{1F600}":1}');
});

test("non-ASCII kept, control characters escaped like Python", () => {
  assert.equal(canonicalJson({ s: "Zoë \u2028 \"q\" \\ \n\t\u0001\u007f" }), '{"s":"Zoë \u2028 \\"q\\" \\\\ \\n\\t\\u0001\u007f"}');
});

test("integers stay integers, other numbers are written as Python floats", () => {
  assert.equal(canonicalJson([1, -7, 0, 9007199254740991]), "[1,-7,0,9007199254740991]");
  assert.equal(pythonFloat(0.1), "0.1");
  assert.equal(pythonFloat(1e-5), "1e-05");
  assert.equal(pythonFloat(1e-4), "0.0001");
  assert.equal(pythonFloat(1e16), "1e+16");
  assert.equal(pythonFloat(1.5e16), "1.5e+16");
  assert.equal(pythonFloat(123456789.125), "123456789.125");
  assert.equal(pythonFloat(-2.5e-7), "-2.5e-07");
  assert.equal(pythonFloat(1.7976931348623157e308), "1.7976931348623157e+308");
  assert.equal(canonicalJson(12345678901234567), "1.2345678901234568e+16");
  assert.throws(() => canonicalJson(Number.NaN), TypeError);
});

test("eventId ignores an existing eventId and matches the catalogue's example", () => {
  // schemas/case-created/v1.json examples[0], sealed by the harness in Python.
  const example = {
    eventType: "electronic-monitoring.case-created",
    version: 1,
    occurredAt: "2026-03-30T08:00:40Z",
    publishedAt: "2026-03-30T08:00:41Z",
    description: "Case opened",
    source: "field-monitoring-service",
    personReference: { identifiers: [{ type: "CRN", value: "X123456" }, { type: "NOMS", value: "A1234BC" }] },
    additionalInformation: {
      orderId: "7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01",
      caseId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
      caseState: { name: "NEW", number: 1 },
      createdAt: "2026-03-30T08:00:40Z",
    },
  };
  const expected = "sha256:0bc656d0e42957164b0ee6485ada8e0fd5632dac47b0f51dbcf1303151acc306";
  assert.equal(eventId(example), expected);
  assert.equal(eventId({ ...example, eventId: "sha256:whatever" }), expected);
  const sealed = seal(example);
  assert.equal(sealed.eventId, expected);
  assert.equal(Object.keys(sealed).at(-1), "eventId");
  assert.notEqual(eventId({ ...example, version: 2 }), expected);
});

test("parseExact keeps what Python's json.loads sees: 5.0 is a float, big integers stay exact", () => {
  const doc = parseExact('{"p": 5.0, "q": 5, "r": 1E2, "z": -0.0, "big": 123456789012345678901234567890, "__proto__": [2.50]}');
  assert.equal(canonicalJson(doc), '{"__proto__":[2.5],"big":123456789012345678901234567890,"p":5.0,"q":5,"r":100.0,"z":-0.0}');
  assert.equal(Object.getPrototypeOf(doc), Object.prototype);
  assert.throws(() => parseExact('{"a":1,}'), SyntaxError);
  assert.throws(() => parseExact("[1] 2"), SyntaxError);
  assert.throws(() => parseExact('"\u0001"'), SyntaxError);
});
