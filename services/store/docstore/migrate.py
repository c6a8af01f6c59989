"""One-shot import of a data directory written by the former embedded store (litemongo).

Servers before the SQLite document store kept ``DATA_DIR/mongo`` (litemongo files). On the
first open of the new store, every document there is copied over (``_id`` kept) in one
transaction, and a marker row makes the import happen once; the old folder is left untouched
(delete it once the server runs well).
"""

import logging

log = logging.getLogger(__name__)
MARKER = "litemongo_import"


def import_litemongo(old_dir, name, db):
    """Copy database ``name`` from litemongo files under ``old_dir`` into ``db`` once; return
    the number of documents copied (0 when there is nothing to import or it was done)."""
    if not old_dir.is_dir() or not any(old_dir.iterdir()):
        return 0
    with db.transaction() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT)")
        if conn.execute("SELECT 1 FROM _meta WHERE key = ?", (MARKER,)).fetchone():
            return 0
    import litemongo

    source = litemongo.connect(str(old_dir))
    try:
        old = source[name]
        names = old.list_collection_names()
        collections = {n: db[n] for n in names}
        copied = 0
        with db.transaction() as conn:
            for coll_name in names:
                for doc in old[coll_name].find({}):
                    collections[coll_name]._insert(conn, doc)
                    copied += 1
            conn.execute("INSERT INTO _meta (key, value) VALUES (?, ?)", (MARKER, str(copied)))
    finally:
        source.close()
    log.warning("imported %d documents of %s from the former store in %s (left in place)",
                copied, name, old_dir)
    return copied
