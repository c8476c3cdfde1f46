"""The gate's ASGI app: the matrix pages and the Pact Broker API subset (Starlette)."""
