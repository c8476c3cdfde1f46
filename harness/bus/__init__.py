"""The bus: one module per transport (memory, nats, amqp, redis, kafka, sqs) behind one small interface.

base.py      the Bus the engine sees and the Transport a module implements; recorded.py the bus's record type
broker.py    a real broker's run, bounded: connect, declare, tap, publish, watchdog, drain, clean up
registry.py  which module serves a bus URL (one line per transport) and the run's bus with its supplier
supplier.py  attaching the supplier: an app in this process, or a process in any language
containers.py  brokers in throw-away containers (testcontainers), for `--bus container:KIND`
"""
