"""The deployment files in deploy/ hold together, checked without Docker, Kubernetes or Postgres.

Each Dagster instance file passes Dagster's instance schema, and every class it names (storage,
run launcher, run coordinator, logs) imports and accepts its config; the compose file, the
workspace and the instance agree on services, ports, volumes and the settings a run receives;
every command the containers run exists with the options given; no secret is written down; the
Dockerfile installs from the lock file and runs as a user of its own.

Dagster offers no public way to check an instance file without opening its storage. These tests
use `InstanceRef.from_dir` (reads dagster.yaml, validates it against the instance schema and
names each configurable class and its config, instantiating nothing), `process_config` on each
class's `config_type()`, `process_workspace_config`, and the click groups behind the `dagster`,
`dagster-daemon` and `dagster-webserver` commands: all private, so they are pinned to the
installed Dagster 1.13 (`test_dagster_is_the_version_these_tests_read`) and an upgrade that
changes them fails here first.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
import dagster
import pytest
import typer
import yaml
from dagster._config import process_config, resolve_to_config_type
from dagster._core.instance.ref import InstanceRef
from dagster._core.workspace.config_schema import process_workspace_config
from dagster._serdes import ConfigurableClassData, class_from_code_pointer

from ledgerlink.settings import Settings

PROJECT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT / "deploy"
INSTANCE_FILES = sorted((DEPLOY / "dagster").glob("dagster*.yaml"))
WORKSPACE = DEPLOY / "dagster" / "workspace.yaml"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
HELM_VALUES = DEPLOY / "k8s" / "values.yaml"

LAUNCHERS = {("dagster_docker", "DockerRunLauncher"), ("dagster_k8s", "K8sRunLauncher")}
# names that hold a secret: their values must come from the environment
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|VERIFIER|API_KEY|PRIVATE", re.IGNORECASE)
# keys that name a Kubernetes Secret object rather than hold a secret
SECRET_OBJECT_NAMES = {"env_secrets", "postgres_password_secret", "image_pull_secrets"}
REFERENCE = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*(:?[-?][^}]*)?\}$")
# variables that only `docker compose` reads (image name, the Docker socket's group)
COMPOSE_ONLY = {"LEDGERLINK_IMAGE", "DOCKER_GID"}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def documented_variables() -> set[str]:
    """Every variable .env.example names, set or commented out."""
    text = (PROJECT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def settings_variables() -> set[str]:
    """The environment variable of every ledgerlink setting."""
    return {
        (field.validation_alias if isinstance(field.validation_alias, str) else name).upper()
        for name, field in Settings.model_fields.items()
    }


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every scalar in a YAML document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def secret_leaves(document: Any) -> Iterator[tuple[str, Any]]:
    """The values of keys whose name says they hold a secret (`password`, `*_TOKEN`, ...)."""
    for path, value in leaves(document):
        key = re.sub(r"\[\d+\]$", "", path.rsplit(".", 1)[-1])
        if SECRET_NAME.search(key) and key not in SECRET_OBJECT_NAMES:
            yield path, value


def env_references(value: Any) -> Iterator[str]:
    """The variables a Dagster config names with `{env: NAME}`."""
    if isinstance(value, dict):
        if set(value) == {"env"}:
            yield value["env"]
        for item in value.values():
            yield from env_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from env_references(item)


def instance_ref(path: Path, tmp_path: Path) -> InstanceRef:
    return InstanceRef.from_dir(
        str(tmp_path), config_dir=str(path.parent), config_filename=path.name
    )


def class_data(ref: InstanceRef) -> dict[str, ConfigurableClassData]:
    return {
        field: value
        for field, value in ref._asdict().items()
        if isinstance(value, ConfigurableClassData)
    }


def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE)


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def docker_launcher() -> dict[str, Any]:
    config = load_yaml(DEPLOY / "dagster" / "dagster.yaml")["run_launcher"]
    assert (config["module"], config["class"]) == ("dagster_docker", "DockerRunLauncher")
    return config["config"]


def words(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def commands() -> Iterator[tuple[str, list[str]]]:
    """(where, argv) of every command the compose services and the Dockerfile run."""
    for name, service in services().items():
        if "command" in service:
            yield f"{name}: command", words(service["command"])
        test = service.get("healthcheck", {}).get("test")
        if test and test[0] == "CMD":
            yield f"{name}: healthcheck", test[1:]
    for instruction, argument in dockerfile_instructions():
        if instruction in ("CMD", "HEALTHCHECK"):
            exec_form = re.search(r"\[.*\]", argument)
            assert exec_form, f"Dockerfile {instruction} should use the exec form: {argument}"
            yield f"Dockerfile {instruction}", yaml.safe_load(exec_form.group())


def click_command(program: str) -> click.Command:
    """The click command behind a console script of this environment."""
    if program == "ledgerlink":
        from ledgerlink.cli.main import app

        return typer.main.get_command(app)
    (script,) = entry_points(group="console_scripts", name=program)
    return importlib.import_module(script.module).cli


def resolve(argv: list[str]) -> tuple[click.Command, list[str]]:
    """The (sub)command argv names and the arguments left for it."""
    command, rest = click_command(argv[0]), argv[1:]
    while rest and hasattr(command, "get_command"):  # a group: typer's (lazy) or click's
        subcommand = command.get_command(command.context_class(command), rest[0])
        if subcommand is None:
            break
        command, rest = subcommand, rest[1:]
    return command, rest


def options(argv: list[str]) -> dict[str, str]:
    """`-p 4000 --host x` -> {"-p": "4000", "--host": "x"} (flags map to "")."""
    _, rest = resolve(argv)
    found = {}
    for index, word in enumerate(rest):
        if word.startswith("-"):
            following = rest[index + 1] if index + 1 < len(rest) else ""
            found[word] = "" if following.startswith("-") else following
    return found


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in (raw.strip() for raw in text.splitlines())
        if line and not line.startswith("#")
    ]


# --- Dagster instance files ---------------------------------------------------------------


def test_dagster_is_the_version_these_tests_read() -> None:
    assert dagster.__version__.startswith("1.13."), (
        f"dagster {dagster.__version__}: check that InstanceRef.from_dir, process_config and "
        "process_workspace_config still work as these tests use them, then update this pin"
    )


def test_there_is_an_instance_file_for_docker_and_for_kubernetes() -> None:
    assert [path.name for path in INSTANCE_FILES] == ["dagster.k8s.yaml", "dagster.yaml"]


@pytest.mark.parametrize("path", INSTANCE_FILES, ids=lambda path: path.name)
def test_instance_file_validates_with_every_class_it_names(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = load_yaml(path)
    for where, value in secret_leaves(document):
        assert where.endswith(".env"), f"{path.name}{where} = {value!r}: use {{env: NAME}}"
    referenced = set(env_references(document))
    undocumented = referenced - documented_variables()
    assert not undocumented, f"{path.name} reads {sorted(undocumented)}: list it in .env.example"
    for variable in referenced:
        monkeypatch.setenv(variable, "set-by-the-test")

    ref = instance_ref(path, tmp_path)
    for field, data in class_data(ref).items():
        klass = class_from_code_pointer(data.module_name, data.class_name)
        result = process_config(resolve_to_config_type(klass.config_type()), data.config_dict)
        assert result.success, (
            f"{path.name} {field} ({data.module_name}.{data.class_name}): "
            + "; ".join(error.message for error in result.errors or [])
        )


@pytest.mark.parametrize("path", INSTANCE_FILES, ids=lambda path: path.name)
def test_production_instance_uses_postgres_and_dagsters_own_launchers(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in env_references(load_yaml(path)):
        monkeypatch.setenv(variable, "set-by-the-test")
    ref = instance_ref(path, tmp_path)
    launcher = (ref.run_launcher_data.module_name, ref.run_launcher_data.class_name)
    coordinator = ref.run_coordinator_data
    assert ref.storage_data.module_name == "dagster_postgres"
    # the warm run launcher forks from a local process: the local default only
    assert launcher in LAUNCHERS, launcher
    assert coordinator.class_name == "QueuedRunCoordinator"
    assert "postgres_db" in load_yaml(path)["storage"]["postgres"]


@pytest.mark.parametrize("path", INSTANCE_FILES, ids=lambda path: path.name)
def test_instance_limits_are_those_of_the_local_instance(path: Path) -> None:
    local, deployed = load_yaml(PROJECT / "dagster.yaml"), load_yaml(path)
    # one warehouse-writing run at a time, however many places start runs
    assert deployed["concurrency"] == local["concurrency"]
    assert deployed["run_coordinator"] == local["run_coordinator"]


def test_docker_runs_get_every_setting_the_services_have() -> None:
    forwarded = set(docker_launcher()["env_vars"])
    anchors = compose()
    in_services = set(anchors["x-ledgerlink-settings"]) | set(anchors["x-dagster-postgres"])
    assert forwarded == in_services, (
        f"only in the launcher: {sorted(forwarded - in_services)}; "
        f"only in compose: {sorted(in_services - forwarded)}"
    )
    expected = settings_variables() | documented_variables() - COMPOSE_ONLY
    assert expected <= forwarded, f"not forwarded to runs: {sorted(expected - forwarded)}"
    for name, service in services().items():
        if name != "postgres":
            assert set(anchors["x-ledgerlink-settings"]) <= set(service["environment"]), name


def test_docker_runs_start_from_the_image_the_code_location_runs() -> None:
    location = services()["code-location"]
    # `dagster code-server start` reports DAGSTER_CURRENT_IMAGE to the run launcher
    assert location["environment"]["DAGSTER_CURRENT_IMAGE"] == location["image"]
    assert "image" not in docker_launcher()
    assert {service["image"] for name, service in services().items() if name != "postgres"} == {
        location["image"]
    }


def test_docker_runs_mount_the_volumes_and_network_compose_declares() -> None:
    config, declared = docker_launcher(), compose()
    volume_names = {key: value["name"] for key, value in declared["volumes"].items()}
    mounts = {
        entry.split(":")[0]: entry.split(":")[1] for entry in services()["code-location"]["volumes"]
    }
    for volume, mount in config["container_kwargs"]["volumes"].items():
        assert volume in volume_names.values(), f"{volume} is no volume name in compose"
        (key,) = [key for key, name in volume_names.items() if name == volume]
        assert mounts.get(key) == mount["bind"], f"{volume}: mounted elsewhere in compose"
    assert config["network"] in {network["name"] for network in declared["networks"].values()}


# --- workspace ----------------------------------------------------------------------------


def test_workspace_points_at_the_code_location_service() -> None:
    workspace = load_yaml(WORKSPACE)
    result = process_workspace_config(workspace)
    assert result.success, [error.message for error in result.errors or []]
    (entry,) = workspace["load_from"]
    server = entry["grpc_server"]
    service = services().get(server["host"])
    assert service, f"workspace.yaml names {server['host']}, which is no compose service"
    served = options(words(service["command"]))
    assert served["-m"] == "orchestration.definitions"
    assert int(served["-p"]) == server["port"]
    assert served["-h"] == "0.0.0.0"  # reachable from the other containers
    assert options(service["healthcheck"]["test"][1:])["-p"] == str(server["port"])
    assert served["--location-name"] == server["location_name"]


# --- compose ------------------------------------------------------------------------------


def test_compose_services_are_all_there() -> None:
    assert {"postgres", "code-location", "daemon", "webserver", "webhooks"} <= set(services())


def test_every_service_is_health_checked() -> None:
    for name, service in services().items():
        depends = service.get("depends_on", {})
        healthy = isinstance(depends, dict) and any(
            spec.get("condition") == "service_healthy" for spec in depends.values()
        )
        assert "healthcheck" in service or healthy, f"{name}: no healthcheck"
    assert "pg_isready" in " ".join(services()["postgres"]["healthcheck"]["test"])


def test_daemon_and_webserver_wait_for_postgres_and_the_code_location() -> None:
    for name in ("daemon", "webserver"):
        depends = services()[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["code-location"]["condition"] == "service_healthy", name


def test_compose_writes_down_no_secret() -> None:
    for path, value in secret_leaves(compose()):
        assert isinstance(value, str) and REFERENCE.match(value), (
            f"{path} = {value!r}: take it from the environment, as ${{NAME}}"
        )


@pytest.mark.parametrize("where, argv", list(commands()), ids=lambda value: str(value))
def test_commands_exist_with_the_options_given(where: str, argv: list[str]) -> None:
    if argv[0] in ("python", "pg_isready"):
        return  # the interpreter's and Postgres' own
    assert_command_exists(where, argv)


def assert_command_exists(where: str, argv: list[str]) -> None:
    """argv names a (sub)command of an installed program, with options it has, and the module
    it loads exists (tests/orchestration/test_definitions.py loads it)."""
    command, rest = resolve(argv)
    known = {opt for param in command.params for opt in [*param.opts, *param.secondary_opts]}
    for word in rest:
        if word.startswith("-"):
            assert word in known, f"{where}: `{' '.join(argv)}` has no option {word}"
    module = options(argv).get("-m") or options(argv).get("--module-name")
    if module:
        assert importlib.util.find_spec(module), f"{where}: no module {module}"


def test_published_ports_are_the_ones_the_services_listen_on() -> None:
    for name, port_option in (("webserver", "-p"), ("webhooks", "--port"), ("console", "--port")):
        service = services()[name]
        listening = options(words(service["command"]))[port_option]
        published = {entry.rsplit(":", 1)[-1] for entry in service["ports"]}
        assert published == {listening}, name
        assert f":{listening}/" in service["healthcheck"]["test"][-1], name
    settings = compose()["x-ledgerlink-settings"]
    assert options(words(services()["webhooks"]["command"]))["--port"] == settings["WEBHOOKS_PORT"]
    console = options(words(services()["console"]["command"]))["--port"]
    assert console == settings["LEDGERLINK_CONSOLE_PORT"]


def test_services_share_the_ledgerlink_home_volume() -> None:
    home = compose()["x-ledgerlink-settings"]["LEDGERLINK_HOME"]
    for name, service in services().items():
        if name != "postgres":
            assert f"ledgerlink_home:{home}" in service["volumes"], name


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True).returncode:
        pytest.skip("docker compose is not installed here; the checks above read the file")
    done = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "DAGSTER_POSTGRES_PASSWORD": "set-by-the-test"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


# --- Helm chart values -------------------------------------------------------------------


def test_helm_values_match_the_kubernetes_instance_and_the_local_limits() -> None:
    values = load_yaml(HELM_VALUES)
    launcher = load_yaml(DEPLOY / "dagster" / "dagster.k8s.yaml")["run_launcher"]["config"]
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    # the chart runs `dagster api grpc` with these arguments
    argv = ["dagster", "api", "grpc", *deployment["dagsterApiGrpcArgs"]]
    assert_command_exists("values.yaml", argv)
    arguments = options(argv)
    assert importlib.util.find_spec(arguments["-m"]), arguments["-m"]
    assert deployment["port"] == load_yaml(WORKSPACE)["load_from"][0]["grpc_server"]["port"]
    assert [secret["name"] for secret in deployment["envSecrets"]] == launcher["env_secrets"]
    assert deployment["volumes"] == launcher["volumes"]
    assert deployment["volumeMounts"] == launcher["volume_mounts"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["generatePostgresqlPasswordSecret"] is False

    local = load_yaml(PROJECT / "dagster.yaml")["concurrency"]
    helm = values["concurrency"]
    assert helm["enabled"] is True
    assert helm["runs"]["maxConcurrentRuns"] == local["runs"]["max_concurrent_runs"]
    assert helm["runs"]["tagConcurrencyLimits"] == local["runs"]["tag_concurrency_limits"]
    assert helm["pools"] == {
        "granularity": local["pools"]["granularity"],
        "defaultLimit": local["pools"]["default_limit"],
    }
    for path, value in secret_leaves(values):
        # a switch, or the name of a Secret: never the secret itself
        assert isinstance(value, bool) or path.endswith("SecretName"), f"values.yaml{path}"


# --- Dockerfile ---------------------------------------------------------------------------


def test_dockerfile_installs_from_the_lock_file() -> None:
    runs = [argument for instruction, argument in dockerfile_instructions() if instruction == "RUN"]
    syncs = [run for run in runs if "uv sync" in run]
    assert syncs, "no `uv sync` in the Dockerfile"
    for sync in syncs:
        assert "--locked" in sync and "--no-dev" in sync and "--extra deploy" in sync, sync
    copies = [
        argument for instruction, argument in dockerfile_instructions() if instruction == "COPY"
    ]
    assert any("uv.lock" in copy.split() for copy in copies)
    python = (PROJECT / ".python-version").read_text().strip()
    assert dockerfile_instructions()[0] == ("FROM", f"python:{python}-slim")


def test_dockerfile_copies_only_what_the_repository_has() -> None:
    ignore = DOCKERIGNORE.read_text().splitlines()
    # nothing enters the build context unless named: never .env, tokens or the warehouse
    rules = [line for line in ignore if line and not line.startswith("#")]
    assert rules[0] == "*"
    assert not [line for line in rules if line.startswith(("!.env", "!.ledgerlink"))]
    for instruction, argument in dockerfile_instructions():
        if instruction != "COPY" or argument.startswith("--from"):
            continue
        *sources, _ = argument.split()
        for source in sources:
            assert (PROJECT / source).exists(), f"COPY {source}: not in the repository"
            # the ignore file lets only named paths into the build context
            assert any(
                source.rstrip("/").startswith(line[1:].rstrip("/"))
                for line in ignore
                if line.startswith("!")
            ), f"COPY {source}: {DOCKERIGNORE.name} keeps it out of the build context"


def test_dockerfile_prepares_the_code_location_and_runs_unprivileged() -> None:
    instructions = dockerfile_instructions()
    kinds = [instruction for instruction, _ in instructions]
    assert "HEALTHCHECK" in kinds
    users = [argument for instruction, argument in instructions if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image should run as its own user"
    # the code location parses the dbt project at import when its manifest is missing
    # (orchestration/dbt_project.py): the build does it once, as root, before USER
    runs = [argument for instruction, argument in instructions if instruction == "RUN"]
    assert any("import orchestration.definitions" in run for run in runs)
    for instruction, argument in instructions:
        if instruction in ("ENV", "ARG"):
            assert not SECRET_NAME.search(argument), f"{instruction} {argument}: no secrets"
