"""The FMS on SNS/SQS with boto3: subscribe a queue with a filter policy, long-poll it, publish answers.

Environment (the harness sets it when it starts the supplier):
  EM_BUS_URL         sqs://HOST:PORT?region=R (http endpoint), sqss://HOST?region=R (https), sqs://aws?region=R
  EM_CHANNEL_PREFIX  the run's prefix; SNS/SQS names use it with every character but [A-Za-z0-9_-] made '-'
  EM_SNS_TOPIC_ARN   the run's topic (else `<prefix>em-domain-events` is created)
  AWS_*              credentials and profile, the standard AWS chain
It makes the queue `<prefix>field-monitoring-service` (`.fifo` on a FIFO topic), lets the topic deliver into
it, subscribes it with raw delivery and a filter policy on eventType, publishes em-harness.ready, then answers
every message until SIGTERM. Exit 2 with one line when the bus URL is unusable or the endpoint cannot be reached.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3

from providers.field_monitoring.service import FieldMonitoringService

PROVIDER = "field-monitoring-service"
CONSUMES = {
    "electronic-monitoring.order-submitted": "on_order_submitted",
    "electronic-monitoring.order-varied": "on_order_varied",
    "electronic-monitoring.order-ended": "on_order_ended",
    "em-harness.sim-field-visit": "on_field_visit",
    "em-harness.sim-device-telemetry": "on_device_telemetry",
    "em-harness.sim-wearer-contact": "on_wearer_contact",
}
running = True


def fail(line: str) -> None:
    print(f"fms-boto3: {line}", file=sys.stderr, flush=True)
    sys.exit(2)


def clients() -> tuple[Any, Any]:
    url = os.environ.get("EM_BUS_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("sqs", "sqss") or not parts.hostname:
        fail(f"EM_BUS_URL {url!r}: expected sqs://HOST:PORT?region=REGION")
    region = (parse_qs(parts.query).get("region") or [""])[0] or os.environ.get("AWS_REGION") or "eu-west-2"
    endpoint = None
    if parts.hostname != "aws":
        endpoint = ("https" if parts.scheme == "sqss" else "http") + "://" + parts.netloc
    return (
        boto3.client("sns", region_name=region, endpoint_url=endpoint),
        boto3.client("sqs", region_name=region, endpoint_url=endpoint),
    )


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: globals().update(running=False))
    prefix = os.environ.get("EM_CHANNEL_PREFIX", "")
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", prefix)
    sns, sqs = clients()
    try:
        topic = os.environ.get("EM_SNS_TOPIC_ARN") or sns.create_topic(Name=safe + "em-domain-events")["TopicArn"]
        fifo = topic.endswith(".fifo")
        name = safe + PROVIDER + (".fifo" if fifo else "")
        queue = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    except Exception as exc:  # unreachable endpoint, no credentials: one line, no traceback
        fail(f"cannot reach SNS/SQS: {type(exc).__name__}: {exc}")
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
    }
    sqs.set_queue_attributes(
        QueueUrl=queue, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}
    )
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"eventType": sorted(CONSUMES)})},
    )

    def publish(body: dict[str, Any], event_type: str) -> None:
        text = json.dumps(body)
        request: dict[str, Any] = {
            "TopicArn": topic,
            "Message": text,
            "MessageAttributes": {
                "eventType": {"DataType": "String", "StringValue": event_type},
                "content-type": {"DataType": "String", "StringValue": "application/json"},
            },
        }
        if fifo:
            payload = body.get("additionalInformation") or {}
            case, order = payload.get("caseId") or payload.get("case_id"), payload.get("order_id")
            key = f"case:{sha(case)}" if case else f"order:{sha(order)}" if order else f"channel:{event_type}"
            request["MessageGroupId"] = key
            request["MessageDeduplicationId"] = body.get("eventId") or "sha256:" + sha(text)
        sns.publish(**request)

    service = FieldMonitoringService()
    publish({"provider": PROVIDER, "pid": os.getpid(), "subscribed": sorted(CONSUMES)}, "em-harness.ready")
    print(f"fms-boto3: ready on {topic}", flush=True)
    while running:
        got = sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        for message in got.get("Messages", []):
            event_type = (message.get("MessageAttributes") or {}).get("eventType", {}).get("StringValue")
            try:
                body = json.loads(message["Body"])
                outs = getattr(service, CONSUMES[event_type])(body) if isinstance(body, dict) else []
            except Exception as exc:  # a supplier survives bad input; the contract judges what it publishes
                print(f"fms-boto3: could not handle a {event_type} message: {exc}", flush=True)
                outs = []
            for out in outs:
                publish(out.body, out.event_type)
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    print("fms-boto3: stopped", flush=True)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


if __name__ == "__main__":
    main()
