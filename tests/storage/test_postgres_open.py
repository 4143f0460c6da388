"""Opening PostgreSQL storage for reading only (``create=False``) creates nothing."""

from __future__ import annotations

import pytest

from caviar import StorageError, get_storage

pytestmark = pytest.mark.postgres


def test_create_false_refuses_a_database_without_caviar_tables_and_creates_none():
    import psycopg

    from pgsupport import POSTGRES_URL, postgres_schema

    with postgres_schema(POSTGRES_URL) as url:
        with pytest.raises(StorageError) as e:
            get_storage(url, create=False)
        assert "no database at this URL" in str(e.value)
        assert "run caviar tune first" in str(e.value)
        with psycopg.connect(url) as con:
            tables = con.execute("SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_schema = current_schema()").fetchone()
        assert tables == (0,)
        get_storage(url).close()  # the default creates the schema
        store = get_storage(url, create=False)
        assert store.list_studies() == []
        store.close()
