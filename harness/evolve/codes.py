"""The change codes a comparison reports, and whether each keeps a new reader able to read old data.

Names follow Confluent Schema Registry's JSON Schema differences
(io.confluent.kafka.schemaregistry.json.diff.Difference.Type), so people who already know that
registry recognise them; the classification is Confluent's "compatible for BACKWARD" set. A few
keywords Confluent does not diff get codes of their own, named the same way and marked
`confluent=False` (format, contains, if/then/else).

The classification is the default for a code. A comparison may mark one occurrence otherwise when
the context decides it (`--lenient`, or an old schema whose types or values already satisfy the new
rule); the change's own `compatible` flag is what counts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    name: str
    compatible: bool
    meaning: str
    confluent: bool = True


_TABLE: list[tuple[str, bool, str]] = [
    # annotations
    ("ID_CHANGED", True, "a subschema's $id changed"),
    ("DESCRIPTION_CHANGED", True, "description changed"),
    ("TITLE_CHANGED", True, "title changed"),
    ("DEFAULT_CHANGED", True, "default value changed"),
    # whole subschemas
    ("SCHEMA_ADDED", False, "a subschema now constrains values that were unconstrained"),
    ("SCHEMA_REMOVED", True, "a subschema no longer constrains values"),
    ("TYPE_EXTENDED", True, "more JSON types accepted (integer to number counts)"),
    ("TYPE_NARROWED", False, "fewer JSON types accepted"),
    ("TYPE_CHANGED", False, "different JSON types accepted"),
    # strings
    ("MAX_LENGTH_ADDED", False, "maxLength added"),
    ("MAX_LENGTH_REMOVED", True, "maxLength removed"),
    ("MAX_LENGTH_INCREASED", True, "maxLength increased"),
    ("MAX_LENGTH_DECREASED", False, "maxLength decreased"),
    ("MIN_LENGTH_ADDED", False, "minLength added"),
    ("MIN_LENGTH_REMOVED", True, "minLength removed"),
    ("MIN_LENGTH_INCREASED", False, "minLength increased"),
    ("MIN_LENGTH_DECREASED", True, "minLength decreased"),
    ("PATTERN_ADDED", False, "pattern added"),
    ("PATTERN_REMOVED", True, "pattern removed"),
    ("PATTERN_CHANGED", False, "pattern changed"),
    # numbers
    ("MAXIMUM_ADDED", False, "maximum added"),
    ("MAXIMUM_REMOVED", True, "maximum removed"),
    ("MAXIMUM_INCREASED", True, "maximum increased"),
    ("MAXIMUM_DECREASED", False, "maximum decreased"),
    ("MINIMUM_ADDED", False, "minimum added"),
    ("MINIMUM_REMOVED", True, "minimum removed"),
    ("MINIMUM_INCREASED", False, "minimum increased"),
    ("MINIMUM_DECREASED", True, "minimum decreased"),
    ("EXCLUSIVE_MAXIMUM_ADDED", False, "exclusiveMaximum added"),
    ("EXCLUSIVE_MAXIMUM_REMOVED", True, "exclusiveMaximum removed"),
    ("EXCLUSIVE_MAXIMUM_INCREASED", True, "exclusiveMaximum increased"),
    ("EXCLUSIVE_MAXIMUM_DECREASED", False, "exclusiveMaximum decreased"),
    ("EXCLUSIVE_MINIMUM_ADDED", False, "exclusiveMinimum added"),
    ("EXCLUSIVE_MINIMUM_REMOVED", True, "exclusiveMinimum removed"),
    ("EXCLUSIVE_MINIMUM_INCREASED", False, "exclusiveMinimum increased"),
    ("EXCLUSIVE_MINIMUM_DECREASED", True, "exclusiveMinimum decreased"),
    ("MULTIPLE_OF_ADDED", False, "multipleOf added"),
    ("MULTIPLE_OF_REMOVED", True, "multipleOf removed"),
    ("MULTIPLE_OF_EXPANDED", False, "multipleOf became a multiple of the old one"),
    ("MULTIPLE_OF_REDUCED", True, "multipleOf became a divisor of the old one"),
    ("MULTIPLE_OF_CHANGED", False, "multipleOf changed otherwise"),
    # objects
    ("REQUIRED_ATTRIBUTE_ADDED", False, "a property became required"),
    ("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", True, "a property with a default became required"),
    ("REQUIRED_ATTRIBUTE_REMOVED", True, "a property is no longer required"),
    ("DEPENDENCY_ARRAY_ADDED", False, "dependentRequired entry added"),
    ("DEPENDENCY_ARRAY_REMOVED", True, "dependentRequired entry removed"),
    ("DEPENDENCY_ARRAY_EXTENDED", False, "dependentRequired entry requires more properties"),
    ("DEPENDENCY_ARRAY_NARROWED", True, "dependentRequired entry requires fewer properties"),
    ("DEPENDENCY_ARRAY_CHANGED", False, "dependentRequired entry requires other properties"),
    ("DEPENDENCY_SCHEMA_ADDED", False, "dependentSchemas entry added"),
    ("DEPENDENCY_SCHEMA_REMOVED", True, "dependentSchemas entry removed"),
    ("MAX_PROPERTIES_ADDED", False, "maxProperties added"),
    ("MAX_PROPERTIES_REMOVED", True, "maxProperties removed"),
    ("MAX_PROPERTIES_INCREASED", True, "maxProperties increased"),
    ("MAX_PROPERTIES_DECREASED", False, "maxProperties decreased"),
    ("MIN_PROPERTIES_ADDED", False, "minProperties added"),
    ("MIN_PROPERTIES_REMOVED", True, "minProperties removed"),
    ("MIN_PROPERTIES_INCREASED", False, "minProperties increased"),
    ("MIN_PROPERTIES_DECREASED", True, "minProperties decreased"),
    ("ADDITIONAL_PROPERTIES_ADDED", True, "undeclared properties now allowed"),
    ("ADDITIONAL_PROPERTIES_REMOVED", False, "undeclared properties no longer allowed"),
    ("ADDITIONAL_PROPERTIES_EXTENDED", True, "undeclared properties' schema widened to anything"),
    ("ADDITIONAL_PROPERTIES_NARROWED", False, "undeclared properties now constrained by a schema"),
    ("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", False, "property declared where any property was allowed"),
    ("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", True, "property with an empty schema declared"),
    ("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", False, "required property added to a closed model"),
    (
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
        True,
        "required property with a default added to a closed model",
    ),
    ("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", True, "optional property added to a closed model"),
    ("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", True, "property removed; any value is still allowed"),
    ("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", False, "property removed; it is no longer allowed"),
    ("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", True, "forbidden property removed"),
    ("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", True, "property added within what was allowed"),
    (
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        False,
        "property added, narrower than what was allowed",
    ),
    (
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        True,
        "property removed; additional/pattern properties still allow it",
    ),
    (
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        False,
        "property removed; additional/pattern properties reject its old values",
    ),
    # arrays
    ("MAX_ITEMS_ADDED", False, "maxItems added"),
    ("MAX_ITEMS_REMOVED", True, "maxItems removed"),
    ("MAX_ITEMS_INCREASED", True, "maxItems increased"),
    ("MAX_ITEMS_DECREASED", False, "maxItems decreased"),
    ("MIN_ITEMS_ADDED", False, "minItems added"),
    ("MIN_ITEMS_REMOVED", True, "minItems removed"),
    ("MIN_ITEMS_INCREASED", False, "minItems increased"),
    ("MIN_ITEMS_DECREASED", True, "minItems decreased"),
    ("UNIQUE_ITEMS_ADDED", False, "uniqueItems added"),
    ("UNIQUE_ITEMS_REMOVED", True, "uniqueItems removed"),
    ("ADDITIONAL_ITEMS_ADDED", True, "items after the tuple now allowed"),
    ("ADDITIONAL_ITEMS_REMOVED", False, "items after the tuple no longer allowed"),
    ("ADDITIONAL_ITEMS_EXTENDED", True, "items after the tuple widened to anything"),
    ("ADDITIONAL_ITEMS_NARROWED", False, "items after the tuple now constrained by a schema"),
    ("ITEM_ADDED_TO_OPEN_CONTENT_MODEL", False, "tuple position declared where any item was allowed"),
    ("ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", True, "tuple position with an empty schema declared"),
    ("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", True, "tuple position added to a closed tuple"),
    ("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", True, "tuple position removed; any item still allowed"),
    ("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", False, "tuple position removed; no item allowed there now"),
    ("ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", True, "tuple position added within what was allowed"),
    (
        "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        False,
        "tuple position added, narrower than what was allowed",
    ),
    (
        "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        True,
        "tuple position removed; the rest schema still allows it",
    ),
    (
        "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        False,
        "tuple position removed; the rest schema rejects its old values",
    ),
    # enumerations
    ("ENUM_ARRAY_EXTENDED", True, "enum/const allows more values (or was removed)"),
    ("ENUM_ARRAY_NARROWED", False, "enum/const allows fewer values (or was added)"),
    ("ENUM_ARRAY_CHANGED", False, "enum/const allows other values"),
    # combined schemas
    ("COMBINED_TYPE_EXTENDED", True, "combination became anyOf, or a oneOf/anyOf was dropped"),
    ("COMBINED_TYPE_CHANGED", False, "combination criterion changed (anyOf to oneOf, to allOf)"),
    ("PRODUCT_TYPE_EXTENDED", False, "allOf gained a subschema the old schema does not satisfy"),
    ("PRODUCT_TYPE_NARROWED", True, "allOf lost subschemas"),
    ("SUM_TYPE_EXTENDED", True, "anyOf/oneOf gained subschemas, or a schema became one of them"),
    ("SUM_TYPE_NARROWED", False, "anyOf/oneOf lost subschemas old values matched"),
    ("COMBINED_TYPE_SUBSCHEMAS_CHANGED", False, "a subschema old values matched has no compatible counterpart"),
    ("NOT_TYPE_EXTENDED", False, "not excludes more values"),
    ("NOT_TYPE_NARROWED", True, "not excludes fewer values"),
]

_HARNESS: list[tuple[str, bool, str]] = [
    ("FORMAT_ADDED", False, "format added (formats are asserted by this harness)"),
    ("FORMAT_REMOVED", True, "format removed"),
    ("FORMAT_CHANGED", False, "format changed"),
    ("CONTAINS_ADDED", False, "contains added"),
    ("CONTAINS_REMOVED", True, "contains removed"),
    ("CONDITIONAL_ADDED", False, "if/then/else added"),
    ("CONDITIONAL_REMOVED", True, "if/then/else removed"),
    ("CONDITIONAL_CHANGED", False, "if condition changed"),
]

CODES: dict[str, Code] = {
    **{name: Code(name, compatible, meaning) for name, compatible, meaning in _TABLE},
    **{name: Code(name, compatible, meaning, confluent=False) for name, compatible, meaning in _HARNESS},
}
