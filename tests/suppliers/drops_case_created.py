"""FMS that never sends case-created, and notes in the file $EM_TEST_MARK when it has dropped one: the signal
tests interrupt a run while its interaction is waiting for the answer, knowing the stimulus has arrived."""

from __future__ import annotations

import os
from pathlib import Path

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher


class _Drops(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != "case-created":
            return out
        Path(os.environ["EM_TEST_MARK"]).write_text("dropped\n")
        return None


app = create(publisher_cls=_Drops).app
