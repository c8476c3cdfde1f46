"""The moto server (SNS and SQS emulation for the tests) on loopback, with one hot spot of its cached.

moto's server lists its own package folder (about 150 stat calls) on every request to find the service;
the list never changes while it runs, so it is computed once. Everything else is moto as published.

    python scripts/moto_server.py [-H 127.0.0.1] [-p 5000]
"""

from __future__ import annotations

import logging

import moto.backends
import moto.moto_server.werkzeug_app as werkzeug_app

_MODULES = tuple(moto.backends.list_of_moto_modules())
moto.backends.list_of_moto_modules = lambda: _MODULES
werkzeug_app.backends.list_of_moto_modules = moto.backends.list_of_moto_modules

if __name__ == "__main__":
    from moto.server import main

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request (thousands per test run)
    main()
