#!/usr/bin/env node
"use strict";
/**
 * A reference field monitoring service in JavaScript, on NATS: proof that a supplier written in any
 * language can be verified with `em-harness verify --bus nats://... --supplier-cmd "node providers/fms_node/index.js"`.
 *
 * Environment (set by the harness when it starts the supplier):
 *   EM_BUS_URL         nats://[user:password@]host:port (default nats://127.0.0.1:4222)
 *   EM_CHANNEL_PREFIX  prepended to every subject, so parallel runs never meet (may be empty)
 *
 * It subscribes to <prefix>electronic-monitoring.order-submitted and to the harness's virtual clock
 * <prefix>em-harness.sim-clock (each tick is acknowledged on <prefix>em-harness.sim-clock-ack), then announces itself on
 * <prefix>em-harness.ready; for each order it publishes case-created and case-status-returned on
 * <prefix><eventType> with the headers eventType and content-type. SIGTERM or SIGINT drains the connection
 * (what was received is answered, what was published is flushed) and exits 0.
 * Exit 2: the bus URL is unusable or the broker cannot be reached (one line on stderr).
 */

const { connect, headers } = require("nats");
const { CLOCK, FieldMonitoringService, ORDER_SUBMITTED, SOURCE } = require("./lib/service");

const READY = "em-harness.ready";
const DEFAULT_URL = "nats://127.0.0.1:4222";

function log(line) {
  process.stdout.write(`fms-node: ${line}\n`);
}

function fail(line) {
  process.stderr.write(`fms-node: ${line}\n`);
  process.exit(2);
}

/** Connection options for a nats:// URL; null when the URL is not one. */
function natsOptions(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "nats:" || !parsed.hostname) return null;
  const options = { servers: `${parsed.hostname}:${parsed.port || 4222}`, name: `${SOURCE} (node)` };
  if (parsed.username && parsed.password) {
    options.user = decodeURIComponent(parsed.username);
    options.pass = decodeURIComponent(parsed.password);
  } else if (parsed.username) {
    options.token = decodeURIComponent(parsed.username);
  }
  return options;
}

/** The URL with any credentials hidden, for log lines. */
function shown(url) {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

async function main() {
  const url = process.env.EM_BUS_URL || DEFAULT_URL;
  const prefix = process.env.EM_CHANNEL_PREFIX || "";
  const options = natsOptions(url);
  if (options === null) {
    fail(`EM_BUS_URL ${JSON.stringify(shown(url))} is not a nats://host:port URL; this supplier speaks NATS only`);
  }

  let nc;
  try {
    nc = await connect({ ...options, maxReconnectAttempts: 10, reconnectTimeWait: 500 });
  } catch (error) {
    fail(`cannot connect to ${shown(url)} (${error.code || error.message}); start NATS there or set EM_BUS_URL`);
  }

  const service = new FieldMonitoringService();
  const subject = prefix + ORDER_SUBMITTED;
  const subscription = nc.subscribe(subject);
  const clockSubject = prefix + CLOCK;
  const clock = nc.subscribe(clockSubject);
  await nc.flush(); // the server has the subscriptions before anyone is told we are ready

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: draining the connection`);
    try {
      await nc.drain();
    } catch (error) {
      log(`drain failed: ${error.message}`);
    }
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  const publish = (eventType, body) => {
    const h = headers();
    h.set("eventType", eventType);
    h.set("content-type", "application/json");
    nc.publish(prefix + eventType, Buffer.from(JSON.stringify(body), "utf8"), { headers: h });
  };

  const ticks = (async () => {
    for await (const m of clock) {
      let tick;
      try {
        tick = JSON.parse(Buffer.from(m.data).toString("utf8"));
      } catch {
        log(`<- ${m.subject}: not JSON, ignored`);
        continue;
      }
      const result = service.onClock(tick);
      log(`<- ${m.subject}: ${result.note}`);
      for (const out of result.outgoing) publish(out.eventType, out.body);
    }
  })();

  publish(READY, { provider: SOURCE, pid: process.pid, subscribed: [subject, clockSubject] });
  log(`ready on ${shown(url)}: subscribed to ${subject}`);

  const done = (async () => {
    for await (const m of subscription) {
      let message;
      try {
        message = JSON.parse(Buffer.from(m.data).toString("utf8"));
      } catch {
        log(`<- ${m.subject}: not JSON, ignored`);
        continue;
      }
      let result;
      try {
        result = service.onOrderSubmitted(message);
      } catch (error) {
        log(`<- ${m.subject}: could not handle ${message && message.eventId}: ${error.message}`);
        continue;
      }
      log(`<- ${m.subject} ${(message && message.eventId) || "(no eventId)"}: ${result.note}`);
      for (const out of result.outgoing) {
        publish(out.eventType, out.body);
        const info = out.body.additionalInformation;
        const extra = info.status ? ` status=${info.status}` : "";
        log(`-> ${prefix}${out.eventType} caseId=${info.caseId} orderId=${info.orderId}${extra}`);
      }
    }
  })();

  const closed = await nc.closed();
  await done;
  await ticks;
  if (closed && !stopping) {
    process.stderr.write(`fms-node: connection to ${shown(url)} lost (${closed.code || closed.message})\n`);
    process.exit(1);
  }
  log("stopped");
  process.exit(0);
}

main().catch((error) => fail(`unexpected error: ${error.stack || error}`));
