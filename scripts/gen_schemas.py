"""Generate the message schemas of the catalogue: schemas/<message>/v1.json.

Why a generator rather than hand-written JSON: the sixteen message schemas share one layout (the
envelope, the eventType/version/source consts, the payload in `additionalInformation`), the same two
timestamp kinds and the same personal-data marks, and every example needs an `eventId` computed from
its own content. Written by hand they drift; here each rule is stated once.

Timestamp rule used throughout (each field's description repeats it):
- UTC RFC 3339 (common `utcDateTime`): the HMPPS envelope, every camelCase field (createdAt,
  datetimeOfStatusChange, device event *DateUtc) and every field produced by the monitoring data service
  (device_activation_date, device_deactivation_date, recorded_date, delivered_at): device platforms keep
  time in UTC.
- London local 'yyyy-MM-dd HH:mm:ss', no offset (common `londonLocalDateTime`): the order payload sent to
  the supplier (order_start, order_end, curfew_start, curfew_end, enforceable_condition dates,
  order_variation_date, revocation_date) and the snake_case record fields of the field monitoring service
  (visit actual_start/actual_end, installed_at, removed_at, violation start/end, raised_at, ended_at).
- Calendar dates yyyy-MM-dd (common `date`): date_of_birth and zone start/end.

case-status-returned is maintained separately and is not written by this script.

Usage, from the repository root:
    python scripts/gen_schemas.py           write the files
    python scripts/gen_schemas.py --check   exit 1 if any committed file differs from what would be written
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.catalogue.envelope import seal  # noqa: E402

BASE = "https://schemas.em-harness.test"
COMMON = "../common/v1.json#/$defs/"
ORDER = "../order-submitted/v1.json#/$defs/"

CEMO = "cemo"
FMS = "field-monitoring-service"
MDSS = "monitoring-data-service"

UTC_NOTE = "UTC, RFC 3339 (ends in Z or +00:00), never London local time."
LONDON_NOTE = "London local time 'yyyy-MM-dd HH:mm:ss' with no offset (supplier record time), never UTC RFC 3339."

Json = dict[str, Any]


# --- small builders ---------------------------------------------------------------------------------


def common(name: str, description: str | None = None, personal: bool = False) -> Json:
    """A $ref to a shared definition, with an optional description and personal-data mark."""
    node: Json = {"$ref": COMMON + name}
    if description:
        node["description"] = description
    if personal:
        node["x-personal-data"] = True
    return node


def utc(description: str) -> Json:
    """A UTC RFC 3339 timestamp field."""
    return common("utcDateTime", f"{description} {UTC_NOTE}")


def london(description: str) -> Json:
    """A supplier London-local timestamp field."""
    return common("londonLocalDateTime", f"{description} {LONDON_NOTE}")


def text(description: str, max_length: int = 1000, personal: bool = False, examples: list[str] | None = None) -> Json:
    """A free-text string field."""
    node: Json = {"description": description, "type": "string", "minLength": 1, "maxLength": max_length}
    if examples:
        node["examples"] = examples
    if personal:
        node["x-personal-data"] = True
    return node


def enum(values: list[Any], description: str | None = None) -> Json:
    """A closed vocabulary."""
    node: Json = {}
    if description:
        node["description"] = description
    node["type"] = "integer" if all(isinstance(v, int) for v in values) else "string"
    node["enum"] = values
    return node


def obj(required: list[str], properties: Json, description: str | None = None, **extra: Any) -> Json:
    """An open object (no additionalProperties: data minimisation is checked by the harness)."""
    node: Json = {}
    if description:
        node["description"] = description
    node["type"] = "object"
    node["required"] = required
    node["properties"] = properties
    node.update(extra)
    return node


def requires_when(prop: str, values: list[str], needed: list[str]) -> Json:
    """if `prop` is one of `values` then `needed` are required."""
    cond: Json = {"const": values[0]} if len(values) == 1 else {"enum": values}
    return {"if": {"properties": {prop: cond}, "required": [prop]}, "then": {"required": needed}}


PERSON = {"identifiers": [{"type": "CRN", "value": "X123456"}, {"type": "NOMS", "value": "A1234BC"}]}
ORDER_ID = "7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01"
CASE_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
WEARER_SYS_ID = "3c2b1a09f8e7d6c5b4a3928170f6e5d4"
DEVICE_ID = 100234
HMU_ID = 100235
PERSON_ID = 5001


def example(
    message: str,
    producer: str,
    occurred: str,
    published: str,
    description: str,
    payload: Json,
    person: Json | None = PERSON,
) -> Json:
    """A complete message with its eventId sealed from its content."""
    msg: Json = {
        "eventType": f"electronic-monitoring.{message}",
        "version": 1,
        "occurredAt": occurred,
        "publishedAt": published,
        "description": description,
        "source": producer,
    }
    if person is not None:
        msg["personReference"] = person
    msg["additionalInformation"] = payload
    return seal(msg)


PERSON_REFERENCE_NOTE = (
    " personReference carries the wearer's CRN and/or NOMS number when they have one; it is optional because"
    " some wearers (Home Office orders) have neither."
)


def message_schema(
    message: str,
    title: str,
    description: str,
    producer: str,
    defs: Json,
    examples: list[Json],
    required: tuple[str, ...] = ("additionalInformation",),
) -> Json:
    """A message schema in the catalogue layout: envelope + consts + payload in additionalInformation."""
    event_type = f"electronic-monitoring.{message}"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE}/{message}/v1.json",
        "title": title,
        "description": description,
        "x-event-type": event_type,
        "x-producer": producer,
        "type": "object",
        "allOf": [{"$ref": "../envelope/v1.json"}],
        "required": list(required),
        "properties": {
            "eventType": {"const": event_type},
            "version": {"const": 1},
            "source": {"const": producer},
            "additionalInformation": {"$ref": "#/$defs/payload"},
        },
        "$defs": defs,
        "examples": examples,
    }


# --- vocabularies from the domain ---------------------------------------------------------------------

DATA_DICTIONARY_VERSIONS = ["DDV4", "DDV5", "DDV6", "DDV7"]
ORDER_REQUEST_TYPES = ["New Order", "Variation", "Rejected"]
ORDER_TYPES = ["Civil", "Community", "Immigration", "Post Release", "Pre-Trial", "Special", "Bail"]
ORDER_TYPE_DESCRIPTIONS = [
    "DAPO",
    "DAPOL",
    "DAPOL HDC",
    "GPS Acquisitive Crime HDC",
    "GPS Acquisitive Crime Parole",
]
CONDITIONS = [
    "Curfew with EM",
    "Location Monitoring (Fitted Device)",
    "Location Monitoring (using Non-Fitted Device)",
    "EM Exclusion / Inclusion Zone",
    "Restriction Zones",
    "Attendance Requirement",
    "AAMR",
    "AML",
]
NOTIFYING_ORGANIZATIONS = [
    "Civil County Court",
    "Crown Court",
    "Magistrates Court",
    "Military Court",
    "Prison",
    "Home Office",
    "Scottish Court",
    "Family Court",
    "Probation",
    "Youth Court",
    "Youth Custody Service",
]
RESPONSIBLE_ORGANIZATIONS = ["YJS", "YCS", "Probation", "Field Monitoring Service", "Home Office", "Police"]
VARIATION_TYPES = [
    "Change to Address",
    "Change to Personal Details",
    "Change to add an Inclusion or Exclusion Zone(s)",
    "Change to an existing Inclusion or Exclusion Zone(s)",
    "Change to Curfew Hours",
    "Order Suspension",
    "Change to Device Type",
    "Change to Enforceable Condition",
    "Admin Error",
    "Other",
]
SERVICE_REQUEST_TYPES = ["SR04", "SR05", "SR08", "SR21", "SR11"]
DAYS = ["Mo", "Tu", "Wed", "Th", "Fr", "Sa", "Su"]
CURFEW_LOCATIONS = ["primary", "secondary", "tertiary"]
CASE_STATES = [
    ("NEW", 1),
    ("CLOSED", 3),
    ("RESOLVED", 6),
    ("CANCELLED", 7),
    ("OPEN", 10),
    ("AWAITING_VALIDATION", 11),
    ("AWAITING_INFO", 18),
    ("AWAITING_APPROVAL", 19),
]
VISIT_TYPES = ["install", "reinstall", "removal", "fault", "compliance check"]
POSITION_MECHANISMS = [1, 4, 5, 6]
ALERT_CLASSES = [
    "notification_alert",
    "indication_noncompliance",
    "indication_fault",
    "investigation_violation",
    "investigation_special",
    "device_maintenance",
]
VIOLATION_CATEGORIES = ["curfew", "exclusion_zone", "inclusion_zone", "tamper", "alcohol", "attendance"]
BATTERY_CODE = "EV_REPORT_TRACKER_BATTERY_PERCENTAGE"


# --- order-submitted (and the order parts shared by order-varied / order-ended) ----------------------


def order_defs() -> Json:
    """$defs of order-submitted; order-varied and order-ended reference the shared parts."""
    device_wearer = obj(
        ["first_name", "last_name", "date_of_birth", "adult_child"],
        {
            "first_name": text("Given name.", 100, personal=True),
            "last_name": text("Family name.", 100, personal=True),
            "alias": text("Other name the wearer is known by.", 200, personal=True),
            "date_of_birth": common("date", "Date of birth, calendar date yyyy-MM-dd.", personal=True),
            "adult_child": enum(["adult", "child"], "Whether the wearer is an adult or a child at installation."),
            "sex": text("Sex as recorded by the notifying organisation.", 50, True, ["Male", "Female"]),
            "gender_identity": text("Gender identity as recorded.", 50, True, ["Male", "Female", "Non-binary"]),
            "disability": {
                "description": "Disabilities the field officers should know about.",
                "type": "array",
                "items": obj(["disability"], {"disability": text("One disability.", 200)}),
                "x-personal-data": True,
            },
            "address_1": text("Primary address line 1.", 200, personal=True),
            "address_2": text("Primary address line 2.", 200, personal=True),
            "address_3": text("Primary address line 3 (town or city).", 200, personal=True),
            "address_4": text("Primary address line 4 (county).", 200, personal=True),
            "address_post_code": {
                "description": "Postcode of the primary address.",
                "type": "string",
                "pattern": "^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$",
                "x-personal-data": True,
            },
            "no_fixed_address": {
                "$ref": "#/$defs/trueFalse",
                "description": "'true' when the wearer has no fixed address; 'false' requires address_1 and "
                "address_post_code.",
            },
            "phone_number": {
                "description": "Contact telephone number.",
                "type": "string",
                "pattern": "^\\+?[0-9][0-9 ]{6,19}$",
                "x-personal-data": True,
            },
            "risk_serious_harm": text("Risk of serious harm to others.", 200, True, ["High", "Medium", "Low"]),
            "risk_self_harm": text("Risk of self-harm.", 200, True, ["High", "Medium", "Low"]),
            "risk_details": text("Risk details field officers must read before a visit.", 4000, personal=True),
            "risk_categories": {
                "description": "Risk categories that apply to the wearer.",
                "type": "array",
                "items": obj(["category"], {"category": text("One risk category.", 200)}),
                "x-personal-data": True,
            },
            "interpreter_required": {"$ref": "#/$defs/trueFalse", "description": "Whether an interpreter is needed."},
            "language": text("Language to use with the wearer.", 100, personal=True),
            "pnc_id": text("Police National Computer id.", 20, personal=True, examples=["2001/0123456X"]),
            "nomis_id": common("noms", "Prison number (NOMS) of the wearer.", personal=True),
            "delius_id": common("crn", "Probation case reference (CRN) of the wearer.", personal=True),
            "prison_number": text("Prison (booking) number.", 20, personal=True),
            "home_office_case_reference_number": text("Home Office case reference.", 50, personal=True),
        },
        "The person to be monitored. Optional fields are omitted when unknown, never sent as empty strings.",
        allOf=[
            {
                "if": {"properties": {"no_fixed_address": {"const": "false"}}, "required": ["no_fixed_address"]},
                "then": {"required": ["address_1", "address_post_code"]},
            }
        ],
    )
    monitoring_order = obj(
        ["order_type", "order_start", "enforceable_condition"],
        {
            "order_type": enum(ORDER_TYPES, "Legal basis of the order."),
            "order_type_description": enum(ORDER_TYPE_DESCRIPTIONS, "Pilot or programme the order belongs to."),
            "condition_type": text(
                "The kind of requirement the monitoring enforces.",
                200,
                examples=["Requirement of a Community Order", "License Condition of a Custodial Order", "Bail Order"],
            ),
            "order_start": london("Start of monitoring."),
            "order_end": london("End of monitoring."),
            "enforceable_condition": {
                "description": "What must be monitored, each with its own period.",
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/$defs/enforceableCondition"},
            },
            "trail_monitoring": common("yesNo", "Whether location (trail) monitoring applies."),
            "abstinence": common("yesNo", "Whether alcohol abstinence (rather than alcohol level) is monitored."),
        },
        "What the order requires and when.",
    )
    enforceable_condition = obj(
        ["condition", "start_date"],
        {
            "condition": enum(CONDITIONS),
            "start_date": london("Start of this condition."),
            "end_date": london("End of this condition."),
        },
    )
    curfew = obj(
        ["curfew_start", "curfew_duration"],
        {
            "curfew_start": london("First day and time the curfew applies."),
            "curfew_end": london("Last day and time the curfew applies."),
            "curfew_duration": {
                "description": "The weekly timetable, per address.",
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/$defs/curfewDuration"},
            },
        },
        "Curfew hours. Present when an enforceable condition is 'Curfew with EM'.",
    )
    curfew_duration = obj(
        ["location", "schedule"],
        {
            "location": enum(CURFEW_LOCATIONS, "Which of the wearer's addresses this timetable applies to."),
            "allday": common("yesNo", "'Yes' when the wearer must stay at this address all day."),
            "schedule": {"type": "array", "items": {"$ref": "#/$defs/curfewSchedule"}},
        },
    )
    curfew_schedule = obj(
        ["day", "start", "end"],
        {
            "day": enum(DAYS, "Day of the week, in the supplier's codes."),
            "start": common("hhmm", "Curfew start on that day, London local clock time HH:mm."),
            "end": common("hhmm", "Curfew end on that day, London local clock time HH:mm."),
        },
    )
    zones = obj(
        [],
        {
            "exclusion_zones": {"type": "array", "items": {"$ref": "#/$defs/zone"}},
            "inclusion_zones": {"type": "array", "items": {"$ref": "#/$defs/zone"}},
        },
        "Exclusion and inclusion zones. Present when an enforceable condition is 'EM Exclusion / Inclusion Zone'.",
        minProperties=1,
    )
    zone = obj(
        ["description", "start"],
        {
            "description": text("Where the zone is; it can name places linked to victims.", 2000, personal=True),
            "duration": text("When the zone applies.", 500, examples=["Monday to Sunday, all day"]),
            "start": common("date", "First day of the zone, calendar date yyyy-MM-dd."),
            "end": common("date", "Last day of the zone, calendar date yyyy-MM-dd."),
        },
    )
    parties = obj(
        ["notifying_organization"],
        {
            "notifying_organization": enum(NOTIFYING_ORGANIZATIONS, "Who notified the order."),
            "responsible_organization": enum(RESPONSIBLE_ORGANIZATIONS, "Who manages the wearer."),
            "responsible_officer_name": text("Responsible officer's name.", 200, personal=True),
            "responsible_officer_phone": {
                "description": "Responsible officer's telephone number.",
                "type": "string",
                "pattern": "^\\+?[0-9][0-9 ]{6,19}$",
                "x-personal-data": True,
            },
            "responsible_officer_email": common("email", "Responsible officer's email address.", personal=True),
        },
        "The organisations and officer involved.",
    )
    payload = obj(
        [
            "order_id",
            "order_request_type",
            "data_dictionary_version",
            "device_wearer",
            "monitoring_order",
            "parties",
        ],
        {
            "order_id": common(
                "uuid", "MoJ order id; the supplier's case-created reply echoes it as orderId (correlation)."
            ),
            "order_request_type": {"$ref": "#/$defs/orderRequestType", "const": "New Order"},
            "data_dictionary_version": {"$ref": "#/$defs/dataDictionaryVersion"},
            "device_wearer": {"$ref": "#/$defs/deviceWearer"},
            "monitoring_order": {"$ref": "#/$defs/monitoringOrder"},
            "curfew": {"$ref": "#/$defs/curfew"},
            "zones": {"$ref": "#/$defs/zones"},
            "parties": {"$ref": "#/$defs/parties"},
        },
        allOf=[
            {
                "if": _has_condition("Curfew with EM"),
                "then": {"required": ["curfew"]},
            },
            {
                "if": _has_condition("EM Exclusion / Inclusion Zone"),
                "then": {"required": ["zones"]},
            },
        ],
    )
    return {
        "payload": payload,
        "dataDictionaryVersion": enum(
            DATA_DICTIONARY_VERSIONS,
            "Data dictionary version of the order payload. Enumerations differ by version; this catalogue "
            "accepts the union of DDV4..DDV7 values.",
        ),
        "orderRequestType": enum(ORDER_REQUEST_TYPES, "Kind of order request."),
        "serviceRequestType": enum(
            SERVICE_REQUEST_TYPES,
            "Service request subcategory: SR04 re-install, SR05 install at an additional address, SR08 amend "
            "requirements, SR21 revocation, SR11 removal of devices (bail).",
        ),
        "trueFalse": {
            "description": "A boolean carried as the string 'true' or 'false', as in the supplier order payload.",
            "type": "string",
            "enum": ["true", "false"],
        },
        "deviceWearer": device_wearer,
        "monitoringOrder": monitoring_order,
        "enforceableCondition": enforceable_condition,
        "curfew": curfew,
        "curfewDuration": curfew_duration,
        "curfewSchedule": curfew_schedule,
        "zones": zones,
        "zone": zone,
        "parties": parties,
    }


def _has_condition(condition: str) -> Json:
    """Schema matching a payload whose monitoring order has the given enforceable condition."""
    return {
        "properties": {
            "monitoring_order": {
                "properties": {
                    "enforceable_condition": {
                        "contains": {"properties": {"condition": {"const": condition}}, "required": ["condition"]}
                    }
                },
                "required": ["enforceable_condition"],
            }
        },
        "required": ["monitoring_order"],
    }


WEARER = {
    "first_name": "Alice",
    "last_name": "Example",
    "alias": "Ally Example",
    "date_of_birth": "1990-01-01",
    "adult_child": "adult",
    "sex": "Female",
    "gender_identity": "Female",
    "disability": [{"disability": "Mobility"}],
    "address_1": "1 Test Street",
    "address_2": "Flat 2",
    "address_3": "Testville",
    "address_4": "Testshire",
    "address_post_code": "ZZ1 1ZZ",
    "no_fixed_address": "false",
    "phone_number": "07700 900001",
    "risk_serious_harm": "Medium",
    "risk_self_harm": "Low",
    "risk_details": "Synthetic risk note: dog at the property.",
    "risk_categories": [{"category": "Violence"}],
    "interpreter_required": "false",
    "language": "English",
    "pnc_id": "2001/0123456X",
    "nomis_id": "A1234BC",
    "delius_id": "X123456",
    "prison_number": "AB1234",
}
MONITORING_ORDER = {
    "order_type": "Post Release",
    "order_type_description": "GPS Acquisitive Crime HDC",
    "condition_type": "License Condition of a Custodial Order",
    "order_start": "2026-04-01 09:00:00",
    "order_end": "2026-10-01 23:59:00",
    "enforceable_condition": [
        {"condition": "Curfew with EM", "start_date": "2026-04-01 19:00:00", "end_date": "2026-10-01 23:59:00"},
        {
            "condition": "Location Monitoring (Fitted Device)",
            "start_date": "2026-04-01 09:00:00",
            "end_date": "2026-10-01 23:59:00",
        },
        {
            "condition": "EM Exclusion / Inclusion Zone",
            "start_date": "2026-04-01 09:00:00",
            "end_date": "2026-10-01 23:59:00",
        },
    ],
    "trail_monitoring": "Yes",
    "abstinence": "No",
}
NIGHTS = [
    slot
    for d in DAYS
    for slot in ({"day": d, "start": "00:00", "end": "07:00"}, {"day": d, "start": "19:00", "end": "23:59"})
]
CURFEW = {
    "curfew_start": "2026-04-01 19:00:00",
    "curfew_end": "2026-10-01 07:00:00",
    "curfew_duration": [{"location": "primary", "allday": "No", "schedule": NIGHTS}],
}
ZONES = {
    "exclusion_zones": [
        {
            "description": "Synthetic exclusion zone: 200 m around 10 Test Road, Testville",
            "duration": "Monday to Sunday, all day",
            "start": "2026-04-01",
            "end": "2026-10-01",
        }
    ],
    "inclusion_zones": [
        {
            "description": "Synthetic inclusion zone: Testville town centre",
            "duration": "Monday to Friday, 09:00 to 17:00",
            "start": "2026-04-01",
            "end": "2026-10-01",
        }
    ],
}
PARTIES = {
    "notifying_organization": "Prison",
    "responsible_organization": "Probation",
    "responsible_officer_name": "Testy McTestface",
    "responsible_officer_phone": "07700 900002",
    "responsible_officer_email": "testy.mctestface@example.com",
}


def order_submitted() -> Json:
    """New order from CEMO to the supplier."""
    full = {
        "order_id": ORDER_ID,
        "order_request_type": "New Order",
        "data_dictionary_version": "DDV6",
        "device_wearer": WEARER,
        "monitoring_order": MONITORING_ORDER,
        "curfew": CURFEW,
        "zones": ZONES,
        "parties": PARTIES,
    }
    home_office = {
        "order_id": "5b0e8c1e-6f3a-4b7e-9c2d-1a2b3c4d5e6f",
        "order_request_type": "New Order",
        "data_dictionary_version": "DDV7",
        "device_wearer": {
            "first_name": "Bob",
            "last_name": "Placeholder",
            "date_of_birth": "1985-02-03",
            "adult_child": "adult",
            "sex": "Male",
            "no_fixed_address": "true",
            "interpreter_required": "true",
            "language": "Esperanto",
            "home_office_case_reference_number": "HO-TEST-000001",
        },
        "monitoring_order": {
            "order_type": "Immigration",
            "condition_type": "Bail Order",
            "order_start": "2026-05-10 10:00:00",
            "enforceable_condition": [
                {"condition": "Location Monitoring (using Non-Fitted Device)", "start_date": "2026-05-10 10:00:00"}
            ],
            "trail_monitoring": "Yes",
        },
        "parties": {
            "notifying_organization": "Home Office",
            "responsible_organization": "Home Office",
            "responsible_officer_email": "immigration.test@example.com",
        },
    }
    return message_schema(
        "order-submitted",
        "Order submitted",
        "CEMO sends a new electronic monitoring order to the supplier (a command; the supplier answers with "
        "case-created carrying the same order id as orderId). The payload keeps the supplier's snake_case field "
        "names and string values but nests them by part: device_wearer, monitoring_order, curfew (when a curfew "
        "is ordered), zones (when zones are ordered) and parties; order_id, order_request_type and "
        "data_dictionary_version sit at the top because every part depends on them. order-varied and "
        "order-ended reuse the parts from this schema's $defs. Order timestamps are London local time "
        "'yyyy-MM-dd HH:mm:ss'; the envelope's are UTC." + PERSON_REFERENCE_NOTE,
        CEMO,
        order_defs(),
        [
            example(
                "order-submitted",
                CEMO,
                "2026-03-30T08:00:00Z",
                "2026-03-30T08:00:01Z",
                "New post-release order with curfew, trail monitoring and zones",
                full,
            ),
            example(
                "order-submitted",
                CEMO,
                "2026-05-09T14:30:00Z",
                "2026-05-09T14:30:01Z",
                "New Home Office order, non-fitted device, no fixed address",
                home_office,
                person=None,
            ),
        ],
    )


# --- order-varied / order-ended -------------------------------------------------------------------------


def order_varied() -> Json:
    """Variation of an order already sent."""
    parts = {
        "device_wearer": ["Change to Address", "Change to Personal Details"],
        "zones": [
            "Change to add an Inclusion or Exclusion Zone(s)",
            "Change to an existing Inclusion or Exclusion Zone(s)",
        ],
        "curfew": ["Change to Curfew Hours"],
        "monitoring_order": ["Change to Enforceable Condition", "Change to Device Type"],
    }
    payload = obj(
        [
            "order_id",
            "order_request_type",
            "data_dictionary_version",
            "order_variation_type",
            "order_variation_date",
            "service_request_type",
        ],
        {
            "order_id": common("uuid", "The MoJ order id of the order being varied (correlation)."),
            "case_id": common("caseId", "The supplier case for the order, when CEMO already knows it."),
            "order_request_type": {"$ref": ORDER + "orderRequestType", "const": "Variation"},
            "data_dictionary_version": {"$ref": ORDER + "dataDictionaryVersion"},
            "order_variation_type": enum(VARIATION_TYPES, "What the variation changes."),
            "order_variation_date": london("When the variation takes effect."),
            "order_variation_details": text("What changed, in words.", 4000, personal=True),
            "service_request_type": {
                "$ref": ORDER + "serviceRequestType",
                "enum": ["SR04", "SR05", "SR08"],
                "description": "SR04 re-install, SR05 install at an additional address, SR08 amend requirements.",
            },
            "device_wearer": {"$ref": ORDER + "deviceWearer"},
            "monitoring_order": {"$ref": ORDER + "monitoringOrder"},
            "curfew": {"$ref": ORDER + "curfew"},
            "zones": {"$ref": ORDER + "zones"},
            "parties": {"$ref": ORDER + "parties"},
        },
        allOf=[requires_when("order_variation_type", values, [part]) for part, values in parts.items()],
    )
    base = {
        "order_id": ORDER_ID,
        "case_id": CASE_ID,
        "order_request_type": "Variation",
        "data_dictionary_version": "DDV6",
    }
    curfew_change = {
        **base,
        "order_variation_type": "Change to Curfew Hours",
        "order_variation_date": "2026-06-01 00:00:00",
        "order_variation_details": "Curfew now starts at 20:00 on weekdays.",
        "service_request_type": "SR08",
        "curfew": {
            "curfew_start": "2026-06-01 20:00:00",
            "curfew_end": "2026-10-01 07:00:00",
            "curfew_duration": [
                {
                    "location": "primary",
                    "allday": "No",
                    "schedule": [
                        {"day": d, "start": "20:00" if d in DAYS[:5] else "19:00", "end": "23:59"} for d in DAYS
                    ],
                }
            ],
        },
    }
    address_change = {
        **base,
        "order_variation_type": "Change to Address",
        "order_variation_date": "2026-07-15 12:00:00",
        "order_variation_details": "The wearer moved; install at the new address.",
        "service_request_type": "SR04",
        "device_wearer": {
            **WEARER,
            "address_1": "99 Sample Avenue",
            "address_2": "Flat 9",
            "address_post_code": "ZZ9 9ZZ",
        },
    }
    zone_added = {
        **base,
        "order_variation_type": "Change to add an Inclusion or Exclusion Zone(s)",
        "order_variation_date": "2026-08-01 09:00:00",
        "order_variation_details": "Second exclusion zone added.",
        "service_request_type": "SR08",
        "zones": {
            "exclusion_zones": [
                *ZONES["exclusion_zones"],
                {
                    "description": "Synthetic exclusion zone: 100 m around 20 Test Lane, Testville",
                    "duration": "Monday to Sunday, all day",
                    "start": "2026-08-01",
                    "end": "2026-10-01",
                },
            ],
            "inclusion_zones": ZONES["inclusion_zones"],
        },
    }
    suspension = {
        **base,
        "order_variation_type": "Order Suspension",
        "order_variation_date": "2026-09-01 00:00:00",
        "order_variation_details": "Monitoring suspended during a hospital stay.",
        "service_request_type": "SR08",
    }
    return message_schema(
        "order-varied",
        "Order varied",
        "CEMO sends a variation of an order the supplier already holds. The parts the variation changes are "
        "sent whole (their full new state), with the same shapes as in order-submitted: a change of address or "
        "personal details carries device_wearer, a zone change carries zones, a change of curfew hours carries "
        "curfew, a change of enforceable condition or device type carries monitoring_order. Order timestamps are "
        "London local time 'yyyy-MM-dd HH:mm:ss'." + PERSON_REFERENCE_NOTE,
        CEMO,
        {"payload": payload},
        [
            example(
                "order-varied",
                CEMO,
                "2026-05-28T10:00:00Z",
                "2026-05-28T10:00:01Z",
                "Curfew hours changed",
                curfew_change,
            ),
            example(
                "order-varied", CEMO, "2026-07-14T09:00:00Z", "2026-07-14T09:00:01Z", "Address changed", address_change
            ),
            example(
                "order-varied", CEMO, "2026-07-31T15:00:00Z", "2026-07-31T15:00:01Z", "Exclusion zone added", zone_added
            ),
            example(
                "order-varied", CEMO, "2026-08-31T16:00:00Z", "2026-08-31T16:00:01Z", "Order suspended", suspension
            ),
        ],
    )


def order_ended() -> Json:
    """End of an order before (or at) its planned end."""
    payload = obj(
        ["order_id", "revocation_date", "service_request_type"],
        {
            "order_id": common("uuid", "The MoJ order id of the order being ended (correlation)."),
            "case_id": common("caseId", "The supplier case for the order, when CEMO already knows it."),
            "data_dictionary_version": {"$ref": ORDER + "dataDictionaryVersion"},
            "revocation_date": london("When monitoring must stop."),
            "reason_for_order_ending_early": text(
                "Why the order ends early; it can carry health or other personal circumstances.",
                1000,
                personal=True,
                examples=["Order revoked by the court", "Bail conditions removed"],
            ),
            "service_request_type": {
                "$ref": ORDER + "serviceRequestType",
                "enum": ["SR21", "SR11"],
                "description": "SR21 revocation of monitoring requirements, SR11 removal of devices (bail).",
            },
        },
    )
    revocation = {
        "order_id": ORDER_ID,
        "case_id": CASE_ID,
        "data_dictionary_version": "DDV6",
        "revocation_date": "2026-09-15 23:59:00",
        "reason_for_order_ending_early": "Order revoked by the court",
        "service_request_type": "SR21",
    }
    bail = {
        "order_id": "5b0e8c1e-6f3a-4b7e-9c2d-1a2b3c4d5e6f",
        "data_dictionary_version": "DDV7",
        "revocation_date": "2026-06-30 23:59:00",
        "reason_for_order_ending_early": "Bail conditions removed",
        "service_request_type": "SR11",
    }
    return message_schema(
        "order-ended",
        "Order ended",
        "CEMO tells the supplier to stop monitoring under an order: a revocation (SR21) or the removal of devices "
        "on bail (SR11). revocation_date is London local time 'yyyy-MM-dd HH:mm:ss'." + PERSON_REFERENCE_NOTE,
        CEMO,
        {"payload": payload},
        [
            example("order-ended", CEMO, "2026-09-14T13:00:00Z", "2026-09-14T13:00:01Z", "Order revoked", revocation),
            example(
                "order-ended",
                CEMO,
                "2026-06-29T11:00:00Z",
                "2026-06-29T11:00:01Z",
                "Bail devices removed",
                bail,
                person=None,
            ),
        ],
    )


# --- field monitoring service ---------------------------------------------------------------------------


def case_created() -> Json:
    """The supplier's reply to order-submitted."""
    case_state = {
        "description": "ServiceNow case state, name and number together.",
        "type": "object",
        "required": ["name", "number"],
        "properties": {
            "name": enum([n for n, _ in CASE_STATES]),
            "number": enum([v for _, v in CASE_STATES]),
        },
        "oneOf": [{"properties": {"name": {"const": n}, "number": {"const": v}}} for n, v in CASE_STATES],
    }
    payload = obj(
        ["orderId", "caseId", "caseState", "createdAt"],
        {
            "orderId": common("uuid", "The order_id of the order-submitted this case answers (correlation)."),
            "caseId": common("caseId"),
            "caseState": {"$ref": "#/$defs/caseState"},
            "createdAt": utc("When the supplier opened the case."),
        },
    )
    new = {
        "orderId": ORDER_ID,
        "caseId": CASE_ID,
        "caseState": {"name": "NEW", "number": 1},
        "createdAt": "2026-03-30T08:00:40Z",
    }
    awaiting = {
        "orderId": "5b0e8c1e-6f3a-4b7e-9c2d-1a2b3c4d5e6f",
        "caseId": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "caseState": {"name": "AWAITING_VALIDATION", "number": 11},
        "createdAt": "2026-05-09T14:31:05Z",
    }
    return message_schema(
        "case-created",
        "Case created",
        "The supplier's reply to order-submitted: it opened a case for the order. orderId equals the order's "
        "order_id; caseId is the ServiceNow sys_id later messages carry. camelCase fields, UTC timestamps."
        + PERSON_REFERENCE_NOTE,
        FMS,
        {"payload": payload, "caseState": case_state},
        [
            example("case-created", FMS, "2026-03-30T08:00:40Z", "2026-03-30T08:00:41Z", "Case opened", new),
            example(
                "case-created",
                FMS,
                "2026-05-09T14:31:05Z",
                "2026-05-09T14:31:06Z",
                "Case opened, awaiting validation",
                awaiting,
                person=None,
            ),
        ],
    )


