"""The embedded document store: the pymongo subset ``services/store`` uses, on SQLite.

``DocClient(directory)[name]`` is a database whose collections answer ``find``/``find_one``
(``projection``, ``sort``, ``skip``, ``limit``), ``insert_one``, ``update_one``/``update_many``,
``find_one_and_update`` (``upsert``, ``return_document``), ``delete_one``/``delete_many`` and
``create_index`` (``unique``, ``sparse``) with pymongo's results and ``DuplicateKeyError``, so
the repositories keep one code path for MongoDB and the embedded store.
"""

from services.store.docstore.database import Database, DocClient

__all__ = ["Database", "DocClient"]
