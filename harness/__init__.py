"""em-harness: event-driven integration contract testing for the Electronic Monitoring Service.

The pact FFI sends anonymous usage data unless PACT_DO_NOT_TRACK is set; the package sets it on
import, before anything can import pact.
"""

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

__version__ = "0.1.0"