def visit_completed() -> Json:
    """A field visit finished."""
    payload = obj(
        ["caseId", "visit_id", "visit_type", "outcome", "actual_start", "actual_end"],
        {
            "caseId": common("caseId"),
            "visit_id": common("sysId", "The supplier's id of the visit."),
            "visit_type": enum(VISIT_TYPES, "Why the field officer visited."),
            "outcome": text(
                "Result of the visit.", 100, examples=["completed", "no access", "refused", "device faulty"]
            ),
            "outcome_details": text("What happened, in words.", 4000, personal=True),
            "actual_start": london("When the field officer arrived."),
            "actual_end": london("When the field officer left."),
        },
    )
    install = {
        "caseId": CASE_ID,
        "visit_id": "b0c1d2e3f405162738495a6b7c8d9eaf",
        "visit_type": "install",
        "outcome": "completed",
        "outcome_details": "Tag fitted to the left ankle; home unit installed in the hallway.",
        "actual_start": "2026-04-01 18:10:00",
        "actual_end": "2026-04-01 18:55:00",
    }
    no_access = {
        "caseId": CASE_ID,
        "visit_id": "c1d2e3f405162738495a6b7c8d9eafb0",
        "visit_type": "compliance check",
        "outcome": "no access",
        "outcome_details": "Nobody answered; card left.",
        "actual_start": "2026-05-12 20:30:00",
        "actual_end": "2026-05-12 20:40:00",
    }
    return message_schema(
        "visit-completed",
        "Visit completed",
        "A field officer finished a visit to the wearer (install, reinstall, removal, fault or compliance "
        "check). actual_start and actual_end are the supplier's London local time 'yyyy-MM-dd HH:mm:ss'."
        + PERSON_REFERENCE_NOTE,
        FMS,
        {"payload": payload},
        [
            example(
                "visit-completed", FMS, "2026-04-01T17:55:00Z", "2026-04-01T17:55:03Z", "Install completed", install
            ),
            example(
                "visit-completed",
                FMS,
                "2026-05-12T19:40:00Z",
                "2026-05-12T19:40:02Z",
                "Compliance check, no access",
                no_access,
            ),
        ],
    )


