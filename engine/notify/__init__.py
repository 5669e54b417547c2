"""Delivering queued notifications through the channels a YAML channel file configures."""
