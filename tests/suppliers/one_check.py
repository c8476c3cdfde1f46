"""FMS variants that each break exactly one verify check on equipment-installed, for the protective tests
(tests/test_one_check.py). Each is the reference supplier with one edit to one message:
- pact_only: device_class "home monitoring unit": a class the schema allows, not the one the pact
  expects (an equality rule); every other check passes;
- schema_only: a serial number of 65 characters: still a string, as the pact's type rule asks, but
  longer than the schema's maxLength 64;
- wrong_identity: the right message type on the right channel, for another device (device_id): schema
  and pact pass (an integer, as the rule asks); only correlation can tell it is not this device's.
"""

from __future__ import annotations

import copy

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

MESSAGE = "equipment-installed"


class _Edit(Publisher):
    def edit(self, info: dict) -> None:
        raise NotImplementedError

    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE:
            return out
        body = copy.deepcopy(out.body)
        self.edit(body["additionalInformation"])
        return out.with_body(body)


class _PactOnly(_Edit):
    def edit(self, info: dict) -> None:
        info["device_class"] = "home monitoring unit"


class _SchemaOnly(_Edit):
    def edit(self, info: dict) -> None:
        info["serial_number"] = "S" * 65


class _WrongIdentity(_Edit):
    def edit(self, info: dict) -> None:
        info["device_id"] = int(info["device_id"]) + 1


pact_only = create(publisher_cls=_PactOnly).app
schema_only = create(publisher_cls=_SchemaOnly).app
wrong_identity = create(publisher_cls=_WrongIdentity).app
