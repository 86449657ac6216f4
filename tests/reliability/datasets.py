"""The kill harness's sources (what ferry reads, and the truth it must end up with) and destinations (what
ferry wrote), read straight from their databases and files, and the canonical form both are compared in.

Every source holds two tables, `items` and the smaller `notes`, with the same columns; between runs the
harness mutates them (updates, inserts, deletes) and knows exactly how many of each it made."""

import json
import sqlite3
from contextlib import closing
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import fake_saas

COLUMNS = [("id", "int"), ("name", "text"), ("qty", "int"), ("price", "num"), ("active", "bool"),
           ("updated_at", "ts")]
TABLES = {"items": 1.0, "notes": 0.25}  # table: its share of --rows
STEP_US = 1_000_000  # one second between rows' timestamps: a REST lookback (60 s) re-reads few rows


@dataclass
class Changes:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0


# ---- canonical values: the same row compares equal whatever types a source or destination gave it ----

def canon(kind, value):
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "num":
        return Decimal(str(value)).normalize()
    if kind == "bool":
        if isinstance(value, str):
            return value.lower() in ("t", "true", "1")
        return bool(value)
    if kind == "ts":
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if kind == "text":
        return str(value)
    return value  # "raw": compared as stored


def canon_row(columns, values):
    return tuple(canon(kind, v) for (_, kind), v in zip(columns, values))


def timestamp(micros):
    return fake_saas.rfc3339(micros)


