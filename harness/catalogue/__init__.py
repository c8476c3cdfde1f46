"""The catalogue: schemas, asyncapi.yaml, pacts, provider states and flows, loaded and cross-checked."""
