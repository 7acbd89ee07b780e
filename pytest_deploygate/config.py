"""deploygate.toml -> one validated, frozen GateConfig.

Order of work: find the file, parse TOML, resolve ``extends`` between targets, replace
``${VAR}`` / ``${VAR:-default}`` from the environment, validate with pydantic (each
``[[checks]]`` table with the model of its ``type``). Every problem becomes a
:class:`ConfigError` naming the file, the key path and the fix.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, ValidationError
from pydantic_core import ErrorDetails

from pytest_deploygate.checks.base import CheckSpec, Model, Target
from pytest_deploygate.checks.validators import LENIENT
from pytest_deploygate.errors import ConfigError
from pytest_deploygate.masking import Masker, masked
from pytest_deploygate.registry import BY_NAME, CheckType
from pytest_deploygate.rules import DecisionRule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

CONFIG_FILE = "deploygate.toml"
PYPROJECT = "pyproject.toml"
DEMO_TARGET = "demo"
_VAR = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
_TARGET_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class DecisionSection(Model):
    rules: tuple[DecisionRule, ...] = ()


class ConfigFile(Model):
    """The top level of deploygate.toml; checks are validated one by one afterwards."""

    paths: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    concurrency: int | None = Field(default=None, ge=1, le=1024)
    targets: dict[str, Target] = Field(default_factory=dict)
    checks: tuple[dict[str, Any], ...] = ()
    decision: DecisionSection = DecisionSection()


@dataclass(frozen=True)
class GateConfig:
    """The whole validated config, for one selected target."""

    source: str
    base_dir: Path
    target: Target
    checks: tuple[CheckSpec, ...]
    rules: tuple[DecisionRule, ...]
    paths: tuple[Path, ...] = ()
    concurrency: int | None = None
    secret_names: tuple[str, ...] = ()
    secrets: frozenset[str] = field(default_factory=frozenset)
    # Each check's table as the file wrote it, ${VAR}s unresolved (check_hash reads it).
    written: tuple[Mapping[str, Any], ...] = ()

    def checks_of(self, type_name: str) -> tuple[CheckSpec, ...]:
        return tuple(c for c in self.checks if c.type == type_name)

    @property
    def types(self) -> frozenset[str]:
        return frozenset(c.type for c in self.checks)


def find_config(explicit: str | None, invocation_dir: Path, rootdir: Path) -> Path | None:
    """``--deploygate-config``, else ./deploygate.toml, else the nearest pyproject.toml
    with a ``[tool.deploygate]`` table, searched upward from here to the rootdir."""
    if explicit:
        path = Path(explicit).expanduser()
        path = path if path.is_absolute() else invocation_dir / path
        if path.is_dir():
            raise ConfigError(
                f"{explicit} is a directory, not a config file.",
                source="--deploygate-config",
                fix=f"pass the file itself: --deploygate-config {Path(explicit, CONFIG_FILE)}.",
            )
        if not path.is_file():
            raise ConfigError(
                f"config file {explicit} does not exist.",
                source="--deploygate-config",
                fix="pass the path of an existing deploygate.toml.",
            )
        return path
    local = invocation_dir / CONFIG_FILE
    if local.is_file():
        return local
    for directory in (invocation_dir, *invocation_dir.parents):
        candidate = directory / PYPROJECT
        shown = display_path(candidate, invocation_dir)
        if candidate.is_file() and "deploygate" in _read_toml(candidate, shown).get("tool", {}):
            return candidate
        if directory == rootdir or directory == directory.parent:
            break
    return None


def config_above(invocation_dir: Path) -> Path | None:
    """The nearest deploygate.toml in a directory above ``invocation_dir``. The gate never
    reads it (its config is ./deploygate.toml), but an error that names it saves a search."""
    for directory in invocation_dir.parents:
        candidate = directory / CONFIG_FILE
        if candidate.is_file():
            return candidate
    return None


def display_path(path: Path, base: Path) -> str:
    """``path`` as the user names it: relative to ``base`` (the invocation dir) if inside."""
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def read_file(path: Path, shown: str = "") -> dict[str, Any]:
    """The deploygate table of a config file (the whole file, or pyproject's tool table);
    errors name the file as ``shown`` (default: its full path)."""
    shown = shown or str(path)
    data = _read_toml(path, shown)
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("deploygate")
        if not isinstance(table, dict):
            raise ConfigError(
                "has no [tool.deploygate] table.",
                source=shown,
                fix="add one, or write a deploygate.toml next to it.",
            )
        return table
    return data


def load(
    data: Mapping[str, Any],
    *,
    source: str,
    base_dir: Path,
    target: str,
    environ: Mapping[str, str],
) -> GateConfig:
    """Validate a config mapping for the selected ``target``."""
    loader = _Loader(source, environ)
    top = loader.validate_top(data)
    raw_targets = data.get("targets", {})
    if target not in top.targets:
        names = ", ".join(sorted(top.targets)) or "none"
        near = nearest(target, top.targets)
        hint = f" Did you mean {near!r}?" if near else ""
        raise ConfigError(
            f"unknown target {target!r}; defined targets: {names}.{hint}",
            source=source,
            key="targets",
            fix=f"add a [targets.{target}] table or pass one of the defined names to --target.",
        )
    resolved = loader.target(raw_targets, target)
    loader.refuse_unsound(resolved, f"targets.{target}")
    checks = loader.checks(data.get("checks", ()))
    for index, spec in enumerate(checks):
        loader.refuse_unsound(spec, f"checks[{index}] (id {spec.id!r})")
    loader.fits_the_target(checks, resolved)
    rules = loader.rules(data.get("decision", {}))
    secret_names = top.secrets
    return GateConfig(
        source=source,
        base_dir=base_dir,
        target=resolved,
        checks=checks,
        rules=rules,
        paths=tuple(_existing_path(base_dir, p, i, source) for i, p in enumerate(top.paths)),
        concurrency=top.concurrency,
        secret_names=secret_names,
        secrets=frozenset(loader.secrets(secret_names)),
        written=tuple(data.get("checks", ())),
    )


def _existing_path(base_dir: Path, value: str, index: int, source: str) -> Path:
    path = _resolve(base_dir, value)
    if not path.exists():
        raise ConfigError(
            f"{value!r} does not exist (looked for {path}).",
            source=source,
            key=f"paths[{index}]",
            fix="create it, or correct or remove the entry: paths are relative to the config file.",
        )
    return path


def _resolve(base_dir: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base_dir / path)


def _read_toml(path: Path, shown: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"is not valid TOML: {exc}.",
            source=shown,
            fix="correct the syntax at that line and column.",
        ) from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"is not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at line {line} "
            "cannot be decoded.",
            source=shown,
            fix="save the file as UTF-8 (TOML files are UTF-8).",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot be read: {exc.strerror}.", source=shown) from None


class _Loader:
    """Validation with key paths; interpolation happens on the parts that are used."""

    def __init__(self, source: str, environ: Mapping[str, str]) -> None:
        self.source = source
        self.environ = environ
        self.used_vars: set[str] = set()

    def error(self, key: str, message: str, fix: str = "") -> ConfigError:
        return ConfigError(message, source=self.source, key=key, fix=fix)

    # -- top level -------------------------------------------------------------------

    def validate_top(self, data: Mapping[str, Any]) -> ConfigFile:
        # Unused targets are checked for shape, not for environment variables: a staging
        # run in CI must not need production's secrets.
        lenient = self.interpolate(
            {k: v for k, v in data.items() if k != "checks"}, "", strict=False
        )
        targets = lenient.get("targets", {})
        if isinstance(targets, dict):
            for name, table in targets.items():
                if not _TARGET_NAME.match(name):
                    raise self.error(
                        f"targets.{name}",
                        "target names are made of letters, digits, '-', '_' and '.'.",
                        fix="rename the target.",
                    )
                if isinstance(table, dict):
                    table = {k: v for k, v in table.items() if k != "extends"}
                    targets[name] = table
        lenient["checks"] = list(data.get("checks", ()))
        # Unset variables became "": URLs of unused targets may be incomplete here.
        top: ConfigFile = self.validated(ConfigFile, lenient, "", context={LENIENT: True})
        return top

    def target(self, raw_targets: Mapping[str, Any], name: str) -> Target:
        merged = self.extends(raw_targets, name, ())
        merged = self.interpolate(merged, f"targets.{name}", strict=True)
        merged["name"] = name
        target: Target = self.validated(Target, merged, f"targets.{name}")
        return target

    def extends(
        self, raw_targets: Mapping[str, Any], name: str, chain: tuple[str, ...]
    ) -> dict[str, Any]:
        if name in chain:
            cycle = " -> ".join((*chain, name))
            raise self.error(
                f"targets.{chain[-1]}.extends",
                f"targets extend each other in a cycle: {cycle}.",
                fix="remove one of the 'extends' keys.",
            )
        table = dict(raw_targets[name])
        parent = table.pop("extends", None)
        if parent is None:
            return table
        if not isinstance(parent, str) or parent not in raw_targets:
            known = ", ".join(sorted(raw_targets))
            raise self.error(
                f"targets.{name}.extends",
                f"extends unknown target {parent!r}; defined targets: {known}.",
                fix="name a target defined in this file.",
            )
        return {**self.extends(raw_targets, parent, (*chain, name)), **table}

    # -- checks and rules ------------------------------------------------------------

    def checks(self, raw: Sequence[Any]) -> tuple[CheckSpec, ...]:
        specs: list[CheckSpec] = []
        seen: dict[str, int] = {}
        for index, table in enumerate(raw):
            key = f"checks[{index}]"
            if not isinstance(table, dict):
                raise self.error(key, "each [[checks]] entry must be a table.")
            label = f"{key} (id {table['id']!r})" if isinstance(table.get("id"), str) else key
            type_name = table.get("type")
            if not isinstance(type_name, str) or type_name not in BY_NAME:
                known = ", ".join(sorted(BY_NAME))
                near = nearest(str(type_name), BY_NAME)
                hint = f" Did you mean {near!r}?" if near else ""
                what = "has no 'type'" if type_name is None else f"unknown type {type_name!r}"
                raise self.error(
                    f"{label}.type",
                    f"{what}; known check types: {known}.{hint}",
                    fix="set type to one of the known check types.",
                )
            table = self.interpolate(table, label, strict=True)
            spec = self.check_spec(BY_NAME[type_name], table, label)
            if spec.id in seen:
                raise self.error(
                    f"{label}.id",
                    f"duplicate check id {spec.id!r} (also checks[{seen[spec.id]}]).",
                    fix="give every check a unique id: it names the check in reports.",
                )
            seen[spec.id] = index
            specs.append(spec)
        return tuple(specs)

    def fits_the_target(self, checks: Sequence[CheckSpec], target: Target) -> None:
        """A check that cannot run on this target (promql without prometheus_server, a
        relative log file on a remote host) is refused here, before anything runs, not as
        an error in the middle of a run."""
        for index, spec in enumerate(checks):
            unfit = spec.unfit_for(target)
            if unfit is not None:
                raise self.error(
                    f"checks[{index}] (id {spec.id!r}).{unfit.key}", unfit.problem, fix=unfit.fix
                )
            for key in spec.needed_target_keys():
                if getattr(target, key) is None:
                    raise self.error(
                        f"targets.{target.name}.{key}",
                        f"is not set, and checks[{index}] (id {spec.id!r}, type "
                        f"{spec.type!r}) needs it.",
                        fix=f"set {key} in [targets.{target.name}] (or in a target it "
                        f"extends), or remove the check.",
                    )

    def rules(self, raw: Any) -> tuple[DecisionRule, ...]:
        section = self.interpolate(raw, "decision", strict=True)
        decision: DecisionSection = self.validated(DecisionSection, section, "decision")
        return decision.rules

    def refuse_unsound(self, model: BaseModel, prefix: str) -> None:
        """Values that pass validation but would make a check mean nothing: a timeout or
        interval of zero, a URL whose password hides its host."""
        for name in type(model).model_fields:
            value = getattr(model, name)
            key = f"{prefix}.{name}"
            if name.endswith(("timeout", "interval")) and value == 0:
                raise self.error(
                    key,
                    "must be longer than 0s: a zero timeout or interval gives the check "
                    "no time at all (some clients even read it as 'no timeout').",
                    fix=f'write a duration such as {name} = "5s", or remove the key.',
                )
            url_like = name.endswith(("url", "dsn")) and isinstance(value, str)
            if url_like and ambiguous_credentials(value):
                raise self.error(
                    key,
                    "the user or password in this URL holds an unencoded '@' or '/', "
                    "so its host cannot be told apart from the password (the value is "
                    "not shown: it holds a secret).",
                    fix="percent-encode the user and password: '@' is %40, '/' is %2F, "
                    "':' is %3A (Python: urllib.parse.quote(password, safe='')).",
                )

    def secrets(self, names: Sequence[str]) -> set[str]:
        """Values of the variables the config names as secret."""
        return {self.environ[n] for n in names if self.environ.get(n)}

    # -- interpolation and validation ------------------------------------------------

    def interpolate(self, value: Any, key: str, *, strict: bool) -> Any:
        if isinstance(value, dict):
            return {
                k: self.interpolate(v, f"{key}.{k}" if key else k, strict=strict)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.interpolate(v, f"{key}[{i}]", strict=strict) for i, v in enumerate(value)]
        if isinstance(value, str):
            return _VAR.sub(lambda m: self._replace(m, key, strict), value)
        return value

    def _replace(self, match: re.Match[str], key: str, strict: bool) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match["name"], match["default"]
        self.used_vars.add(name)
        if name in self.environ:
            return self.environ[name]
        if default is not None:
            return default
        if not strict:
            return ""
        raise self.error(
            key,
            f"environment variable {name} is not set.",
            fix=f"export {name}=..., or give a default with ${{{name}:-default}}.",
        )

    def check_spec(self, kind: CheckType[Any, Any], table: dict[str, Any], label: str) -> CheckSpec:
        try:
            spec: CheckSpec = kind.parse(table)
        except ValidationError as exc:
            if kind.subkinds:
                raise self.translate_subkind(exc, kind, table, label) from None
            raise self.translate(exc, kind.spec, label) from None
        return spec

    def translate_subkind(
        self, exc: ValidationError, kind: CheckType[Any, Any], table: dict[str, Any], label: str
    ) -> ConfigError:
        """Errors of a type with sub-kinds (pydantic's discriminated union on ``check``):
        named against the keys of the table's own sub-kind."""
        problems = exc.errors(include_url=False)
        first = problems[0]
        models: dict[str, type[BaseModel]] = {sub.subkind: sub.spec for sub in kind.subkinds}
        fix = f"see docs/checks/{kind.name}.md."
        if first["type"] == "union_tag_not_found":
            return self.error(
                f"{label}.check",
                f"a {kind.name} check needs 'check', one of: {', '.join(models)}.",
                fix=fix,
            )
        if first["type"] == "union_tag_invalid":
            given = str(table.get("check"))
            near = nearest(given, set(models))
            hint = f" (did you mean {near!r}?)" if near else ""
            choices = ", ".join(repr(name) for name in sorted(models))
            return self.error(
                f"{label}.check",
                f"unknown {kind.name} check {given!r}{hint}; 'check' must be one of {choices}.",
                fix=fix,
            )
        tag, *inner = first["loc"]
        model = models[str(tag)]
        if first["type"] == "extra_forbidden" and len(inner) == 1:
            return self.subkind_key_error(kind.name, models, str(tag), str(inner[0]), label)
        return self.translate(exc, model, label, [{**p, "loc": p["loc"][1:]} for p in problems])

    def subkind_key_error(
        self, type_name: str, models: dict[str, type[BaseModel]], tag: str, key: str, label: str
    ) -> ConfigError:
        owners = sorted(name for name, model in models.items() if key in _fields_at(model, ()))
        if owners:
            where = " / ".join(f"check = {owner!r}" for owner in owners)
            return self.error(
                f"{label}.{key}",
                f"key {key!r} does not apply to check = {tag!r}; it belongs to {where}.",
                fix=f"remove it, or change check to {owners[0]!r}.",
            )
        valid = sorted(_fields_at(models[tag], ()) - {"type", "check"})
        near = nearest(key, set(valid))
        hint = f" Did you mean {near!r}?" if near else ""
        return self.error(
            f"{label}.{key}",
            f"unknown key {key!r} for a {type_name} check with check = {tag!r}.{hint} "
            f"Its keys: {', '.join(valid)}.",
            fix=f"see docs/checks/{type_name}.md.",
        )

    def validated(
        self, model: type[Any], data: Any, prefix: str, context: dict[str, Any] | None = None
    ) -> Any:
        try:
            return model.model_validate(data, context=context)
        except ValidationError as exc:
            raise self.translate(exc, model, prefix) from None

    def translate(
        self,
        exc: ValidationError,
        model: type[BaseModel],
        prefix: str,
        problems: list[ErrorDetails] | None = None,
    ) -> ConfigError:
        problems = problems if problems is not None else exc.errors(include_url=False)
        first = problems[0]
        loc = tuple(first["loc"])
        key = _join(prefix, loc)
        kind = first["type"]
        more = (
            f" ({len(problems) - 1} more problem(s) after this one.)" if len(problems) > 1 else ""
        )
        if kind == "extra_forbidden":
            valid = _fields_at(model, loc[:-1])
            near = nearest(str(loc[-1]), valid)
            hint = f" Did you mean {near!r}?" if near else ""
            return self.error(
                key,
                f"unknown key {str(loc[-1])!r}.{hint}{more}",
                fix=f"remove it or use one of: {', '.join(sorted(valid))}.",
            )
        if kind == "missing":
            return self.error(key, f"required key is missing.{more}", fix=f"add {loc[-1]} = ...")
        message = str(first["msg"]).removeprefix("Value error, ").rstrip(".")
        if kind == "string_pattern_mismatch" and loc and loc[-1] == "id":
            message = "must be made of letters, digits, '-', '_' and '.'"
        mask = Masker(self.secrets(tuple(self.used_vars)))
        if kind == "value_error":
            # Our validators say what is wrong and what to write instead; the input of a
            # model-level one is the whole table, which would only bury that.
            return self.error(key, mask(f"{message}.{more}"), fix=f"see {_docs_for(model, key)}.")
        got = f" (got {_short(first.get('input'))})" if loc else ""
        return self.error(key, mask(f"{message}{got}.{more}"), fix=_fix_for(kind))


def ambiguous_credentials(url: str) -> bool:
    """True when ``scheme://user:pass@host`` has an '@' that is not the one ending the
    credentials: more than one in the authority, or one after a '/' following a ':'."""
    _, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return False
    before_query = rest.split("?", 1)[0].split("#", 1)[0]
    authority, _, path = before_query.partition("/")
    if authority.count("@") > 1:
        return True
    # ``user:pa/ss@host``: the authority ends at the '/', and '@host' lands in the path.
    return "@" not in authority and ":" in authority and "@" in path.split("/", 1)[0]


def _join(prefix: str, loc: tuple[Any, ...]) -> str:
    parts = [prefix] if prefix else []
    for item in loc:
        if isinstance(item, int):
            parts[-1 if parts else 0 : None] = [f"{parts[-1] if parts else ''}[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(p for p in parts if p) or "(top level)"


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> set[str]:
    """Valid keys of the table at ``loc`` inside ``model`` (aliases included)."""
    current: Any = model
    for item in loc:
        current = _inner_model(current, item)
        if current is None:
            return set()
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return set()
    return {info.alias or name for name, info in current.model_fields.items()}


def _inner_model(current: Any, item: Any) -> Any:
    if isinstance(current, type) and issubclass(current, BaseModel):
        info = current.model_fields.get(str(item))
        return None if info is None else _unwrap(info.annotation)
    origin = get_origin(current)
    if origin in (dict, list, tuple):
        args = [a for a in get_args(current) if a is not Ellipsis]
        return _unwrap(args[-1])
    return None


def _unwrap(annotation: Any) -> Any:
    """The model or container inside an annotation, looking through ``X | None``."""
    if get_origin(annotation) in (dict, list, tuple):
        return annotation
    for arg in get_args(annotation) or (annotation,):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        if get_origin(arg) in (dict, list, tuple):
            return arg
    return annotation


def nearest(word: str, options: Mapping[str, Any] | set[str] | Sequence[str]) -> str | None:
    """The one option a typo most likely meant: a close spelling, or the only option that
    the word begins (``prod`` for ``production``)."""
    found = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    if found:
        return found[0]
    started = [option for option in options if len(word) >= 3 and option.startswith(word)]
    return started[0] if len(started) == 1 else None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _docs_for(model: type[BaseModel], key: str) -> str:
    """The page that documents the keys of ``model``."""
    if issubclass(model, CheckSpec):
        return f"docs/checks/{model.model_fields['type'].default}.md"
    if key.startswith("decision"):
        return "docs/decision-matrix.md"
    return "docs/config.md"


def _fix_for(kind: str) -> str:
    if kind.startswith(("int", "float", "string", "bool", "dict", "list", "tuple")):
        return "use a value of the expected type (strings in quotes, numbers without)."
    if kind == "literal_error":
        return "use one of the allowed values."
    return "correct the value."


def config_hash(config: GateConfig, mask: Masker) -> str:
    """``sha256:...`` of the effective config for the selected target: the target with
    ``extends`` and ``${VAR}`` resolved, the checks and the rules. Secrets are masked
    first, so rotating a token does not change it and the hash reveals nothing; paths on
    disk are left out, so the same config checked out elsewhere hashes the same."""
    effective = {
        "target": config.target.model_dump(mode="json"),
        "checks": [c.model_dump(mode="json") for c in config.checks],
        "rules": [r.model_dump(mode="json") for r in config.rules],
    }
    return _digest(effective, mask)


# Keys that say how a check's result is judged, retried or shown, not what it measures:
# changing them keeps its values comparable with an earlier run's. So do its bounds
# (``max_latency``, ``expect_status``, a quantile's ``min``), at any depth.
_NOT_MEASURING = frozenset(
    {"description", "phases", "on_fail", "on_error", "timeout", "wait", "wait_interval"}
)
_BOUND = re.compile(r"^(min|max)(_.*)?$|^expect_")
_ADDRESS = re.compile(r"^(url|dsn|.*_url)$")


def check_hash(written: Mapping[str, Any], mask: Masker) -> str:
    """``sha256:...`` of what a declared check measures: its table as the file wrote it
    (``${VAR}``s unresolved: a variable's value is the deploy's, like the version it
    carries), but the keys that only judge, retry or describe (``_NOT_MEASURING``, bounds),
    and a URL's scheme, host and port (where the service runs is the target's, as its
    ``base_url`` is), secrets masked. A baseline value whose check hashed otherwise
    measured something else."""
    keys = {k: v for k, v in written.items() if k not in _NOT_MEASURING}
    return _digest(_measuring(keys), mask)


def _measuring(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _measuring(v, str(k)) for k, v in value.items() if not _BOUND.match(str(k))}
    if isinstance(value, list):
        return [_measuring(v) for v in value]
    if isinstance(value, str) and "://" in value and _ADDRESS.match(key):
        try:
            parts = urlsplit(value)
        except ValueError:  # "http://[${HOST}]/": hashed as written
            return value
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return value


def _digest(document: Any, mask: Masker) -> str:
    text = json.dumps(masked(document, mask), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
