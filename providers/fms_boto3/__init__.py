"""The reference Field Monitoring Service on SNS/SQS, written with plain boto3 (no FastStream, no kit).

`python -m providers.fms_boto3` (started by `em-harness verify --bus sqs://... --supplier-cmd ...`): the
FMS's domain logic (providers/field_monitoring/service.py) behind a transport written from the wire protocol
alone, as a supplier's own team would write it: see __main__.py.
"""
