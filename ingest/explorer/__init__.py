"""The Datasette explorer over the published database: `naap serve` and its generated metadata.yml."""
