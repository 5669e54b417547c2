"""Importing contracts from CSV and XLSX ledgers through a YAML column mapping."""