def equipment_installed() -> Json:
    """A device was fitted or installed."""
    payload = obj(
        ["caseId", "device_id", "device_class", "serial_number", "installed_at"],
        {
            "caseId": common("caseId"),
            "device_id": common("deviceId"),
            "device_class": common("deviceClass"),
            "serial_number": text("Manufacturer serial number of the device.", 64, examples=["TST-GPS-000123"]),
            "installed_at": london("When the device was fitted or installed."),
            "visit_id": common("sysId", "The visit during which it was installed."),
        },
    )
    tag = {
        "caseId": CASE_ID,
        "device_id": DEVICE_ID,
        "device_class": "GPS monitoring device",
        "serial_number": "TST-GPS-000123",
        "installed_at": "2026-04-01 18:30:00",
        "visit_id": "b0c1d2e3f405162738495a6b7c8d9eaf",
    }
    hmu = {
        "caseId": CASE_ID,
        "device_id": HMU_ID,
        "device_class": "home monitoring unit",
        "serial_number": "TST-HMU-000456",
        "installed_at": "2026-04-01 18:45:00",
        "visit_id": "b0c1d2e3f405162738495a6b7c8d9eaf",
    }
    return message_schema(
        "equipment-installed",
        "Equipment installed",
        "The supplier fitted or installed a device for a case. device_id is the monitoring data service's id, so "
        "the install correlates with device-activated. installed_at is London local time 'yyyy-MM-dd HH:mm:ss'."
        + PERSON_REFERENCE_NOTE,
        FMS,
        {"payload": payload},
        [
            example("equipment-installed", FMS, "2026-04-01T17:30:00Z", "2026-04-01T17:30:02Z", "GPS tag fitted", tag),
            example(
                "equipment-installed",
                FMS,
                "2026-04-01T17:45:00Z",
                "2026-04-01T17:45:02Z",
                "Home monitoring unit installed",
                hmu,
            ),
        ],
    )


