"""SNS topics fanned out to SQS queues, the transport HMPPS domain events travel on (aiobotocore underneath).

Bus URLs: `sqs://HOST:PORT?region=eu-west-2` an SNS/SQS endpoint over http (the moto server, LocalStack),
`sqss://HOST[:PORT]?region=...` the same over https, `sqs://aws?region=eu-west-2` AWS's own endpoints.
The region defaults to AWS_REGION, then AWS_DEFAULT_REGION, then eu-west-2. Credentials come from the
standard AWS chain (environment variables, shared profiles with AWS_PROFILE, instance roles) and are never
printed; a URL carrying credentials is refused.

Wire protocol (asyncapi.yaml declares it in each channel's sns binding): every channel travels on the SNS
topic its binding names (the catalogue puts all of them on one topic, `em-domain-events`), named for the run
with the run's prefix made SNS-safe (`emh-0123abcd.` -> `emh-0123abcd-em-domain-events`); its ARN is handed to
the supplier as EM_SNS_TOPIC_ARN. The channel address goes in the `eventType` message attribute (the HMPPS
convention), every other header in a String message attribute of its own, the JSON message as the SNS message.
A topic whose binding says `ordering: {type: FIFO}` (its name ending in `.fifo`) is a FIFO topic: the message
group id is `case:<sha256 hex of additionalInformation.caseId or case_id>`, before a case exists
`order:<sha256 hex of additionalInformation.order_id>`, for a message naming neither `channel:<address>`; the
de-duplication id is the message's `eventId`. A system subscribes a queue of its own (`<prefix><system id>`,
`.fifo` on a FIFO topic) with raw message delivery and a filter policy on `eventType` listing the channels it
consumes. The tap has its own queue with no filter policy. At the end the run's topics, every subscription on
them and every queue under the run's prefix are deleted (after a failure too). Health is a round trip to SQS
(the tap queue's attributes).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from harness.bus.base import Deliver, RunSpec, Transport, stop_task
from harness.errors import HarnessError

SCHEMES = ("sqs", "sqss")
EXAMPLE = "sqs://127.0.0.1:5000?region=eu-west-2"
DEFAULT_TOPIC = "em-domain-events"
TAP = "em-harness-tap"
AWS_HOST = "aws"


def check_url(url: str) -> None:
    """Refuse what a transport URL must not carry (credentials), without echoing it."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise HarnessError(
            f"bus URL {parts.scheme}://...@{parts.hostname}: credentials do not belong in the URL; "
            "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE instead"
        )


def endpoint(url: str) -> tuple[str | None, str]:
    """The endpoint URL (None for AWS itself) and the region of an sqs:// bus URL."""
    parts = urlsplit(url)
    region = (parse_qs(parts.query).get("region") or [""])[0]
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-2"
    if parts.hostname == AWS_HOST:
        return None, region
    scheme = "https" if parts.scheme == "sqss" else "http"
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname
    return f"{scheme}://{host}" + (f":{parts.port}" if parts.port else ""), region


