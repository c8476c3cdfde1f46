"""The wire protocol kit the reference suppliers and MoJ consumer apps use: nothing from harness/.

The apps in providers/ and consumers/ follow the wire protocol as any supplier would (README, "Buses:
what a supplier subscribes to"), through this kit beside them: `wirekit.envelope` computes eventIds
(RFC 8785 with `rfc8785`), `wirekit.bus` builds a broker for EM_BUS_URL and maps a channel to each
transport (FastStream for NATS, RabbitMQ, Redis and Kafka; `wirekit.sqs`, aiobotocore, for SNS/SQS).
The harness checks the apps from outside; a harness bug in channel naming or eventIds cannot be shared
by the apps that test it. The kit lives in the project folder and is not installed with em-harness.
"""