def equipment_removed() -> Json:
    """A device was taken off or collected."""
    payload = obj(
        ["caseId", "device_id", "serial_number", "removed_at", "reason"],
        {
            "caseId": common("caseId"),
            "device_id": common("deviceId"),
            "device_class": common("deviceClass"),
            "serial_number": text("Manufacturer serial number of the device.", 64, examples=["TST-GPS-000123"]),
            "removed_at": london("When the device was removed."),
            "reason": text("Why the device was removed.", 200, examples=["order ended", "device faulty", "replaced"]),
            "visit_id": common("sysId", "The visit during which it was removed."),
        },
    )
    removed = {
        "caseId": CASE_ID,
        "device_id": DEVICE_ID,
        "device_class": "GPS monitoring device",
        "serial_number": "TST-GPS-000123",
        "removed_at": "2026-10-02 10:20:00",
        "reason": "order ended",
        "visit_id": "d2e3f405162738495a6b7c8d9eafb0c1",
    }
    return message_schema(
        "equipment-removed",
        "Equipment removed",
        "The supplier removed a device from a case. removed_at is London local time 'yyyy-MM-dd HH:mm:ss'."
        + PERSON_REFERENCE_NOTE,
        FMS,
        {"payload": payload},
        [example("equipment-removed", FMS, "2026-10-02T09:20:00Z", "2026-10-02T09:20:02Z", "GPS tag removed", removed)],
    )


