"""Probation alerts: supplier violations and alerts turned into actions for the responsible officer."""
