#!/usr/bin/env python3
"""The kill harness's own checks, proven able to fail: a wrong, missing, stale or doubled row is reported,
values equal across type systems compare equal and different ones do not, a torn export or a corrupted
SQLite file is caught, and the fake SaaS pages through every record once. (ctest: reliability_selftest)"""

import json
import random
import sqlite3
import tempfile
import unittest
import urllib.request
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import datasets
import fake_saas
from kill_harness import integrity_of_copy, wrong_rows


class WrongRows(unittest.TestCase):
    def test_equal_tables_have_no_wrong_row(self):
        self.assertEqual(wrong_rows({1: ("a",), 2: ("b",)}, {1: [("a",)], 2: [("b",)]}), [])

    def test_each_kind_of_wrong_row_is_reported(self):
        truth = {1: ("a",), 2: ("b",), 3: ("c",)}
        landed = {1: [("a",), ("a",)], 2: [("B",)], 4: [("d",)]}
        kinds = sorted((key, what) for key, what, _ in wrong_rows(truth, landed))
        self.assertEqual(kinds, [(1, "2 copies"), (2, "differs"), (3, "missing"), (4, "stale row (not in the source)")])


class CanonicalValues(unittest.TestCase):
    def row(self, *values):
        return datasets.canon_row(datasets.COLUMNS, values)

    def test_the_same_row_from_postgres_json_and_sqlite_compares_equal(self):
        from_pg = self.row(7, "x", 3, Decimal("12.50"), "t", "2026-01-01T00:00:01+00:00")
        from_sqlite = self.row(7, "x", 3, 12.5, 1, "2026-01-01T00:00:01.000000Z")
        self.assertEqual(from_pg, from_sqlite)

    def test_a_cent_a_microsecond_a_flag_or_a_null_differs(self):
        base = self.row(7, "x", 3, 12.5, True, "2026-01-01T00:00:01.000000Z")
        self.assertNotEqual(base, self.row(7, "x", 3, 12.51, True, "2026-01-01T00:00:01.000000Z"))
        self.assertNotEqual(base, self.row(7, "x", 3, 12.5, True, "2026-01-01T00:00:01.000001Z"))
        self.assertNotEqual(base, self.row(7, "x", 3, 12.5, False, "2026-01-01T00:00:01.000000Z"))
        self.assertNotEqual(base, self.row(7, None, 3, 12.5, True, "2026-01-01T00:00:01.000000Z"))


class Files(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="kill-selftest-"))

    def test_a_torn_export_fails_to_read_and_a_doubled_key_is_kept_twice(self):
        columns = [("id", "int"), ("name", "text")]
        (self.dir / "m.jsonl").write_text('{"id":1,"name":"a"}\n{"id":1,"name":"a"}\n')
        self.assertEqual(datasets.FileDest(self.dir).rows("m", columns), {1: [(1, "a"), (1, "a")]})
        (self.dir / "m.jsonl").write_text('{"id":1,"name":"a"}\n{"id":2,"na')
        with self.assertRaises(json.JSONDecodeError):
            datasets.FileDest(self.dir).rows("m", columns)

    def test_integrity_check_catches_a_damaged_page(self):
        path = self.dir / "x.db"
        with closing(sqlite3.connect(path)) as db, db:
            db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            db.execute("CREATE INDEX t_v ON t(v)")
            db.executemany("INSERT INTO t VALUES (?, ?)", [(i, "v" * 50 + str(i)) for i in range(2000)])
        self.assertEqual(integrity_of_copy(path, self.dir / "scratch")[0], True)
        data = bytearray(path.read_bytes())
        data[4096 * 3 + 100: 4096 * 3 + 400] = bytes(300)  # zero part of a b-tree page
        path.write_bytes(bytes(data))
        self.assertEqual(integrity_of_copy(path, self.dir / "scratch")[0], False)


class FakeSaasPages(unittest.TestCase):
    def setUp(self):
        self.source = datasets.RestSource(random.Random(1))
        self.source.create(950)  # items: 950 records, notes: 237

    def tearDown(self):
        self.source.close()

    def get(self, query):
        request = urllib.request.Request(f"{self.source.fake.base_url}/items?{query}")
        request.add_header("Authorization", f"Bearer {fake_saas.TOKEN}")
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())

    def read_all(self, query):
        seen, cursor = [], None
        while True:
            page = self.get(query + (f"&cursor={cursor}" if cursor else ""))
            seen += [r["id"] for r in page["results"]]
            cursor = page["next"]
            if not cursor:
                return seen, page

    def test_a_full_read_pages_through_every_record_once_and_a_page_asked_again_is_the_same(self):
        seen, _ = self.read_all("page_size=100")
        self.assertEqual(sorted(seen), list(range(1, 951)))
        first = self.get("page_size=100")
        self.assertEqual(self.get(f"page_size=100&cursor={first['next']}"),
                         self.get(f"page_size=100&cursor={first['next']}"))

    def test_an_incremental_read_returns_the_changes_with_deletes_as_tombstones(self):
        _, last = self.read_all("page_size=100")
        since = last["results"][-1]["modified_at"]
        changes = self.source.mutate(0.02)["crm.items"]
        seen, _ = self.read_all(f"page_size=100&modified_after={since.replace('+', '%2B')}")
        self.assertEqual(len(set(seen)), changes.inserted + changes.updated + changes.deleted + 1)  # + the last row
        alive = self.source.rows("crm.items")
        self.assertEqual(len(alive), 950 + changes.inserted - changes.deleted)


if __name__ == "__main__":
    unittest.main()
