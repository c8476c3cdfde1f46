"""SNS/SQS for the reference apps, with aiobotocore: the HMPPS domain-events convention.

- EM_BUS_URL `sqs://HOST:PORT?region=R` (an http endpoint such as the moto server), `sqss://HOST?region=R`
  (https), `sqs://aws?region=R` (AWS itself). Credentials: the standard AWS chain.
- One topic for every channel: EM_SNS_TOPIC_ARN when set (the harness sets it), else `em-domain-events`
  named for the run with EM_CHANNEL_PREFIX made SNS-safe (every character other than letters, digits, `-` and
  `_` becomes `-`). A topic whose name ends in `.fifo` is a FIFO topic.
- Publish: the JSON message as the SNS message; the channel address (without the run's prefix) in the
  `eventType` String message attribute; every other header a String message attribute; on a FIFO topic the
  message group id
  `case:<sha256 hex of additionalInformation.caseId or case_id>`, else `order:<sha256 hex of order_id>`, else
  `channel:<address>`; de-duplication id the message's eventId.
- Subscribe: a queue per system, `<prefix><system id>` (`.fifo` on a FIFO topic), subscribed to the topic
  with raw message delivery and a filter policy `{"eventType": [the addresses it consumes]}`; a message is
  deleted once handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOPIC = "em-domain-events"
log = logging.getLogger("wirekit.sqs")

Handler = Callable[[Any], Awaitable[None]]


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)


def _endpoint(url: str) -> tuple[str | None, str]:
    parts = urlsplit(url)
    region = (parse_qs(parts.query).get("region") or [""])[0]
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-2"
    if parts.hostname == "aws":
        return None, region
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return ("https" if parts.scheme == "sqss" else "http") + "://" + netloc, region


class SqsBroker:
    """Subscribers by system, a poller per system queue, and publishing to the run's topic."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = os.environ.get("EM_CHANNEL_PREFIX", "")
        self.endpoint, self.region = _endpoint(url)
        self.routes: dict[str, dict[str, Handler]] = {}  # system -> eventType -> handler
        self.sns: Any = None
        self.sqs: Any = None
        self.topic_arn = ""
        self.fifo = False
        self._stack: contextlib.AsyncExitStack | None = None
        self._pollers: list[asyncio.Task] = []
        self._running = False

    def _event_type(self, address: str) -> str:
        return address[len(self.prefix) :] if self.prefix and address.startswith(self.prefix) else address

    def subscriber(self, address: str, system: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.setdefault(system, {})[self._event_type(address)] = handler
            return handler

        return register

    async def start(self) -> None:
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        session = get_session()
        config = AioConfig(connect_timeout=5, read_timeout=10, max_pool_connections=50)
        options = {"region_name": self.region, "endpoint_url": self.endpoint, "config": config}
        self._stack = contextlib.AsyncExitStack()
        self.sns = await self._stack.enter_async_context(session.create_client("sns", **options))
        self.sqs = await self._stack.enter_async_context(session.create_client("sqs", **options))
        self.topic_arn = os.environ.get("EM_SNS_TOPIC_ARN", "")
        if not self.topic_arn:
            self.topic_arn = (await self.sns.create_topic(Name=_safe(self.prefix) + TOPIC))["TopicArn"]
        self.fifo = self.topic_arn.endswith(".fifo")
        self._running = True
        for system, routes in self.routes.items():
            url = await self._queue(system, sorted(routes))
            self._pollers.append(asyncio.get_running_loop().create_task(self._poll(url, routes)))

    async def _queue(self, system: str, event_types: list[str]) -> str:
        """The system's queue, subscribed to the topic for the event types it consumes."""
        name = _safe(self.prefix) + _safe(system) + (".fifo" if self.fifo else "")
        attributes = {"FifoQueue": "true"} if self.fifo else {}
        url = (await self.sqs.create_queue(QueueName=name, Attributes=attributes))["QueueUrl"]
        arn = (await self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": self.topic_arn}},
                }
            ],
        }
        await self.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        await self.sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"eventType": event_types})},
        )
        return url

    async def _poll(self, url: str, routes: dict[str, Handler]) -> None:
        while self._running:
            try:
                got = await self.sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=1,
                    MessageAttributeNames=["All"],
                    AttributeNames=["MessageGroupId"],
                )
            except Exception as exc:
                log.warning("receive from %s failed: %s", url, exc)
                await asyncio.sleep(0.5)
                continue
            messages = got.get("Messages", [])
            if not messages:
                continue
            # In order within a message group, groups side by side (a FIFO queue's ordering promise).
            groups: dict[str, list[dict[str, Any]]] = {}
            for message in messages:
                groups.setdefault((message.get("Attributes") or {}).get("MessageGroupId", ""), []).append(message)
            await asyncio.gather(*(self._handle(group, routes) for group in groups.values()))
            with contextlib.suppress(Exception):
                await self.sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
                )

    async def _handle(self, messages: list[dict[str, Any]], routes: dict[str, Handler]) -> None:
        for message in messages:
            event_type = ((message.get("MessageAttributes") or {}).get("eventType") or {}).get("StringValue")
            handler = routes.get(event_type or "")
            if handler is None:
                continue
            try:
                body: Any = json.loads(message.get("Body", ""))
            except ValueError:
                body = message.get("Body", "")
            try:
                await handler(body)
            except Exception:
                log.exception("handling %s failed", event_type)

    async def publish(self, body: Any, address: str, headers: dict[str, str] | None = None) -> None:
        text = json.dumps(body)
        event_type = self._event_type(address)
        attributes = {k: {"DataType": "String", "StringValue": str(v)} for k, v in (headers or {}).items() if str(v)}
        attributes["eventType"] = {"DataType": "String", "StringValue": event_type}
        payload = body.get("additionalInformation") if isinstance(body, dict) else None
        payload = payload if isinstance(payload, dict) else {}
        group = None
        for kind, value in (
            ("case", payload.get("caseId") or payload.get("case_id")),
            ("order", payload.get("order_id")),
        ):
            if group is None and isinstance(value, str) and value:
                group = f"{kind}:" + hashlib.sha256(value.encode()).hexdigest()
        event_id = body.get("eventId") if isinstance(body, dict) else None
        ordering: dict[str, str] = {}
        if self.fifo:
            ordering["MessageGroupId"] = group or f"channel:{event_type}"[:128]
            ordering["MessageDeduplicationId"] = (
                event_id
                if isinstance(event_id, str) and event_id
                else "sha256:" + hashlib.sha256(text.encode()).hexdigest()
            )
        await self.sns.publish(TopicArn=self.topic_arn, Message=text, MessageAttributes=attributes, **ordering)

    async def stop(self) -> None:
        self._running = False
        for task in self._pollers:
            task.cancel()
        if self._pollers:
            await asyncio.wait(self._pollers, timeout=3)
        self._pollers = []
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None


class SqsApp:
    """What FastStream's app gives the reference apps: start, stop, run, after_startup, broker."""

    def __init__(self, broker: SqsBroker) -> None:
        self.broker = broker
        self._after: list[Callable[[], Awaitable[None]]] = []

    def after_startup(self, func: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        self._after.append(func)
        return func

    async def start(self) -> None:
        await self.broker.start()
        for func in self._after:
            await func()

    async def stop(self) -> None:
        await self.broker.stop()

    async def run(self) -> None:
        """Run until SIGTERM or SIGINT."""
        import signal

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        log.warning("SNS/SQS app started on %s", self.broker.topic_arn)
        try:
            await stop.wait()
        finally:
            await self.stop()
