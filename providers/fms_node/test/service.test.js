"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { eventId } = require("../lib/canonical");
const { FieldMonitoringService } = require("../lib/service");

const AT = new Date("2026-04-01T08:30:15.678Z");

function order(overrides = {}) {
  const wearer = {
    first_name: "Alice",
    last_name: "Example",
    address_1: "1 Test Street",
    address_post_code: "ZZ1 1ZZ",
    no_fixed_address: "false",
    ...(overrides.wearer || {}),
  };
  const body = {
    eventType: "electronic-monitoring.order-submitted",
    version: 1,
    occurredAt: "2026-03-30T08:00:00Z",
    source: "cemo",
    personReference: { identifiers: [{ type: "CRN", value: "X123456" }] },
    additionalInformation: {
      order_id: overrides.orderId || "7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01",
      order_request_type: "New Order",
      data_dictionary_version: "DDV6",
      device_wearer: wearer,
      monitoring_order: { order_type: "Post Release", enforceable_condition: [{ condition: "Curfew with EM" }] },
      parties: { notifying_organization: "Prison" },
    },
  };
  body.eventId = eventId(body);
  return body;
}

function service() {
  let n = 0;
  return new FieldMonitoringService({ clock: () => AT, newId: () => String(++n).padStart(32, "a") });
}

test("a new order: case-created then case-status-returned approved, sealed, correlated", () => {
  const { outgoing } = service().onOrderSubmitted(order());
  assert.deepEqual(
    outgoing.map((o) => o.eventType),
    ["electronic-monitoring.case-created", "electronic-monitoring.case-status-returned"],
  );
  const [created, status] = outgoing.map((o) => o.body);
  assert.deepEqual(created.additionalInformation, {
    orderId: "7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01",
    caseId: "a".repeat(31) + "1",
    caseState: { name: "NEW", number: 1 },
    createdAt: "2026-04-01T08:30:15Z",
  });
  assert.equal(created.occurredAt, "2026-04-01T08:30:15Z");
  assert.equal(created.source, "field-monitoring-service");
  assert.equal(created.version, 1);
  assert.deepEqual(created.personReference, { identifiers: [{ type: "CRN", value: "X123456" }] });
  assert.equal(status.additionalInformation.status, "approved");
  assert.deepEqual(status.additionalInformation.reasons, []);
  assert.equal(status.additionalInformation.caseId, created.additionalInformation.caseId);
  for (const body of [created, status]) assert.equal(body.eventId, eventId(body));
});

test("a resubmitted order_id is rejected as a duplicate; a redelivery is ignored", () => {
  const fms = service();
  const first = order();
  fms.onOrderSubmitted(first);
  assert.deepEqual(fms.onOrderSubmitted(first).outgoing, []);
  const again = order();
  again.description = "Order resubmitted";
  again.eventId = eventId(again);
  const { outgoing } = fms.onOrderSubmitted(again);
  assert.equal(outgoing.length, 1);
  const info = outgoing[0].body.additionalInformation;
  assert.equal(info.status, "rejected");
  assert.equal(info.caseId, "a".repeat(31) + "1");
  assert.equal(info.reasons[0].section, "duplicate_submission");
});

test("no usable address for a fitting: the case opens and is rejected with section other", () => {
  const { outgoing } = service().onOrderSubmitted(order({ wearer: { no_fixed_address: "true", address_1: null } }));
  assert.equal(outgoing.length, 2);
  const info = outgoing[1].body.additionalInformation;
  assert.equal(info.status, "rejected");
  assert.equal(info.reasons[0].section, "other");
  assert.ok(info.reasons[0].details.length > 0);
});

test("an unreadable order is dropped with a note", () => {
  const bad = order({ orderId: "not-a-uuid" });
  const result = service().onOrderSubmitted(bad);
  assert.deepEqual(result.outgoing, []);
  assert.match(result.note, /order_id: expected a UUID/);
  assert.deepEqual(service().onOrderSubmitted({ eventType: "something-else" }).outgoing, []);
  assert.deepEqual(service().onOrderSubmitted([1, 2]).outgoing, []);
});

test("the virtual clock: a tick sets the time of every message after it, and is acknowledged", () => {
  const fms = new FieldMonitoringService();
  const tick = fms.onClock({ eventType: "em-harness.sim-clock", eventId: "sha256:x", now: "2026-06-20T17:00:00Z" });
  assert.deepEqual(tick.outgoing, [
    {
      eventType: "em-harness.sim-clock-ack",
      body: { eventType: "em-harness.sim-clock-ack", provider: "field-monitoring-service", now: "2026-06-20T17:00:00Z" },
    },
  ]);
  const { outgoing } = fms.onOrderSubmitted(order());
  for (const out of outgoing) {
    assert.equal(out.body.occurredAt, "2026-06-20T17:00:00Z");
    assert.equal(out.body.publishedAt, "2026-06-20T17:00:00Z");
  }
  assert.equal(outgoing[0].body.additionalInformation.createdAt, "2026-06-20T17:00:00Z");
  assert.deepEqual(fms.onClock({ now: "yesterday" }).outgoing, []);
});
