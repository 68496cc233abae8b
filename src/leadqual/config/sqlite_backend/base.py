"""Django's SQLite backend, told how many variables this SQLite allows per query.

Django assumes SQLite's old default of 999 variables per statement and splits
every bulk insert and update of a few hundred rows into a dozen queries. SQLite
3.32 and newer allow 32,766; the limit is read from the connection itself, so
an older or differently built SQLite still gets what it supports.
"""

from __future__ import annotations

import sqlite3

from django.db.backends.sqlite3 import base, features

# SQLITE_MAX_VARIABLE_NUMBER of the SQLite that Python links, read once.
_probe = sqlite3.connect(":memory:")
try:
    VARIABLES_PER_QUERY = _probe.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
finally:
    _probe.close()


class DatabaseFeatures(features.DatabaseFeatures):
    max_query_params = VARIABLES_PER_QUERY


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
