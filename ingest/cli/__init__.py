"""The `naap` command: `main` parses, `commands` runs a verb, `console` prints."""