def safe(prefix: str) -> str:
    """The run's prefix in the characters SNS topic and SQS queue names allow."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", prefix)


def topic_of(bindings: Any) -> tuple[str, bool]:
    """(topic name, FIFO?) for a channel, from its sns binding."""
    sns = (bindings or {}).get("sns") or {}
    name = sns.get("name") if isinstance(sns.get("name"), str) else DEFAULT_TOPIC
    fifo = (sns.get("ordering") or {}).get("type") == "FIFO" or name.endswith(".fifo")
    return name, fifo


def group_id(body: Any, address: str) -> str:
    """FIFO message group: one per case (`case:<sha256(caseId)>`); before a case exists, one per order
    (`order:<sha256(order_id)>`); a message naming neither, one per channel (`channel:<address>`)."""
    payload = body.get("additionalInformation") if isinstance(body, dict) else None
    if isinstance(payload, dict):
        for kind, keys in (("case", ("caseId", "case_id")), ("order", ("order_id",))):
            value = next((payload[k] for k in keys if isinstance(payload.get(k), str) and payload[k]), None)
            if value is not None:
                return f"{kind}:" + hashlib.sha256(value.encode()).hexdigest()
    return f"channel:{address}"[:128]


def dedup_id(body: Any, raw: bytes) -> str:
    """FIFO de-duplication id: the message's eventId (sha256 of the raw message when it has none)."""
    event_id = body.get("eventId") if isinstance(body, dict) else None
    if isinstance(event_id, str) and 0 < len(event_id) <= 128:
        return event_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def queue_policy(queue_arn: str, topic_arns: list[str]) -> str:
    """Allow the run's topics (and only them) to deliver into a queue (needed on AWS, harmless elsewhere)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arns}},
                }
            ],
        }
    )


class SqsTransport(Transport):
    kind = "sqs"
    # Every SNS publish is an HTTPS request (tens of ms on AWS and on emulators alike): with all of a
    # provider's interactions at once, a supplier answering one message at a time queues its answers past
    # the 5 s deadlines. Eight at a time keeps a reference supplier well inside them on a loaded 2-core machine.
    concurrency = 8

    def __init__(self, url: str, run: RunSpec) -> None:
        check_url(url)
        super().__init__(url, run)
        self.endpoint, self.region = endpoint(url)
        self.prefix = safe(run.prefix)
        self.topics: dict[str, bool] = {}  # topic name (unprefixed) -> FIFO
        self.channel_topic: dict[str, str] = {}
        for address, bindings in run.channels.items():
            name, fifo = topic_of(bindings)
            self.topics[name] = fifo
            self.channel_topic[address] = name
        if not self.topics:
            self.topics[DEFAULT_TOPIC] = True
        # An address the catalogue does not know goes on the topic most channels use.
        self.default_topic = (
            Counter(self.channel_topic.values()).most_common(1)[0][0] if self.channel_topic else (DEFAULT_TOPIC)
        )
        self.arns: dict[str, str] = {}
        self.created: list[str] = []  # topic ARNs this run created
        self.tap_queues: list[tuple[str, str]] = []  # (queue url, subscription arn)
        self._stack: contextlib.AsyncExitStack | None = None
        self.sns: Any = None
        self.sqs: Any = None
        self._deliver: Deliver | None = None
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self._idle = asyncio.Event()

    async def connect(self) -> None:
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        config = AioConfig(
            connect_timeout=5, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=50
        )
        session = get_session()
        self._stack = contextlib.AsyncExitStack()
        options = {"region_name": self.region, "endpoint_url": self.endpoint, "config": config}
        self.sns = await self._stack.enter_async_context(session.create_client("sns", **options))
        self.sqs = await self._stack.enter_async_context(session.create_client("sqs", **options))
        await self.sqs.list_queues(QueueNamePrefix=self.prefix or TAP, MaxResults=1)  # credentials and endpoint

    async def _existing_topics(self) -> set[str]:
        arns: set[str] = set()
        paginator = self.sns.get_paginator("list_topics")
        async for page in paginator.paginate():
            arns.update(t["TopicArn"] for t in page.get("Topics", []))
        return arns

    async def declare(self) -> None:
        before = await self._existing_topics()
        for name, fifo in sorted(self.topics.items()):
            attributes = {"FifoTopic": "true", "ContentBasedDeduplication": "false"} if fifo else {}
            arn = (await self.sns.create_topic(Name=self.prefix + name, Attributes=attributes))["TopicArn"]
            self.arns[name] = arn
            if arn not in before:
                self.created.append(arn)

    async def tap(self, deliver: Deliver) -> None:
        self._deliver = deliver
        for i, (name, fifo) in enumerate(sorted(self.topics.items())):
            queue = f"{self.prefix}{TAP.replace('em-harness', self.run.tap_id)}{i or ''}" + (".fifo" if fifo else "")
            attributes = {"FifoQueue": "true"} if fifo else {}
            url = (await self.sqs.create_queue(QueueName=queue, Attributes=attributes))["QueueUrl"]
            self.tap_queues.append((url, ""))  # noted at once: cleanup removes it even if the rest fails
            got = await self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            queue_arn = got["Attributes"]["QueueArn"]
            await self.sqs.set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": queue_policy(queue_arn, [self.arns[name]])}
            )
            sub = await self.sns.subscribe(
                TopicArn=self.arns[name],
                Protocol="sqs",
                Endpoint=queue_arn,
                Attributes={"RawMessageDelivery": "true"},
                ReturnSubscriptionArn=True,
            )
            self.tap_queues[-1] = (url, sub["SubscriptionArn"])
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read(url)) for url, _ in self.tap_queues]

    async def _read(self, url: str) -> None:
        while not self._stopping:
            try:
                got = await self.sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=1,
                    MessageAttributeNames=["All"],
                )
            except Exception:
                await asyncio.sleep(0.1)  # health() reports an outage; the tap just keeps trying
                continue
            messages = got.get("Messages", [])
            if not messages:
                self._idle.set()
                continue
            for message in messages:
                attributes = message.get("MessageAttributes") or {}
                headers = {k: v.get("StringValue", v.get("BinaryValue")) for k, v in attributes.items()}
                address = headers.get("eventType")
                self._deliver(
                    self.run.prefix + (address if isinstance(address, str) else ""),
                    headers,
                    message.get("Body", "").encode(),
                )
            with contextlib.suppress(Exception):
                await self.sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
                )

    async def publish(self, address: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        channel = address[len(self.run.prefix) :] if address.startswith(self.run.prefix) else address
        topic = self.channel_topic.get(channel, self.default_topic)
        # bytes: a poison message. An SNS message is text: bytes that are no UTF-8 arrive as U+FFFD.
        raw = body.decode("utf-8", "replace").encode() if isinstance(body, bytes) else orjson.dumps(body)
        attributes = {k: {"DataType": "String", "StringValue": str(v)} for k, v in headers.items() if str(v)}
        attributes["eventType"] = {"DataType": "String", "StringValue": channel}
        request: dict[str, Any] = {
            "TopicArn": self.arns[topic],
            "Message": raw.decode(),
            "MessageAttributes": attributes,
        }
        if self.topics[topic]:
            request["MessageGroupId"] = group_id(body, channel)
            request["MessageDeduplicationId"] = dedup_id(body, raw)
        await self.sns.publish(**request)

    async def health(self) -> None:
        if self.tap_queues:
            await self.sqs.get_queue_attributes(QueueUrl=self.tap_queues[0][0], AttributeNames=["QueueArn"])
        else:
            await self.sqs.list_queues(QueueNamePrefix=self.prefix or TAP, MaxResults=1)

    async def drain(self) -> None:
        """Read until every tap queue has come back empty once."""
        self._idle.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), 5)

    async def cleanup(self) -> None:
        self._stopping = True
        for task in self._tasks:
            await stop_task(task)
        if self.sns is None:
            return
        if self.prefix:
            # Every subscription on the run's topics (the tap's and the suppliers'), every queue under the
            # prefix, then the topics themselves.
            for arn in self.arns.values():
                paginator = self.sns.get_paginator("list_subscriptions_by_topic")
                async for page in paginator.paginate(TopicArn=arn):
                    for sub in page.get("Subscriptions", []):
                        with contextlib.suppress(Exception):
                            await self.sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
            paginator = self.sqs.get_paginator("list_queues")
            async for page in paginator.paginate(QueueNamePrefix=self.prefix):
                for url in page.get("QueueUrls", []):
                    await self.sqs.delete_queue(QueueUrl=url)
        else:  # an attached supplier's own topic and queues stay; the tap's go
            for url, sub in self.tap_queues:
                if sub:
                    with contextlib.suppress(Exception):
                        await self.sns.unsubscribe(SubscriptionArn=sub)
                await self.sqs.delete_queue(QueueUrl=url)
        # The run's own topics (under its prefix) go; without a prefix, only a topic this run created.
        for arn in list(self.arns.values()) if self.prefix else self.created:
            await self.sns.delete_topic(TopicArn=arn)
        self.created = []

    def supplier_env(self) -> dict[str, str]:
        """The run's topic, so a supplier need not derive its name (set once declared)."""
        return {"EM_SNS_TOPIC_ARN": self.arns[self.default_topic]} if self.default_topic in self.arns else {}

    async def close(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None


TRANSPORT = SqsTransport
