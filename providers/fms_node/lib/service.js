"use strict";
/**
 * The field monitoring service's order handling, without a broker: one order-submitted in, the messages to
 * publish out. It mirrors the Python reference (providers/field_monitoring/service.py and
 * providers/messages.py) for the part of the contract it implements:
 * - a new order opens a case: case-created (orderId = the order's order_id, a new caseId of 32 lower-case
 *   hex characters, caseState NEW/1, createdAt), then case-status-returned (approved, no reasons);
 * - an order that needs equipment fitted, for a wearer with no usable address, still opens a case and is
 *   rejected with a reason in section "other";
 * - a second order-submitted with an order_id already held (a resubmission: a different eventId) is
 *   rejected as "duplicate_submission" against the case that holds it, and opens none;
 * - any message delivered again (same eventId, EM's de-duplication id: a redelivery, however late) is
 *   ignored, the resubmission of an order included;
 * - a message it cannot read (no order id, wrong request type, a missing part) is reported and dropped.
 * Every message is an EM envelope: eventType, version 1, occurredAt / publishedAt in UTC to the second with
 * a trailing Z, source, description, the order's personReference copied, the payload in
 * additionalInformation, and eventId sealed from the content.
 * Time: the harness's virtual clock when it sends one (em-harness.sim-clock: `now` is the current time
 * until the next tick, acknowledged on em-harness.sim-clock-ack), the wall clock otherwise.
 */

const { randomBytes } = require("node:crypto");
const { seal } = require("./canonical");

const SOURCE = "field-monitoring-service";
const EVENT_PREFIX = "electronic-monitoring.";
const ORDER_SUBMITTED = `${EVENT_PREFIX}order-submitted`;
const UUID = /^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/;
const DATA_DICTIONARY_VERSIONS = ["DDV4", "DDV5", "DDV6", "DDV7"];
const NON_FITTED = "Location Monitoring (using Non-Fitted Device)";
const MAX_SEEN = 100000;
const CLOCK = "em-harness.sim-clock";
const CLOCK_ACK = "em-harness.sim-clock-ack";
const UTC_SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

class InvalidOrder extends Error {}

/** RFC 3339 in UTC with a trailing Z, to the second (as providers/messages.py utc_text). */
function utcText(moment) {
  return `${moment.toISOString().slice(0, 19)}Z`;
}

