"""`em-harness stub`: a supplier stub built from the contract (states, pact examples, flows, schemas)."""