def violation_defs() -> Json:
    """$defs of violation-raised; violation-updated references the violation."""
    violation = obj(
        ["sys_id", "caseId", "device_wearer", "category", "start", "state", "active"],
        {
            "sys_id": common("sysId", "The supplier's id of the violation; an update carries the same id."),
            "caseId": common("caseId"),
            "device_wearer": common("sysId", "The supplier's id of the device wearer.", personal=True),
            "category": enum(VIOLATION_CATEGORIES, "What was breached."),
            "start": london("When the violation began."),
            "end": london("When the violation ended; absent while it is ongoing."),
            "duration": {
                "description": "Length of the violation in whole seconds (so far, while it is ongoing).",
                "type": "integer",
                "minimum": 0,
            },
            "state": text("Workflow state of the violation.", 50, examples=["Open", "Work in Progress", "Closed"]),
            "active": {"description": "Whether the violation is still being worked.", "type": "boolean"},
            "short_description": text("One-line summary.", 160),
            "response_action": text(
                "What the supplier did about it.", 200, examples=["Call made to wearer", "Escalated"]
            ),
            "reasonable_excuse": common("yesNo", "'Yes' when the wearer gave a reasonable excuse."),
            "authorised_absence": common("yesNo", "'Yes' when the absence was authorised."),
            "out_for_entire_curfew_period": common(
                "yesNo", "'Yes' when the wearer was away for the whole curfew period."
            ),
            "outcome_reason": text(
                "Why the violation ended as it did; required when an excuse is accepted.", 1000, personal=True
            ),
        },
        "A violation record, in full (an update carries the whole current record, not a delta).",
        allOf=[requires_when("reasonable_excuse", ["Yes"], ["outcome_reason"])],
    )
    return {"payload": {"$ref": "#/$defs/violation"}, "violation": violation}