/** A ServiceNow-style sys_id: 32 lower-case hex characters. */
function newSysId() {
  return randomBytes(16).toString("hex");
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The personReference of a received message when it has usable identifiers (a deep copy), else null. */
function personReferenceOf(message) {
  const ref = message.personReference;
  if (isObject(ref) && Array.isArray(ref.identifiers) && ref.identifiers.length > 0) {
    return JSON.parse(JSON.stringify(ref));
  }
  return null;
}

/** An EM domain event for `message` (the schema folder name), sealed with its eventId. */
function event(message, payload, { occurredAt, publishedAt, personReference, description }) {
  const body = {
    eventType: EVENT_PREFIX + message,
    version: 1,
    occurredAt: utcText(occurredAt),
    publishedAt: utcText(publishedAt),
    source: SOURCE,
  };
  if (description) body.description = description;
  if (personReference) body.personReference = JSON.parse(JSON.stringify(personReference));
  body.additionalInformation = payload;
  return { eventType: body.eventType, body: seal(body) };
}

function text(data, key, where, allowed) {
  const value = data[key];
  if (typeof value !== "string" || value.length === 0) {
    throw new InvalidOrder(`${where}.${key}: expected a non-empty string, got ${JSON.stringify(value)}`);
  }
  if (allowed && !allowed.includes(value)) {
    throw new InvalidOrder(`${where}.${key}: ${JSON.stringify(value)} is not one of ${allowed.join(", ")}`);
  }
  return value;
}

function part(data, key, where) {
  if (!isObject(data[key])) throw new InvalidOrder(`${where}.${key}: expected an object`);
  return data[key];
}

/** What the supplier needs from a new order; InvalidOrder when it cannot act on it. */
function readOrder(message) {
  if (!isObject(message) || message.eventType !== ORDER_SUBMITTED) {
    throw new InvalidOrder(`expected an ${ORDER_SUBMITTED} message`);
  }
  const where = "order-submitted.additionalInformation";
  if (!isObject(message.additionalInformation)) throw new InvalidOrder(`${where}: expected an object`);
  const p = message.additionalInformation;
  if (typeof p.order_id !== "string" || !UUID.test(p.order_id)) {
    throw new InvalidOrder(`${where}.order_id: expected a UUID, got ${JSON.stringify(p.order_id)}`);
  }
  text(p, "order_request_type", where, ["New Order"]);
  text(p, "data_dictionary_version", where, DATA_DICTIONARY_VERSIONS);
  const wearer = part(p, "device_wearer", where);
  const order = part(p, "monitoring_order", where);
  part(p, "parties", where);
  const conditions = order.enforceable_condition;
  if (!Array.isArray(conditions) || conditions.length === 0 || !conditions.every(isObject)) {
    throw new InvalidOrder(`${where}.monitoring_order.enforceable_condition: expected a list of conditions`);
  }
  return {
    orderId: p.order_id,
    key: p.order_id.toLowerCase(),
    wearer,
    conditions: conditions.map((c) => c.condition),
  };
}

function usableAddress(wearer) {
  if (wearer.no_fixed_address === "true" || wearer.no_fixed_address === "Yes") return false;
  return Boolean(wearer.address_1) && Boolean(wearer.address_post_code);
}

class FieldMonitoringService {
  /**
   * @param {{clock?: () => Date, newId?: () => string}} options a clock and an id source, for tests
   */
  constructor({ clock = null, newId = newSysId } = {}) {
    /** The virtual time set by the harness's last tick (null: the wall clock). */
    this.virtualNow = null;
    this.clock = clock || (() => (this.virtualNow ? new Date(this.virtualNow.getTime()) : new Date()));
    this.newId = newId;
    /** Cases by MoJ order id, lower case. */
    this.cases = new Map();
    /** eventIds of the messages handled, oldest first (a redelivery of any of them is ignored). */
    this.seen = new Set();
  }

  /**
   * One order-submitted in; returns { outgoing: [{eventType, body}], note } where note is a short text for
   * the log (ids only, no personal data).
   */
  onOrderSubmitted(message) {
    let order;
    try {
      order = readOrder(message);
    } catch (error) {
      if (error instanceof InvalidOrder) return { outgoing: [], note: `not usable: ${error.message}` };
      throw error;
    }
    if (typeof message.eventId === "string" && message.eventId) {
      if (this.seen.has(message.eventId)) {
        return { outgoing: [], note: `order ${order.orderId}: redelivery of ${message.eventId}, ignored` };
      }
      this.seen.add(message.eventId);
      if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.values().next().value);
    }
    const existing = this.cases.get(order.key);
    if (existing) {
      const details = `Order ${order.orderId} was already submitted (case ${existing.caseId}).`;
      const reasons = [{ section: "duplicate_submission", details }];
      return {
        outgoing: [this.status(existing, "rejected", reasons, { keep: true })],
        note: `order ${order.orderId}: duplicate of case ${existing.caseId}, rejected`,
      };
    }
    const needsFitting = order.conditions.some((c) => c !== NON_FITTED);
    const reasons = [];
    if (needsFitting && !usableAddress(order.wearer)) {
      reasons.push({
        section: "other",
        details: "No usable address to fit the equipment: the wearer has no fixed address or no address line.",
      });
    }
    const kase = {
      caseId: this.newId(),
      orderId: order.orderId,
      personReference: personReferenceOf(message),
      submittedEventId: message.eventId || null,
      status: "pending",
    };
    this.cases.set(order.key, kase);
    const now = this.clock();
    const created = event(
      "case-created",
      {
        orderId: kase.orderId,
        caseId: kase.caseId,
        caseState: { name: "NEW", number: 1 },
        createdAt: utcText(now),
      },
      {
        occurredAt: now,
        publishedAt: this.clock(),
        personReference: kase.personReference,
        description: "Case opened for the order",
      },
    );
    const status = reasons.length === 0 ? "approved" : "rejected";
    return {
      outgoing: [created, this.status(kase, status, reasons)],
      note: `order ${order.orderId}: case ${kase.caseId} opened, ${status}`,
    };
  }

  /**
   * em-harness.sim-clock: take the tick's `now` as the current time and acknowledge it. Returns
   * { outgoing, note } like onOrderSubmitted; nothing when the tick is unreadable.
   */
  onClock(message) {
    const now = isObject(message) ? message.now : undefined;
    if (typeof now !== "string" || !UTC_SECOND.test(now) || Number.isNaN(Date.parse(now))) {
      return { outgoing: [], note: "clock tick without a usable now, ignored" };
    }
    this.virtualNow = new Date(Date.parse(now));
    return {
      outgoing: [{ eventType: CLOCK_ACK, body: { eventType: CLOCK_ACK, provider: SOURCE, now } }],
      note: `virtual clock at ${now}`,
    };
  }

  /** case-status-returned; `keep` reports on the case without changing its own status (duplicates). */
  status(kase, status, reasons, { keep = false } = {}) {
    if (!keep) kase.status = status;
    const now = this.clock();
    return event(
      "case-status-returned",
      {
        caseId: kase.caseId,
        orderId: kase.orderId,
        status,
        reasons: reasons || [],
        datetimeOfStatusChange: utcText(now),
      },
      { occurredAt: now, publishedAt: this.clock(), personReference: kase.personReference, description: `Case ${status}` },
    );
  }
}

module.exports = {
  CLOCK,
  CLOCK_ACK,
  EVENT_PREFIX,
  FieldMonitoringService,
  InvalidOrder,
  ORDER_SUBMITTED,
  SOURCE,
  event,
  newSysId,
  personReferenceOf,
  readOrder,
  utcText,
};
