"""Every declared check type, in one index: ``BY_NAME`` (``all_types()`` lists them all).

Each entry is a :class:`CheckType` record, generic over the type's spec model ``S`` and
observation ``O``: mypy checks that the probe returns what the judge takes. The config
loader, the JSON Schema (schema.py), the collected suites (gate.py) and the runner all
read this index; nothing else names the check types.

A record is built, and its spec, judge and probe modules imported, only when its type is
first used: a gate whose config only has http checks imports neither the models of the
other types nor psycopg, websockets or paramiko (each xdist worker pays every import
again). The probe, which brings the client library, is loaded later still: when its type
first runs, through one small, typed loader per type.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar, Union

from pydantic import Field, TypeAdapter

from pytest_deploygate.checks.base import CheckSpec, Target
from pytest_deploygate.windows import Taken, by_sample

if TYPE_CHECKING:  # each type's modules are imported by its loader below, on first use
    from pytest_deploygate.checks.backup import BackupCheck, BackupObservation
    from pytest_deploygate.checks.env import EnvCheck, EnvObservation
    from pytest_deploygate.checks.http import HttpCheck, HttpObservation
    from pytest_deploygate.checks.load import LoadCheck, LoadObservation
    from pytest_deploygate.checks.logs import LogsCheck
    from pytest_deploygate.checks.prometheus import PrometheusCheck, PrometheusObservation
    from pytest_deploygate.checks.promql import PromqlCheck, PromqlObservation
    from pytest_deploygate.checks.redis import RedisCheck, RedisObservation
    from pytest_deploygate.checks.tcp import TcpCheck, TcpObservation
    from pytest_deploygate.checks.tls import TlsCheck, TlsObservation
    from pytest_deploygate.checks.websocket import WebSocketCheck, WebSocketObservation
    from pytest_deploygate.expect.base import Judgement
    from pytest_deploygate.expect.logs import LogsSample
    from pytest_deploygate.probes.base import ProbeContext
    from pytest_deploygate.probes.host import HostProbes
    from pytest_deploygate.probes.postgres import PostgresProbes
    from pytest_deploygate.probes.sqlite import SqliteProbes

S = TypeVar("S", bound=CheckSpec)
O = TypeVar("O")  # noqa: E741 - the observation type, as in Probe[S, O]

# A probe may get past its own timeout by at most this much before the runner gives up.
DEADLINE_GRACE_S = 1.0


def default_deadline(spec: CheckSpec, target: Target, ctx: ProbeContext) -> float:
    """Longest one probe attempt may take before the runner calls it a timeout."""
    return spec.effective_timeout(target) + DEADLINE_GRACE_S


def default_where(spec: CheckSpec, target: Target, ctx: ProbeContext) -> str:
    """What a check looks at, for reasons that have nothing better to name."""
    return f"{spec.type} check {spec.id}"


@dataclass(frozen=True)
class CheckType(Generic[S, O]):
    """One declared check type: everything about it but its doc page and its tests.

    ``spec``: the pydantic model of its ``[[checks]]`` table; its ``type`` Literal is the
    type's name. ``load_probe`` returns the probe (all I/O), importing its module on first
    use. ``judge`` is pure: (spec, target, observation) -> Judgement. ``deadline`` bounds
    one probe attempt (a load test legitimately takes longer than one request's timeout).
    ``where`` names what the check looks at (a URL, host:port, a host) in reasons the
    runner writes, such as its own timeout; it must not do I/O nor show credentials.
    ``instances`` fans a check out (a host check runs once per host); ``None``: once.
    ``exclusive`` checks run alone: nothing else is in flight while one runs (a load test
    would otherwise slow down the checks that measure latency).
    ``window_judge`` judges a check observed over a window (its spec has
    ``checks.base.WindowKeys``): it sees every sample, (seconds into the window, the
    observation or the error), and returns one judgement whose measurements carry their
    samples; it raises a ProbeError when the check could not run at all. ``None``: built
    from ``judge``, one judgement per sample (``windows.by_sample``). ``subkinds``: a type
    whose tables pick a model by their ``check`` key (postgres, sqlite, host) lists one
    record per sub-kind, of the same shape; see :func:`family`. ``measures`` names the
    measurements a check of this type can produce (``db.*``: a family); a decision rule
    that matches none of them is a config error (rule_coverage.py); ``*``: anything.
    ``expects`` names those a check that ran always produces when it has something to
    read (a ratio with traffic): a rule on one that is missing could not be judged
    (decision.py: ``investigate``), never a silent pass.
    """

    spec: type[S]
    load_probe: Callable[[], Callable[[S, Target, ProbeContext], O]]
    judge: Callable[[S, Target, O], Judgement]
    deadline: Callable[[S, Target, ProbeContext], float] = default_deadline
    where: Callable[[S, Target, ProbeContext], str] = default_where
    instances: Callable[[S, Target], Sequence[str]] | None = None
    exclusive: bool = False
    window_judge: Callable[[S, Target, Sequence[Taken[O]]], Judgement] | None = None
    subkinds: tuple[CheckType[Any, Any], ...] = ()
    measures: Callable[[S], Sequence[str]] = lambda spec: ("*",)
    expects: Callable[[S], Sequence[str]] = lambda spec: ()

    @property
    def name(self) -> str:
        """The ``type = "..."`` of its tables, from the model's ``type`` Literal."""
        return str(self.spec.model_fields["type"].default)

    @property
    def subkind(self) -> str:
        """A sub-kind's ``check = "..."``, from its model's ``check`` Literal."""
        return str(self.spec.model_fields["check"].default)

    @cached_property
    def model(self) -> Any:
        """What validates a table: the spec model, or for a family the discriminated
        union of its sub-kinds' models on ``check``."""
        if not self.subkinds:
            return self.spec
        return tagged_union([sub.spec for sub in self.subkinds], "check")

    @cached_property
    def _adapter(self) -> TypeAdapter[S]:
        return TypeAdapter(self.model)

    def parse(self, table: Mapping[str, Any]) -> S:
        """The spec of one ``[[checks]]`` table; pydantic's ValidationError if invalid."""
        return self._adapter.validate_python(table)

    def probe(self, spec: S, target: Target, ctx: ProbeContext) -> O:
        return self.load_probe()(spec, target, ctx)

    def judge_window(self, spec: S, target: Target, taken: Sequence[Taken[O]]) -> Judgement:
        if self.window_judge is not None:
            return self.window_judge(spec, target, taken)
        return by_sample(self.judge, self.name)(spec, target, taken)


def tagged_union(models: Sequence[Any], key: str) -> Any:
    """pydantic's discriminated union of ``models``, told apart by their ``key`` Literal."""
    return Annotated[Union[tuple(models)], Field(discriminator=key)]  # noqa: UP007


def named(*names: str) -> Callable[[Any], Sequence[str]]:
    """A type whose checks produce these measurements (``x.*``: the ``x.`` family)."""
    return lambda spec: names


def database_measures(spec: Any) -> Sequence[str]:
    """``db.*``, and a query's own ``measurement`` and its ``_latency``."""
    from pytest_deploygate.checks.postgres import QueryKeys  # loaded with any database type

    if isinstance(spec, QueryKeys):
        return ("db.*", spec.measurement, f"{spec.measurement}_latency")
    return ("db.*",)


def http_measures(spec: HttpCheck) -> Sequence[str]:
    """Latency, status, body length, and ``http.json.<path>`` of every bounded path."""
    bounded = dict.fromkeys([*spec.max_json_path, *spec.min_json_path])
    return (
        "http.latency",
        "http.status",
        "http.body_length",
        *(f"http.json.{path}" for path in bounded),
    )


def prometheus_measures(spec: PrometheusCheck) -> Sequence[str]:
    """One name per value, ratio and quantile: the names the config gives them."""
    return (
        *(f"prometheus.{v.label}" for v in spec.values),
        *(f"prometheus.{r.name}" for r in spec.ratios),
        *(f"prometheus.{q.name}" for q in spec.quantiles),
    )


def promql_measures(spec: PromqlCheck) -> Sequence[str]:
    return (f"promql.{spec.name}",)


def family(
    base: type[S],
    subkinds: Sequence[CheckType[Any, Any]],
    *,
    deadline: Callable[[S, Target, ProbeContext], float] = default_deadline,
    where: Callable[[S, Target, ProbeContext], str] = default_where,
    instances: Callable[[S, Target], Sequence[str]] | None = None,
    measures: Callable[[S], Sequence[str]] = lambda spec: ("*",),
) -> CheckType[S, Any]:
    """A check type made of sub-kinds: its probe and judge are those of the spec's own
    sub-kind (looked up by model class, not by a chain of isinstance)."""
    by_model = {sub.spec: sub for sub in subkinds}

    def probe(spec: S, target: Target, ctx: ProbeContext) -> Any:
        return by_model[type(spec)].probe(spec, target, ctx)

    def judge(spec: S, target: Target, obs: Any) -> Judgement:
        return by_model[type(spec)].judge(spec, target, obs)

    return CheckType(
        base,
        lambda: probe,
        judge,
        deadline,
        where,
        instances,
        subkinds=tuple(subkinds),
        measures=measures,
    )


# -- the probes, imported on first use ---------------------------------------------------
# One function per type, not a module name in a string: mypy checks each probe's type.


def _http() -> Callable[[HttpCheck, Target, ProbeContext], HttpObservation]:
    from pytest_deploygate.probes.http import probe_http

    return probe_http


def _env() -> Callable[[EnvCheck, Target, ProbeContext], EnvObservation]:
    from pytest_deploygate.probes.env import probe_env

    return probe_env


def _host() -> type[HostProbes]:
    from pytest_deploygate.probes.host import HostProbes

    return HostProbes


def _logs() -> Callable[[LogsCheck, Target, ProbeContext], LogsSample]:
    from pytest_deploygate.probes.logs import probe_logs

    return probe_logs


def _postgres() -> type[PostgresProbes]:
    from pytest_deploygate.probes.postgres import PostgresProbes

    return PostgresProbes


def _sqlite() -> type[SqliteProbes]:
    from pytest_deploygate.probes.sqlite import SqliteProbes

    return SqliteProbes


def _backup() -> Callable[[BackupCheck, Target, ProbeContext], BackupObservation]:
    from pytest_deploygate.probes.backup import probe_backup

    return probe_backup


def _load() -> Callable[[LoadCheck, Target, ProbeContext], LoadObservation]:
    from pytest_deploygate.probes.load import probe_load

    return probe_load


def _prometheus() -> Callable[[PrometheusCheck, Target, ProbeContext], PrometheusObservation]:
    from pytest_deploygate.probes.prometheus import probe_prometheus

    return probe_prometheus


def _promql() -> Callable[[PromqlCheck, Target, ProbeContext], PromqlObservation]:
    from pytest_deploygate.probes.promql import probe_promql

    return probe_promql


def _websocket() -> Callable[[WebSocketCheck, Target, ProbeContext], WebSocketObservation]:
    from pytest_deploygate.probes.websocket import probe_websocket

    return probe_websocket


def _tls() -> Callable[[TlsCheck, Target, ProbeContext], TlsObservation]:
    from pytest_deploygate.probes.tls import probe_tls

    return probe_tls


def _tcp() -> Callable[[TcpCheck, Target, ProbeContext], TcpObservation]:
    from pytest_deploygate.probes.tcp import probe_tcp

    return probe_tcp


def _redis() -> Callable[[RedisCheck, Target, ProbeContext], RedisObservation]:
    from pytest_deploygate.probes.redis import probe_redis

    return probe_redis


# -- the records, one loader per type ------------------------------------------------------
# Each imports its type's spec and judge modules and builds its record. The record is built
# in a local variable, not in the return statement: without a type context mypy infers its
# S and O from its own arguments, and rejects a probe whose observation the judge does not
# take.


def _http_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.http import HttpCheck, where_http
    from pytest_deploygate.expect.http import judge_http

    record = CheckType(HttpCheck, _http, judge_http, where=where_http, measures=http_measures)
    return record


def _env_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.env import EnvCheck
    from pytest_deploygate.expect.env import judge_env

    record = CheckType(EnvCheck, _env, judge_env, measures=named("env.missing"))
    return record


def _host_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.host import (
        AbsentCheck,
        CommandCheck,
        DiskCheck,
        FileCheck,
        GitCheck,
        HostCheck,
        HostEnvCheck,
        PackageCheck,
        ProcessCheck,
        RuntimeCheck,
        ServiceCheck,
        SocketCheck,
        host_deadline,
        host_instances,
        host_where,
    )
    from pytest_deploygate.expect.host import (
        judge_absent,
        judge_command,
        judge_disk,
        judge_env,
        judge_file,
        judge_git,
        judge_package,
        judge_process,
        judge_runtime,
        judge_service,
        judge_socket,
        on_host,
    )

    # Sub-kinds: records of the same shape, chosen by a table's ``check``.
    subkinds = (
        CheckType(ServiceCheck, lambda: _host().service, on_host(judge_service)),
        CheckType(ProcessCheck, lambda: _host().process, on_host(judge_process)),
        CheckType(SocketCheck, lambda: _host().socket, on_host(judge_socket)),
        CheckType(DiskCheck, lambda: _host().disk, on_host(judge_disk)),
        CheckType(FileCheck, lambda: _host().file, on_host(judge_file)),
        CheckType(AbsentCheck, lambda: _host().absent, on_host(judge_absent)),
        CheckType(CommandCheck, lambda: _host().command, on_host(judge_command)),
        CheckType(PackageCheck, lambda: _host().package, on_host(judge_package)),
        CheckType(RuntimeCheck, lambda: _host().runtime, on_host(judge_runtime)),
        CheckType(HostEnvCheck, lambda: _host().env, on_host(judge_env)),
        CheckType(GitCheck, lambda: _host().git, on_host(judge_git)),
    )
    return family(
        HostCheck,
        subkinds,
        deadline=host_deadline,
        where=host_where,
        instances=host_instances,
        measures=named(
            "host.process_count",
            "host.memory",
            "host.disk_free",
            "host.disk_free_ratio",
            "host.file_age",
            "host.version",
            "host.env_missing",
            "host.git_dirty",
            "host.git_unpushed",
        ),
    )


def _logs_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.host import host_deadline
    from pytest_deploygate.checks.logs import LogsCheck, logs_instances, where_logs
    from pytest_deploygate.expect.logs import judge_logs, judge_logs_window

    # Read on the target's hosts like host checks; counts lines written while it watches.
    record = CheckType(
        LogsCheck,
        _logs,
        judge_logs,
        host_deadline,
        where_logs,
        logs_instances,
        window_judge=judge_logs_window,
        measures=named("logs.matches", "logs.lines"),
    )
    return record


def _postgres_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.postgres import (
        PgConnections,
        PgForeignKeys,
        PgMigrations,
        PgPrimaryKeys,
        PgPrivileges,
        PgQuery,
        PgReachable,
        PgRls,
        PgRowCounts,
        PgSchema,
        PgVersion,
        PostgresCheck,
        postgres_deadline,
    )
    from pytest_deploygate.expect.migrations import judge_migrations_check
    from pytest_deploygate.expect.postgres import (
        judge_connections,
        judge_foreign_keys,
        judge_primary_keys,
        judge_privileges,
        judge_query,
        judge_reachable,
        judge_rls,
        judge_row_counts,
        judge_schema,
        judge_version,
    )

    subkinds = (
        CheckType(PgReachable, lambda: _postgres().reachable, judge_reachable),
        CheckType(PgVersion, lambda: _postgres().version, judge_version),
        CheckType(PgConnections, lambda: _postgres().connections, judge_connections),
        CheckType(PgMigrations, lambda: _postgres().migrations, judge_migrations_check),
        CheckType(PgPrimaryKeys, lambda: _postgres().primary_keys, judge_primary_keys),
        CheckType(PgForeignKeys, lambda: _postgres().foreign_keys, judge_foreign_keys),
        CheckType(PgRls, lambda: _postgres().rls, judge_rls),
        CheckType(PgSchema, lambda: _postgres().schema, judge_schema),
        CheckType(PgRowCounts, lambda: _postgres().row_counts, judge_row_counts),
        CheckType(PgPrivileges, lambda: _postgres().privileges, judge_privileges),
        CheckType(PgQuery, lambda: _postgres().query, judge_query),
    )
    return family(PostgresCheck, subkinds, deadline=postgres_deadline, measures=database_measures)


def _sqlite_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.sqlite import (
        SqliteCheck,
        SqliteIntegrity,
        SqliteMigrations,
        SqliteQuery,
        SqliteRowCounts,
        SqliteSchema,
    )
    from pytest_deploygate.expect.migrations import judge_migrations_check
    from pytest_deploygate.expect.postgres import judge_query, judge_row_counts, judge_schema
    from pytest_deploygate.expect.sqlite import judge_integrity

    subkinds = (
        CheckType(SqliteIntegrity, lambda: _sqlite().integrity, judge_integrity),
        CheckType(SqliteSchema, lambda: _sqlite().schema, judge_schema),
        CheckType(SqliteRowCounts, lambda: _sqlite().row_counts, judge_row_counts),
        CheckType(SqliteMigrations, lambda: _sqlite().migrations, judge_migrations_check),
        CheckType(SqliteQuery, lambda: _sqlite().query, judge_query),
    )
    return family(SqliteCheck, subkinds, measures=database_measures)


def _backup_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.backup import BackupCheck, backup_deadline
    from pytest_deploygate.expect.backup import judge_backup

    record = CheckType(
        BackupCheck,
        _backup,
        judge_backup,
        backup_deadline,
        measures=named("backup.age", "backup.size", "backup.tables", "backup.restored_tables"),
    )
    return record


def _load_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.load import LoadCheck, load_deadline, where_load
    from pytest_deploygate.expect.load import judge_load

    # Exclusive: its traffic would show up in every latency measured at the same time.
    record = CheckType(
        LoadCheck,
        _load,
        judge_load,
        load_deadline,
        where_load,
        exclusive=True,
        measures=named(
            "load.success_ratio",
            "load.latency_avg",
            "load.latency_p50",
            "load.latency_p95",
            "load.latency_p99",
            "load.rps",
        ),
    )
    return record


# Over a window every check of the types below samples on the run's observation period, in
# threads of its own, while the others run; a load check waits for every window to end.


def _prometheus_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.prometheus import PrometheusCheck, where_prometheus
    from pytest_deploygate.expect.prometheus import judge_prometheus, judge_prometheus_window

    record = CheckType(
        PrometheusCheck,
        _prometheus,
        judge_prometheus,
        where=where_prometheus,
        window_judge=judge_prometheus_window,
        measures=prometheus_measures,
        expects=prometheus_measures,
    )
    return record


def _promql_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.promql import PromqlCheck, where_promql
    from pytest_deploygate.expect.promql import judge_promql

    record = CheckType(
        PromqlCheck,
        _promql,
        judge_promql,
        where=where_promql,
        measures=promql_measures,
        expects=promql_measures,
    )
    return record


def _websocket_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.websocket import WebSocketCheck, where_websocket
    from pytest_deploygate.expect.websocket import judge_websocket

    record = CheckType(
        WebSocketCheck,
        _websocket,
        judge_websocket,
        where=where_websocket,
        measures=named("websocket.connect_latency", "websocket.reply_latency"),
    )
    return record


def _tls_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.tls import TlsCheck, where_tls
    from pytest_deploygate.expect.tls import judge_tls

    record = CheckType(TlsCheck, _tls, judge_tls, where=where_tls, measures=named("tls.days_left"))
    return record


def _tcp_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.tcp import TcpCheck, where_tcp
    from pytest_deploygate.expect.tcp import judge_tcp

    record = CheckType(
        TcpCheck, _tcp, judge_tcp, where=where_tcp, measures=named("tcp.connect_latency")
    )
    return record


def _redis_type() -> CheckType[Any, Any]:
    from pytest_deploygate.checks.redis import RedisCheck, redis_measurements, where_redis
    from pytest_deploygate.expect.redis import judge_redis

    record = CheckType(
        RedisCheck,
        _redis,
        judge_redis,
        where=where_redis,
        measures=redis_measurements,
        expects=redis_measurements,
    )
    return record


# -- the index: one line per check type ---------------------------------------------------


class Registry(Mapping[str, CheckType[Any, Any]]):
    """Check type name -> its record, built on first lookup. Knowing whether a name is a
    type, and listing the names, imports nothing."""

    def __init__(self, loaders: Mapping[str, Callable[[], CheckType[Any, Any]]]) -> None:
        self._loaders = dict(loaders)
        self._records: dict[str, CheckType[Any, Any]] = {}
        # Probe threads look types up too: one record per type, whoever asks first.
        self._lock = threading.RLock()  # a loader may look up another type

    def __getitem__(self, name: str) -> CheckType[Any, Any]:
        record = self._records.get(name)
        if record is not None:
            return record
        loader = self._loaders[name]
        with self._lock:
            if name not in self._records:
                self._records[name] = loader()
            return self._records[name]

    def __setitem__(self, name: str, record: CheckType[Any, Any]) -> None:
        """Replace a known type's record (tests stand in a probe with monkeypatch.setitem)."""
        if name not in self._loaders:
            raise KeyError(name)
        with self._lock:
            self._records[name] = record

    def __contains__(self, name: object) -> bool:  # Mapping's own would build the record
        return name in self._loaders

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)

    def built(self) -> tuple[str, ...]:
        """The types whose records (and modules) have been loaded so far."""
        return tuple(self._records)


BY_NAME = Registry(
    {
        "http": _http_type,
        "env": _env_type,
        "host": _host_type,
        "logs": _logs_type,
        "postgres": _postgres_type,
        "sqlite": _sqlite_type,
        "backup": _backup_type,
        "load": _load_type,
        "prometheus": _prometheus_type,
        "promql": _promql_type,
        "websocket": _websocket_type,
        "tls": _tls_type,
        "tcp": _tcp_type,
        "redis": _redis_type,
    }
)
"""Check type name -> its record (its ``type = "..."``; tests check that the two agree)."""


def all_types() -> tuple[CheckType[Any, Any], ...]:
    """Every type's record, in the index's order; imports every type's spec and judge."""
    return tuple(BY_NAME.values())