VIOLATION = {
    "sys_id": "e3f405162738495a6b7c8d9eafb0c1d2",
    "caseId": CASE_ID,
    "device_wearer": WEARER_SYS_ID,
    "category": "curfew",
    "start": "2026-06-20 21:05:00",
    "duration": 1800,
    "state": "Open",
    "active": True,
    "short_description": "Wearer absent from the primary address during curfew",
    "response_action": "Call made to wearer",
    "reasonable_excuse": "No",
    "authorised_absence": "No",
    "out_for_entire_curfew_period": "No",
}
VIOLATION_EXCUSED = {
    "sys_id": "f405162738495a6b7c8d9eafb0c1d2e3",
    "caseId": CASE_ID,
    "device_wearer": WEARER_SYS_ID,
    "category": "curfew",
    "start": "2026-07-02 22:10:00",
    "end": "2026-07-03 02:40:00",
    "duration": 16200,
    "state": "Closed",
    "active": False,
    "short_description": "Wearer absent from the primary address during curfew",
    "response_action": "Call made to wearer",
    "reasonable_excuse": "Yes",
    "authorised_absence": "No",
    "out_for_entire_curfew_period": "No",
    "outcome_reason": "Synthetic excuse: attended hospital A&E with a relative; letter provided.",
}


def violation_raised() -> Json:
    """A violation was raised."""
    return message_schema(
        "violation-raised",
        "Violation raised",
        "The supplier raised a violation of the order (curfew, zone, tamper, alcohol, attendance). Field names "
        "are the supplier's; start and end are London local time 'yyyy-MM-dd HH:mm:ss'." + PERSON_REFERENCE_NOTE,
        FMS,
        violation_defs(),
        [
            example(
                "violation-raised",
                FMS,
                "2026-06-20T20:35:00Z",
                "2026-06-20T20:35:04Z",
                "Curfew violation, ongoing",
                VIOLATION,
            ),
            example(
                "violation-raised",
                FMS,
                "2026-07-03T08:00:00Z",
                "2026-07-03T08:00:02Z",
                "Curfew violation with a reasonable excuse",
                VIOLATION_EXCUSED,
            ),
        ],
    )


def violation_updated() -> Json:
    """A violation changed."""
    closed = {
        **VIOLATION,
        "end": "2026-06-20 21:50:00",
        "duration": 2700,
        "state": "Closed",
        "active": False,
        "response_action": "Escalated",
        "outcome_reason": "No excuse given; referred to the responsible officer.",
    }
    excused = {
        **VIOLATION,
        "end": "2026-06-20 21:35:00",
        "state": "Closed",
        "active": False,
        "reasonable_excuse": "Yes",
        "outcome_reason": "Synthetic excuse: stuck on a delayed train.",
    }
    return message_schema(
        "violation-updated",
        "Violation updated",
        "The supplier changed a violation (state, end, excuse, outcome). The payload is the whole current "
        "record with the shape of violation-raised, not a delta; sys_id identifies the violation. start and end "
        "are London local time 'yyyy-MM-dd HH:mm:ss'." + PERSON_REFERENCE_NOTE,
        FMS,
        {"payload": {"$ref": "../violation-raised/v1.json#/$defs/violation"}},
        [
            example(
                "violation-updated",
                FMS,
                "2026-06-21T08:15:00Z",
                "2026-06-21T08:15:02Z",
                "Violation closed and escalated",
                closed,
            ),
            example(
                "violation-updated",
                FMS,
                "2026-06-21T09:00:00Z",
                "2026-06-21T09:00:02Z",
                "Violation closed, reasonable excuse accepted",
                excused,
            ),
        ],
    )


