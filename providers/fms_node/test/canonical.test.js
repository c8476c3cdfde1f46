"use strict";
// The canonical form is RFC 8785 (JCS); tests/providers/test_fms_node.py also compares whole eventIds with
// the harness's (Python's rfc8785) on every catalogue example and on awkward documents.
const test = require("node:test");
const assert = require("node:assert/strict");
const { canonicalJson, eventId, seal } = require("../lib/canonical");

test("keys sorted at every level, no whitespace", () => {
  const text = canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: "x" } });
  assert.equal(text, '{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}');
});

test("RFC 8785 number formatting: 5.0 is 5, shortest round trip, exponents as ECMAScript writes them", () => {
  assert.equal(canonicalJson([5.0, -0, 0.1, 1e-7, 1e21, 123456789.125]), "[5,0,0.1,1e-7,1e+21,123456789.125]");
  assert.throws(() => canonicalJson(Number.NaN));
});

test("keys sorted by UTF-16 code units (RFC 8785 3.2.3)", () => {
  assert.equal(canonicalJson({ "\uFF5A": 2, "\u{1F600}": 1 }), '{"\u{1F600}":1,"\uFF5A":2}');
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
