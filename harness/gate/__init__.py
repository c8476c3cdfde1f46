"""The MoJ gate: a durable record of what was published, verified and deployed, the can-i-deploy
decision over it, a tamper-evident evidence chain, and a web page plus the Pact Broker API subset.

Rooms: models (tables), store (opening a store, migrations, one writer at a time), evidence (the
hash chain and its signatures), redact (what evidence may keep of a message), record (publish,
verification, deployments), decide (the matrix and can-i-deploy), bundle (the auditor's export),
commands (the CLI's shells), web/ (the ASGI app).
"""