def alert_raised() -> Json:
    """An alert for the responsible officer."""
    payload = obj(
        ["alert_id", "caseId", "alert_class", "alert_type", "raised_at"],
        {
            "alert_id": common("sysId", "The supplier's id of the alert."),
            "caseId": common("caseId"),
            "alert_class": enum(ALERT_CLASSES, "Class of alert."),
            "alert_type": text(
                "The supplier's alert type.", 100, examples=["Strap tamper", "Low battery", "Exclusion zone entry"]
            ),
            "raised_at": london("When the supplier raised the alert."),
            "details": text("What the alert is about, in words.", 4000, personal=True),
        },
    )
    tamper = {
        "alert_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "caseId": CASE_ID,
        "alert_class": "investigation_violation",
        "alert_type": "Strap tamper",
        "raised_at": "2026-06-22 03:12:00",
        "details": "Strap tamper detected on the GPS tag; wearer not answering calls.",
    }
    battery = {
        "alert_id": "1b2c3d4e5f60718293a4b5c6d7e8f90a",
        "caseId": CASE_ID,
        "alert_class": "device_maintenance",
        "alert_type": "Low battery",
        "raised_at": "2026-06-23 17:00:00",
        "details": "Battery below 10% for two hours.",
    }
    return message_schema(
        "alert-raised",
        "Alert raised",
        "The supplier raised an alert on a case. raised_at is London local time 'yyyy-MM-dd HH:mm:ss'."
        + PERSON_REFERENCE_NOTE,
        FMS,
        {"payload": payload},
        [
            example("alert-raised", FMS, "2026-06-22T02:12:00Z", "2026-06-22T02:12:02Z", "Tamper alert", tamper),
            example("alert-raised", FMS, "2026-06-23T16:00:00Z", "2026-06-23T16:00:02Z", "Maintenance alert", battery),
        ],
    )


def monitoring_ended() -> Json:
    """Monitoring stopped on a case."""
    payload = obj(
        ["caseId", "orderId", "ended_at", "reason"],
        {
            "caseId": common("caseId"),
            "orderId": common("uuid", "The MoJ order_id of the order (correlation)."),
            "ended_at": london("When monitoring stopped."),
            "reason": text("Why monitoring ended.", 200, examples=["order end date reached", "order revoked"]),
        },
    )
    ended = {
        "caseId": CASE_ID,
        "orderId": ORDER_ID,
        "ended_at": "2026-10-01 23:59:00",
        "reason": "order end date reached",
    }
    return message_schema(
        "monitoring-ended",
        "Monitoring ended",
        "The supplier stopped monitoring a case. ended_at is London local time 'yyyy-MM-dd HH:mm:ss'."
        + PERSON_REFERENCE_NOTE,
        FMS,
        {"payload": payload},
        [example("monitoring-ended", FMS, "2026-10-01T22:59:00Z", "2026-10-01T22:59:05Z", "Order completed", ended)],
    )


# --- monitoring data service ----------------------------------------------------------------------------

MDSS_NOTE = (
    " The monitoring data service keeps time in UTC: its timestamps are UTC RFC 3339. personReference is"
    " present when the producer can map person_id to a CRN or NOMS number."
)


def device_activated() -> Json:
    """A device started reporting for a person."""
    payload = obj(
        ["device_activation_id", "device_id", "person_id", "device_activation_date", "device_class"],
        {
            "device_activation_id": {"description": "The activation's id.", "type": "integer", "minimum": 1},
            "device_id": common("deviceId"),
            "person_id": common("personId"),
            "device_activation_date": utc("When the device was activated for the person."),
            "device_class": common("deviceClass"),
        },
    )
    activated = {
        "device_activation_id": 7001,
        "device_id": DEVICE_ID,
        "person_id": PERSON_ID,
        "device_activation_date": "2026-04-01T17:31:00Z",
        "device_class": "GPS monitoring device",
    }
    return message_schema(
        "device-activated",
        "Device activated",
        "The monitoring data service activated a device for a person." + MDSS_NOTE,
        MDSS,
        {"payload": payload},
        [
            example(
                "device-activated", MDSS, "2026-04-01T17:31:00Z", "2026-04-01T17:31:01Z", "GPS tag activated", activated
            )
        ],
    )


def device_deactivated() -> Json:
    """A device stopped reporting for a person."""
    payload = {
        "allOf": [{"$ref": "../device-activated/v1.json#/$defs/payload"}],
        "type": "object",
        "required": ["device_deactivation_date"],
        "properties": {"device_deactivation_date": utc("When the device was deactivated.")},
    }
    deactivated = {
        "device_activation_id": 7001,
        "device_id": DEVICE_ID,
        "person_id": PERSON_ID,
        "device_activation_date": "2026-04-01T17:31:00Z",
        "device_deactivation_date": "2026-10-02T09:21:00Z",
        "device_class": "GPS monitoring device",
    }
    return message_schema(
        "device-deactivated",
        "Device deactivated",
        "The monitoring data service deactivated a device: the activation record of device-activated plus "
        "device_deactivation_date." + MDSS_NOTE,
        MDSS,
        {"payload": payload},
        [
            example(
                "device-deactivated",
                MDSS,
                "2026-10-02T09:21:00Z",
                "2026-10-02T09:21:01Z",
                "GPS tag deactivated",
                deactivated,
            )
        ],
    )


