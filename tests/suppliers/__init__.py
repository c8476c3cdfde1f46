"""Supplier variants the tests need that are not among providers/faulty (each is caught by one test only)."""