class RowMaker:
    """Seeded rows and a logical clock: every change gets a later timestamp than anything before it."""

    def __init__(self, rng):
        self.rng = rng
        self.clock_us = 0

    def tick(self):
        self.clock_us += STEP_US
        return self.clock_us

    def values(self, ident):
        rng = self.rng
        name = None if rng.random() < 0.05 else f"n{ident}-{rng.randrange(10**6)}"
        return [ident, name, rng.randrange(-1000, 100000), rng.randrange(0, 10**7) / 100, rng.random() < 0.5,
                timestamp(self.tick())]

    def plan(self, ids, fraction):
        """Which existing ids to update and delete (disjoint), and how many to insert."""
        n = max(1, int(len(ids) * fraction))
        chosen = self.rng.sample(sorted(ids), min(len(ids), n + max(1, n // 2)))
        return chosen[:n], chosen[n:], n


# ---- sources ----

class SqliteSourceDb:
    sweeps = True  # an incremental read lists the keys: deletes are found by the key sweep

    def __init__(self, path, rng):
        self.path = Path(path)
        self.maker = RowMaker(rng)
        self.models = list(TABLES)

    def connection(self, relpath):
        return {"source_type": "sqlite", "config": {"path": relpath, "batch_size": 200}}

    def create(self, rows):
        with closing(sqlite3.connect(self.path)) as db, db:
            for table, share in TABLES.items():
                db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, price REAL, "
                           f"active BOOLEAN, updated_at TEXT)")
                db.execute(f"CREATE INDEX {table}_updated ON {table}(updated_at, id)")
                db.executemany(f"INSERT INTO {table} VALUES (?,?,?,?,?,?)",
                               (self.maker.values(i) for i in range(1, int(rows * share) + 1)))

    def model_table(self, model):
        return model

    def rows(self, model):
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as db:
            cur = db.execute(f"SELECT {', '.join(c for c, _ in COLUMNS)} FROM {self.model_table(model)}")
            return {r[0]: canon_row(COLUMNS, r) for r in cur}

    def mutate(self, fraction):
        changes = {}
        with closing(sqlite3.connect(self.path)) as db, db:
            for model in self.models:
                table = self.model_table(model)
                ids = [r[0] for r in db.execute(f"SELECT id FROM {table}")]
                updates, deletes, inserts = self.maker.plan(ids, fraction)
                for ident in updates:
                    v = self.maker.values(ident)
                    db.execute(f"UPDATE {table} SET name=?, qty=?, price=?, active=?, updated_at=? WHERE id=?",
                               (*v[1:], ident))
                db.executemany(f"DELETE FROM {table} WHERE id=?", [(i,) for i in deletes])
                top = max(ids, default=0)
                db.executemany(f"INSERT INTO {table} VALUES (?,?,?,?,?,?)",
                               (self.maker.values(top + k) for k in range(1, inserts + 1)))
                changes[model] = Changes(inserts, len(updates), len(deletes))
        return changes


def psql(url, sql, stdin=None):
    """Runs `sql` (on stdin unless `stdin` carries COPY data: a mutation's statements can be long)."""
    args = ["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", url]
    args += ["-c", sql] if stdin is not None else ["-f", "-"]
    return subprocess.run(args, input=sql if stdin is None else stdin, check=True, capture_output=True,
                          text=True).stdout


def pg_rows(url, qualified, columns):
    names = ", ".join(f'"{c}"' for c, _ in columns)
    text = psql(url, f"SELECT coalesce(json_agg(json_build_array({names})), '[]') FROM {qualified}")
    return {r[0]: canon_row(columns, r) for r in json.loads(text, parse_float=Decimal)}


def pg_copy_text(value):
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


class PostgresSourceDb:
    sweeps = True

    def __init__(self, url, rng):
        self.url = url
        self.maker = RowMaker(rng)
        self.models = [f"public.{t}" for t in TABLES]

    def connection(self):
        return {"source_type": "postgres", "config": {"url": self.url, "batch_size": 500}}

    def create(self, rows):
        for table, share in TABLES.items():
            psql(self.url, f"CREATE TABLE {table} (id bigint PRIMARY KEY, name text, qty int, price numeric(12,2), "
                           f"active boolean, updated_at timestamptz)")
            self._copy_in(table, [self.maker.values(i) for i in range(1, int(rows * share) + 1)])

    def _copy_in(self, table, rows):
        data = "".join("\t".join(pg_copy_text(v) for v in row) + "\n" for row in rows)
        psql(self.url, f"COPY {table} FROM STDIN", stdin=data)

    def rows(self, model):
        return pg_rows(self.url, model, COLUMNS)

    def mutate(self, fraction):
        changes = {}
        for model in self.models:
            ids = [int(x) for x in psql(self.url, f"SELECT id FROM {model}").split()]
            updates, deletes, inserts = self.maker.plan(ids, fraction)
            top = max(ids, default=0)
            new_rows = [self.maker.values(top + k) for k in range(1, inserts + 1)]
            fresh = [self.maker.values(i) for i in updates]
            statements = [f"DELETE FROM {model} WHERE id IN ({','.join(map(str, deletes))});"] if deletes else []
            for v in fresh:
                name = "NULL" if v[1] is None else f"'{v[1]}'"
                statements.append(f"UPDATE {model} SET name={name}, qty={v[2]}, price={v[3]}, active={v[4]}, "
                                  f"updated_at='{v[5]}' WHERE id={v[0]};")
            psql(self.url, "BEGIN;" + "".join(statements) + "COMMIT;")
            self._copy_in(model, new_rows)
            changes[model] = Changes(inserts, len(updates), len(deletes))
        return changes


class RestSource:
    """The fake SaaS: deletes arrive as tombstones in the incremental read (no key sweep)."""
    sweeps = False
    PATHS = {"crm.items": "/items", "crm.notes": "/notes"}
    FIELDS = [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"},
              {"name": "qty", "type": "integer"}, {"name": "price", "type": "number"},
              {"name": "active", "type": "boolean"}, {"name": "modified_at", "type": "timestamp"},
              {"name": "remote_was_deleted", "type": "boolean"}]

    def __init__(self, rng):
        self.maker = RowMaker(rng)
        self.models = list(self.PATHS)
        self.fake = fake_saas.FakeSaas({path: {} for path in self.PATHS.values()})

    def record(self, ident):
        v = self.maker.values(ident)
        return {"id": v[0], "name": v[1], "qty": v[2], "price": v[3], "active": v[4],
                "modified_us": self.maker.clock_us, "deleted": False}

    def create(self, rows):
        for (_, path), share in zip(self.PATHS.items(), TABLES.values()):
            records = self.fake.models[path]
            for ident in range(1, int(rows * share) + 1):
                records[ident] = self.record(ident)
            self.fake.reindex(path)
        self.fake.start()

    def definition(self):
        model = lambda model_id, path: {  # noqa: E731
            "model_id": model_id, "path": path, "records": "/results", "primary_key": "id",
            "cursor_field": "modified_at", "fields": self.FIELDS,
            "incremental": {"param": "modified_after", "lookback_seconds": 60},
            "deleted_flag": "remote_was_deleted",
            "pagination": {"style": "cursor_body", "cursor_path": "/next", "cursor_param": "cursor",
                           "page_size_param": "page_size", "page_size": 100}}
        return {"name": "kill_harness_saas", "base_url": self.fake.base_url, "auth": {"type": "bearer"},
                "models": [model(m, p) for m, p in self.PATHS.items()]}

    def connection(self):
        return {"source_type": "rest", "config": {"definition": self.definition(),
                                                   "credentials": {"token": fake_saas.TOKEN}}}

    def rows(self, model):
        records = self.fake.models[self.PATHS[model]]
        return {r["id"]: canon_row(REST_COLUMNS, [r["id"], r["name"], r["qty"], r["price"], r["active"],
                                                  timestamp(r["modified_us"]), False])
                for r in records.values() if not r["deleted"]}

    def mutate(self, fraction):
        changes = {}
        for model, path in self.PATHS.items():
            records = self.fake.models[path]
            alive = [i for i, r in records.items() if not r["deleted"]]
            updates, deletes, inserts = self.maker.plan(alive, fraction)
            for ident in updates:
                records[ident] = self.record(ident)
            for ident in deletes:
                records[ident]["deleted"] = True
                records[ident]["modified_us"] = self.maker.tick()
            top = max(records, default=0)
            for k in range(1, inserts + 1):
                records[top + k] = self.record(top + k)
            self.fake.reindex(path)
            changes[model] = Changes(inserts, len(updates), len(deletes))
        return changes

    def close(self):
        self.fake.stop()


REST_COLUMNS = COLUMNS[:-1] + [("modified_at", "ts"), ("remote_was_deleted", "bool")]


class SampleSource:
    """ferry's own deterministic source: its truth is a second sync of the same connection, run without kills
    (the reference), and each mutation is the next `generation` (inserts, updates and tombstones)."""
    sweeps = False
    models = ["hris.Employee", "hris.Team", "ats.Candidate", "ats.Application"]

    def __init__(self, size):
        self.size = size
        self.generation = 0

    def connection(self):
        # `size` counts every model's records: as many as the other scenarios' two tables hold, twice over
        return {"source_type": "sample", "config": {"seed": 7, "size": self.size * 5 // 2, "generation": 0,
                                                     "batch_size": 100}}


# ---- destinations ----

class SqliteDest:
    def __init__(self, path, table_of=lambda model: model):
        self.path = Path(path)
        self.table_of = table_of

    def columns(self, model):
        with closing(sqlite3.connect(self.path)) as db:
            cols = [r[1] for r in db.execute(f'PRAGMA table_info("{self.table_of(model)}")')]
        return [(c, "raw") for c in cols if not c.startswith("_ferry")]

    def count(self, model):
        with closing(sqlite3.connect(self.path)) as db:
            return db.execute(f'SELECT count(*) FROM "{self.table_of(model)}"').fetchone()[0]

    def rows(self, model, columns):
        if not self.path.exists():
            return {}
        with closing(sqlite3.connect(self.path)) as db:
            names = ", ".join(f'"{c}"' for c, _ in columns)
            try:
                cur = db.execute(f'SELECT {names} FROM "{self.table_of(model)}"')
            except sqlite3.OperationalError as e:
                if "no such table" in str(e):
                    return {}
                raise
            out = {}
            for r in cur:
                out.setdefault(r[0], []).append(canon_row(columns, r))
            return out


class PostgresDest:
    def __init__(self, url):
        self.url = url

    def count(self, model):
        schema, table = model.split(".", 1)
        return int(psql(self.url, f'SELECT count(*) FROM "{schema}"."{table}"'))

    def rows(self, model, columns):
        schema, table = model.split(".", 1)
        exists = psql(self.url, f"SELECT to_regclass('\"{schema}\".\"{table}\"') IS NOT NULL").strip()
        if exists != "t":
            return {}
        out = {}
        names = ", ".join(f'"{c}"' for c, _ in columns)
        text = psql(self.url, f'SELECT coalesce(json_agg(json_build_array({names})), \'[]\') FROM "{schema}"."{table}"')
        for r in json.loads(text, parse_float=Decimal):
            out.setdefault(r[0], []).append(canon_row(columns, r))
        return out


class FileDest:
    def __init__(self, directory):
        self.directory = Path(directory)

    def count(self, model):
        """Committed rows: the destination's state (the exported file may lag it by design)."""
        return SqliteDest(self.directory / ".ferry-state.sqlite").count(model)

    def rows(self, model, columns):
        path = self.directory / f"{model}.jsonl"
        if not path.exists():
            return {}
        out = {}
        for line in path.read_text().splitlines():
            record = json.loads(line, parse_float=Decimal)  # a torn file fails here
            out.setdefault(record["id"], []).append(canon_row(columns, [record.get(c) for c, _ in columns]))
        return out
