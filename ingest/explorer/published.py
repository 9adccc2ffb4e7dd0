"""Where the explorer's Datasette finds the files a publish writes beside its database."""

from pathlib import Path

from ingest.paths import DATABASE_NAME


def publish_folder(datasette) -> Path | None:
    """The publish dir: the database, status.json and incidents.json; None without a naap database."""
    try:
        return Path(datasette.get_database(DATABASE_NAME).path).parent
    except KeyError:
        return None
