"""The bottom layer: what every other layer shares (schema, settings, text folding, numerals,
the keyword tokenizer, the embedding model). Imports nothing from the project."""
