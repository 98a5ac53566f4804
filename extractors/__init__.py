"""Bytes -> text and tables, one module per format. See `extractors.base` for the output type."""