def positions_reported() -> Json:
    """A batch of positions."""
    position = obj(
        ["position_id", "device_id", "person_id", "latitude", "longitude", "recorded_date", "mechanism"],
        {
            "position_id": {"description": "The position's id.", "type": "integer", "minimum": 1},
            "device_id": common("deviceId"),
            "person_id": common("personId"),
            "latitude": common("latitude", "Latitude, WGS 84 decimal degrees."),
            "longitude": common("longitude", "Longitude, WGS 84 decimal degrees."),
            "precision": {"description": "Estimated accuracy radius in metres.", "type": "number", "minimum": 0},
            "speed": {"description": "Speed over ground in km/h.", "type": "number", "minimum": 0},
            "direction": {
                "description": "Heading in degrees clockwise from north.",
                "type": "number",
                "minimum": 0,
                "exclusiveMaximum": 360,
            },
            "satellite": {"description": "Number of satellites in the fix.", "type": "integer", "minimum": 0},
            "hdop": {"description": "Horizontal dilution of precision.", "type": "number", "minimum": 0},
            "recorded_date": utc("When the device recorded the position."),
            "mechanism": enum(POSITION_MECHANISMS, "How the position was obtained: 1 GPS, 4 RF, 5 LBS, 6 WIFI."),
        },
    )
    payload = obj(
        ["positions"],
        {"positions": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/position"}}},
    )

    def pos(pid: int, lat: float, lon: float, when: str, mechanism: int, **extra: Any) -> Json:
        return {
            "position_id": pid,
            "device_id": DEVICE_ID,
            "person_id": PERSON_ID,
            "latitude": lat,
            "longitude": lon,
            **extra,
            "recorded_date": when,
            "mechanism": mechanism,
        }

    gps = {"precision": 5.0, "speed": 4.2, "direction": 87.5, "satellite": 9, "hdop": 0.9}
    batch = {
        "positions": [
            pos(900001, 51.5071, -0.1275, "2026-06-20T19:00:00Z", 1, **gps),
            pos(900002, 51.5074, -0.1268, "2026-06-20T19:01:00Z", 1, **{**gps, "speed": 3.8, "satellite": 8}),
            pos(900003, 51.5079, -0.1259, "2026-06-20T19:02:00Z", 6, precision=25.0),
            pos(900004, 51.5102, -0.1201, "2026-06-20T19:03:00Z", 5, precision=350.0),
            pos(900005, 51.5110, -0.1190, "2026-06-20T19:04:00Z", 4, precision=50.0),
        ]
    }
    single = {"positions": [pos(900006, 51.5150, -0.1100, "2026-06-20T19:05:00Z", 1, **gps)]}
    return message_schema(
        "positions-reported",
        "Positions reported",
        "The monitoring data service reports device positions, in batches (one or more positions per message; "
        "positions of several devices or people may share a batch). mechanism is an integer code: 1 GPS, 4 RF, "
        "5 LBS, 6 WIFI. recorded_date is UTC RFC 3339. personReference is omitted: consumers join on person_id.",
        MDSS,
        {"payload": payload, "position": position},
        [
            example(
                "positions-reported",
                MDSS,
                "2026-06-20T19:04:30Z",
                "2026-06-20T19:04:31Z",
                "Batch of five positions",
                batch,
                person=None,
            ),
            example(
                "positions-reported",
                MDSS,
                "2026-06-20T19:05:30Z",
                "2026-06-20T19:05:31Z",
                "Batch of one position",
                single,
                person=None,
            ),
        ],
    )


def device_event_reported() -> Json:
    """A device event such as battery level or tamper."""
    payload = obj(
        [
            "eventId",
            "personId",
            "deviceId",
            "eventStartDateUtc",
            "eventRecordedDateUtc",
            "eventUploadedDateUtc",
            "eventStatusFlags",
            "eventTypeCode",
        ],
        {
            "eventId": {
                "description": "The monitoring data service's id of the device event. Not the envelope's eventId "
                "(the de-duplication hash).",
                "type": "integer",
                "minimum": 1,
            },
            "personId": common("personId"),
            "deviceId": common("deviceId"),
            "eventStartDateUtc": utc("When the event started."),
            "eventEndDateUtc": utc("When the event ended."),
            "eventRecordedDateUtc": utc("When the device recorded the event."),
            "eventUploadedDateUtc": utc("When the device uploaded the event."),
            "eventStatusFlags": {
                "description": f"Status flags of the event. For {BATTERY_CODE} it is the battery percentage (0-100).",
                "type": "integer",
                "minimum": 0,
            },
            "eventTypeCode": {
                "description": "The supplier's event type code.",
                "type": "string",
                "pattern": "^EV_[A-Z0-9_]+$",
                "examples": [BATTERY_CODE, "EV_STRAP_TAMPER", "EV_NO_COMMS", "EV_ZONE_ENTRY", "EV_POWER_LOSS"],
            },
            "eventTypeCriticalityName": text("How critical the event type is.", 50, examples=["Low", "High"]),
        },
        allOf=[
            {
                "if": {"properties": {"eventTypeCode": {"const": BATTERY_CODE}}, "required": ["eventTypeCode"]},
                "then": {"properties": {"eventStatusFlags": {"maximum": 100}}},
            }
        ],
    )
    battery = {
        "eventId": 880001,
        "personId": PERSON_ID,
        "deviceId": DEVICE_ID,
        "eventStartDateUtc": "2026-06-23T14:00:00Z",
        "eventEndDateUtc": "2026-06-23T14:00:00Z",
        "eventRecordedDateUtc": "2026-06-23T14:00:00Z",
        "eventUploadedDateUtc": "2026-06-23T14:00:20Z",
        "eventStatusFlags": 8,
        "eventTypeCode": BATTERY_CODE,
        "eventTypeCriticalityName": "Low",
    }
    tamper = {
        "eventId": 880002,
        "personId": PERSON_ID,
        "deviceId": DEVICE_ID,
        "eventStartDateUtc": "2026-06-22T02:10:00Z",
        "eventEndDateUtc": "2026-06-22T02:11:30Z",
        "eventRecordedDateUtc": "2026-06-22T02:10:00Z",
        "eventUploadedDateUtc": "2026-06-22T02:10:05Z",
        "eventStatusFlags": 0,
        "eventTypeCode": "EV_STRAP_TAMPER",
        "eventTypeCriticalityName": "High",
    }
    return message_schema(
        "device-event-reported",
        "Device event reported",
        "The monitoring data service reports a device event (battery level, tamper, strap, no communication, "
        f"zone entry, power loss). For {BATTERY_CODE} the battery percentage is in eventStatusFlags. camelCase "
        "fields; every *DateUtc is UTC RFC 3339. personReference is present when the producer can map personId "
        "to a CRN or NOMS number.",
        MDSS,
        {"payload": payload},
        [
            example(
                "device-event-reported", MDSS, "2026-06-23T14:00:00Z", "2026-06-23T14:00:21Z", "Battery at 8%", battery
            ),
            example(
                "device-event-reported", MDSS, "2026-06-22T02:10:00Z", "2026-06-22T02:10:06Z", "Strap tamper", tamper
            ),
        ],
    )


def supplier_file_delivered() -> Json:
    """A bulk file was dropped for the datastore."""
    payload = obj(
        ["file_name", "sha256", "record_count", "feed", "delivered_at"],
        {
            "file_name": {
                "description": "Name of the delivered JSON Lines file (no directory).",
                "type": "string",
                "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*\\.jsonl$",
                "maxLength": 255,
            },
            "sha256": {
                "description": "SHA-256 of the file's bytes, lower-case hex.",
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
            },
            "record_count": {"description": "Number of lines (records) in the file.", "type": "integer", "minimum": 0},
            "feed": {
                "description": "Which feed the file belongs to. Migration from an old supplier uses the same feeds.",
                "type": "string",
                "pattern": "^[a-z]+(-[a-z]+)*$",
                "examples": ["positions", "device-events", "device-activations", "violations"],
            },
            "delivered_at": utc("When the file was delivered."),
        },
    )
    positions_file = {
        "file_name": "positions-2026-06-20.jsonl",
        "sha256": "9f2c4e8a1b7d3f6e0a5c9b2d4f8e1a7c3b6d0f9e2a5c8b1d4f7e0a3c6b9d2f5e",
        "record_count": 14400,
        "feed": "positions",
        "delivered_at": "2026-06-21T01:00:00Z",
    }
    migration = {
        "file_name": "violations-migration-0001.jsonl",
        "sha256": "1d4f7e0a3c6b9d2f5e8a1b4c7d0e3f6a9b2c5d8e1f4a7b0c3d6e9f2a5b8c1d4e",
        "record_count": 2500,
        "feed": "violations",
        "delivered_at": "2026-06-21T02:30:00Z",
    }
    return message_schema(
        "supplier-file-delivered",
        "Supplier file delivered",
        "The supplier dropped a bulk JSON Lines file for the datastore; a file that fails its checks is "
        "quarantined. delivered_at is UTC RFC 3339. No person is referenced.",
        MDSS,
        {"payload": payload},
        [
            example(
                "supplier-file-delivered",
                MDSS,
                "2026-06-21T01:00:00Z",
                "2026-06-21T01:00:01Z",
                "Daily positions file",
                positions_file,
                person=None,
            ),
            example(
                "supplier-file-delivered",
                MDSS,
                "2026-06-21T02:30:00Z",
                "2026-06-21T02:30:01Z",
                "Migration file of violations",
                migration,
                person=None,
            ),
        ],
    )


BUILDERS = [
    order_submitted,
    order_varied,
    order_ended,
    case_created,
    visit_completed,
    equipment_installed,
    equipment_removed,
    device_activated,
    device_deactivated,
    positions_reported,
    device_event_reported,
    violation_raised,
    violation_updated,
    alert_raised,
    monitoring_ended,
    supplier_file_delivered,
]


def render(schema: Json) -> str:
    """Committed form: indent 2, trailing newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write (or with --check, compare) every generated schema."""
    check = "--check" in argv
    stale = []
    for build in BUILDERS:
        schema = build()
        message = schema["$id"].split("/")[-2]
        path = ROOT / "schemas" / message / "v1.json"
        content = render(schema)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    if stale:
        print("out of date (run python scripts/gen_schemas.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
