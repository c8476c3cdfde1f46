"""MoJ reference consumer services of the Electronic Monitoring Service.

One package per consumer system: `service.py` holds the domain logic as plain Python (so unit tests
and pact tests drive it directly), `app.py` wires it to the bus as a FastStream app. The pact tests in
tests/pacts run each service's real handlers against the messages it expects, and write
contracts/pacts.
"""
